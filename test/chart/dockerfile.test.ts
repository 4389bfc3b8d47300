// No container engine runs here, so the Dockerfile is checked by construction: the build stage's COPY
// set (after .dockerignore) type-checks and bundles on its own into the entry point the image runs,
// production code loads only production dependencies, and the final stage matches what the chart
// assumes (uid, entry point). What the bundle loads and does: image-build.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/render-manifests.ts';
import { runCommand } from '../run-command.ts';
import { renderObjects, podTemplates } from './render.ts';
import { contextCopies, materializeCopySet, readDockerignore, runtimePackageImports, stages } from './docker-context.ts';
import { imageEnv, imageNodeFlags } from '../../bench/compiled-worker.ts';
import { ENTRY_POINT } from '../../scripts/build.ts';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const dockerignore = readDockerignore(repoRoot);
const buildStage = () => stages(dockerfile).find((x) => x.name === 'build')!;
/** The folders of production code: what tsconfig.build.json type-checks and the bundle is made of. */
const productionFolders = () => (JSON.parse(readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include;
const tscBin = join(repoRoot, 'node_modules/typescript/bin/tsc');
const BUILD_SCRIPT = 'scripts/build.ts';

/** tsc over a tsconfig in dir (the build stage's, as `npm run build` runs it), without writing output. */
async function compile(dir: string, tsconfig = 'tsconfig.build.json'): Promise<{ code: number; output: string }> {
  const r = await runCommand(process.execPath, [tscBin, '-p', join(dir, tsconfig), '--noEmit'], { timeoutMs: 600_000 });
  return { code: r.code, output: r.stdout + r.stderr };
}

test('Dockerfile: multi-stage on one Node LTS image, dev dependencies only in the build stage', () => {
  const s = stages(dockerfile);
  assert.ok(s.length >= 3, 'build, production deps and runtime stages');
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
  for (const stage of s) assert.equal(stage.from, '${NODE_IMAGE}');
  const build = buildStage();
  assert.ok(build.lines.some((l) => /^RUN npm ci\b/.test(l) && !l.includes('--omit=dev')));
  assert.ok(build.lines.some((l) => l === 'RUN npm run build'));
  const runtime = s.at(-1)!;
  assert.equal(runtime.name, undefined);
  assert.ok(!runtime.lines.some((l) => /^RUN npm (ci|install)/.test(l)), 'no npm install in the final stage');
  const deps = s.find((x) => x.name === 'deps')!;
  assert.ok(
    deps.lines.some((l) => /^RUN npm ci .*--omit=dev/.test(l)),
    'production dependencies only',
  );
  assert.ok(runtime.lines.includes('COPY --from=deps /app/node_modules ./node_modules'));
});

test('Dockerfile: the build stage copies every folder the TypeScript build compiles and the bundler script, and each exists', () => {
  const copied = contextCopies(buildStage()).flatMap((c) => c.sources);
  for (const dir of productionFolders()) assert.ok(copied.includes(dir), `tsconfig.build.json compiles ${dir}/ but the build stage does not copy it`);
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.ok(pkg.scripts.build.includes(BUILD_SCRIPT), `npm run build runs ${BUILD_SCRIPT}`);
  assert.ok(copied.includes(BUILD_SCRIPT), `the build stage copies ${BUILD_SCRIPT}`);
  for (const src of copied) {
    assert.ok(existsSync(join(repoRoot, src)), `COPY ${src}: no such path`);
    assert.ok(!dockerignore.some((p) => p === src || p.replace(/\/$/, '') === src), `${src} is excluded by .dockerignore`);
  }
});

// A full compile takes tens of seconds, minutes on a busy 2-core machine: a generous ceiling.
test('Dockerfile: exactly the build stage COPY set compiles and bundles (imports of test/ or of excluded files fail)', { timeout: 900_000 }, async (t) => {
  const { dir, files } = materializeCopySet(repoRoot, contextCopies(buildStage()), dockerignore);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.ok(
    [ENTRY_POINT, 'tsconfig.build.json', BUILD_SCRIPT].every((f) => files.includes(f)),
    'the copy holds the entry point and the build',
  );
  assert.ok(!files.some((f) => f.startsWith('test/') || /\.test(-[a-z]+)?\.ts$/.test(f)), 'no test code reaches the build context');

  const clean = await compile(dir);
  assert.equal(clean.code, 0, `tsc over the Dockerfile's COPY set failed:\n${clean.output}`);
  // The bundle step of `npm run build`, run from the copy, writes the file the ENTRYPOINT runs.
  const bundled = await runCommand(process.execPath, ['--import', 'tsx', BUILD_SCRIPT], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(bundled.code, 0, `${BUILD_SCRIPT} over the Dockerfile's COPY set failed:\n${bundled.stdout}${bundled.stderr}`);
  const entrypoint = JSON.parse(/^ENTRYPOINT\s+(\[.*\])$/m.exec(dockerfile)![1]) as string[];
  assert.ok(existsSync(join(dir, entrypoint.at(-1)!)), `the build writes ${entrypoint.at(-1)}, which the ENTRYPOINT runs`);

  // A production module importing test code must fail to compile in the same copy, or the check
  // above proves nothing (compiled alone with the build's settings: the full run is the slow part).
  writeFileSync(join(dir, 'webhook/copy-set-probe.ts'), "export { startApiServer } from '../test/apiserver/index.ts';\n");
  writeFileSync(join(dir, 'tsconfig.probe.json'), JSON.stringify({ extends: './tsconfig.build.json', include: [], files: ['webhook/copy-set-probe.ts'] }));
  const probed = await compile(dir, 'tsconfig.probe.json');
  assert.notEqual(probed.code, 0);
  assert.match(probed.output, /copy-set-probe\.ts.*TS2307/);
});

// npm reads .npmrc (legacy-peer-deps) and the lockfile's workspaces: a stage that copies only
// package.json and the lockfile can fail `npm ci` where the checkout succeeds. npm's dry run checks
// the lockfile against what the stage copied, without downloading anything.
test('Dockerfile: each `npm ci` runs on what its stage has copied by then', { timeout: 300_000 }, async (t) => {
  const installs = stages(dockerfile).flatMap((stage) => {
    const at = stage.lines.findIndex((l) => /^RUN npm ci\b/.test(l));
    return at < 0 ? [] : [{ stage, copies: contextCopies({ ...stage, lines: stage.lines.slice(0, at) }), command: stage.lines[at]! }];
  });
  assert.ok(installs.length >= 2, 'the build and deps stages install packages');
  for (const { stage, copies, command } of installs) {
    const { dir } = materializeCopySet(repoRoot, copies, dockerignore, false);
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const flags = command.replace(/&&.*$/, '').split(/\s+/).slice(3);
    const r = await runCommand('npm', ['ci', ...flags, '--dry-run', '--prefer-offline'], { cwd: dir, timeoutMs: 240_000 });
    assert.equal(
      r.code,
      0,
      `stage ${stage.name ?? '(final)'}: ${command} fails on the files copied before it:\n${r.stderr
        .split('\n')
        .filter((l) => !l.includes('EBADENGINE'))
        .slice(0, 12)
        .join('\n')}`,
    );
  }
});

test('Dockerfile: production code loads only packages the runtime stage installs (dependencies, not devDependencies)', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const { dir, files } = materializeCopySet(repoRoot, contextCopies(buildStage()), dockerignore);
  try {
    const offenders = files
      .filter((f) => f.endsWith('.ts') && productionFolders().some((d) => f.startsWith(`${d}/`)))
      .flatMap((f) =>
        runtimePackageImports(readFileSync(join(dir, f), 'utf8'), f)
          .filter((name) => !(name in pkg.dependencies))
          .map((name) => `${f} imports ${name}`),
      );
    assert.deepEqual(offenders, [], 'move the package to dependencies, or the module out of the production folders');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(
    runtimePackageImports(
      "import type { A } from 'dev-only';\nimport { type B } from 'dev-too';\nimport x from 'prod/sub';\nexport * from '@scope/pkg/deep';\nawait import('lazy');\nimport 'node:fs';",
      'probe.ts',
    ).join(','),
    'prod,@scope/pkg,lazy',
  );
});

test('Dockerfile: runs as the uid the chart expects, with certgate as the entry point', () => {
  const runtime = stages(dockerfile).at(-1)!;
  assert.ok(runtime.lines.includes('USER 65532:65532'));
  const entrypoint = runtime.lines.find((l) => l.startsWith('ENTRYPOINT '));
  assert.match(entrypoint ?? '', /^ENTRYPOINT \["node", (".+", )*"dist\/bin\/certgate\.js"\]$/, 'node (with its flags) runs dist/bin/certgate.js');
  assert.deepEqual(
    imageNodeFlags(dockerfile),
    ['--max-semi-space-size=2', '--heap-growing-percent=30'],
    'the benches start the compiled worker with these flags',
  );
  assert.deepEqual(imageEnv(dockerfile), { NODE_ENV: 'production', MALLOC_ARENA_MAX: '2' }, '... and this environment');
  // scripts/build.ts bundles bin/certgate.ts into dist/bin/certgate.js (imageNodeFlags checks the ENTRYPOINT runs it).
  assert.ok(existsSync(join(repoRoot, ENTRY_POINT)), `${ENTRY_POINT} is the entry point the image runs`);
  for (const pod of podTemplates(renderObjects())) {
    assert.equal(pod.spec.securityContext.runAsUser, 65532, pod.owner);
    for (const c of pod.spec.containers) {
      assert.equal(c.command, undefined, `${pod.owner}/${c.name} uses the image entry point`);
      assert.ok(['worker', 'solver', 'webhook'].includes(c.args[0]), `${pod.owner}/${c.name} subcommand`);
    }
  }
  // Nothing reads the CRD files at run time (the chart installs them), so the image carries none.
  assert.ok(!runtime.lines.some((l) => l.includes('charts/')), 'the runtime stage copies no chart files');
});
