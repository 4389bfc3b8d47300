// The worker as the image runs it: bundled by scripts/build.ts (the image's `npm run build`) into .bench/dist, started with
// the node flags of the Dockerfile's ENTRYPOINT and the environment of its ENV lines. The scale run and the worker RSS rows measure this
// build, not the TypeScript loaded through tsx.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILT_ENTRY_POINT } from '../scripts/build.ts';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
const BUILD_DIR = join(REPO, '.bench', 'dist');
const COMPILED_CERTGATE = join(BUILD_DIR, BUILT_ENTRY_POINT);

/** The node flags between "node" and the script in the Dockerfile's ENTRYPOINT (e.g. the heap sizing the image runs with). */
export function imageNodeFlags(dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8')): string[] {
  const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  if (!entrypoint) throw new Error('the Dockerfile has no ENTRYPOINT in exec form');
  const argv = JSON.parse(entrypoint) as string[];
  if (argv[0] !== 'node' || argv.at(-1) !== `dist/${BUILT_ENTRY_POINT}`) throw new Error(`unexpected ENTRYPOINT ${entrypoint}`);
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

/** Builds the image's dist/ into .bench/dist (the bundle alone: `make test` type-checks); throws with the build's output when it fails. */
export function buildCompiledWorker(progress: (msg: string) => void): void {
  progress(`bundling the worker (scripts/build.ts) into ${BUILD_DIR}`);
  const built = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/build.ts'), '--outdir', BUILD_DIR], { cwd: REPO, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}${built.stderr}`);
}
