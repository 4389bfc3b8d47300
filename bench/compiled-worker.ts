// The worker as the image runs it: compiled with tsconfig.build.json into .bench/dist. The scale
// run and the worker RSS rows measure this build, not the TypeScript loaded through tsx.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
const BUILD_DIR = join(REPO, '.bench', 'dist');
/** bin/certgate.js of the build. */
export const COMPILED_CERTGATE = join(BUILD_DIR, 'bin', 'certgate.js');

/** Compiles the worker into .bench/dist; throws with the compiler's output when it fails. */
export function buildCompiledWorker(progress: (msg: string) => void): void {
  progress(`compiling the worker (tsconfig.build.json) into ${BUILD_DIR}`);
  const built = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}${built.stderr}`);
}
