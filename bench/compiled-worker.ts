// The worker as the image runs it: compiled with tsconfig.build.json into .bench/dist, started with
// the node flags of the Dockerfile's ENTRYPOINT and the environment of its ENV lines. The scale run and the worker RSS rows measure this
// build, not the TypeScript loaded through tsx.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
const BUILD_DIR = join(REPO, '.bench', 'dist');
/** bin/certgate.js of the build. */
const COMPILED_CERTGATE = join(BUILD_DIR, 'bin', 'certgate.js');

/** The node flags between "node" and the script in the Dockerfile's ENTRYPOINT (e.g. the heap sizing the image runs with). */
export function imageNodeFlags(dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8')): string[] {
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (!entrypoint) throw new Error('the Dockerfile has no ENTRYPOINT in exec form');
  const argv = JSON.parse(entrypoint) as string[];
  if (argv[0] !== 'node' || argv.at(-1) !== 'dist/bin/certgate.js') throw new Error(`unexpected ENTRYPOINT ${entrypoint}`);
  return argv.slice(1, -1);
}

/** The ENV settings of the Dockerfile's last stage, the image that runs (e.g. MALLOC_ARENA_MAX): KEY=VALUE lines. */
export function imageEnv(dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8')): Record<string, string> {
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, settings] of runtime.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const setting of settings.trim().split(/\s+/)) {
      const eq = setting.indexOf('=');
      if (eq <= 0) throw new Error(`ENV ${settings}: only the KEY=VALUE form is read here`);
      env[setting.slice(0, eq)] = setting.slice(eq + 1);
    }
  }
  return env;
}

/** node's arguments up to the certgate verb: the image's flags, then the compiled entry point. */
export const COMPILED_CERTGATE_ARGS = [...imageNodeFlags(), COMPILED_CERTGATE];

/** Compiles the worker into .bench/dist; throws with the compiler's output when it fails. */
export function buildCompiledWorker(progress: (msg: string) => void): void {
  progress(`compiling the worker (tsconfig.build.json) into ${BUILD_DIR}`);
  const built = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}${built.stderr}`);
}
