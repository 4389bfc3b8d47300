// No container engine runs here, so the Dockerfile is checked by construction: everything the
// TypeScript build compiles is copied into the build stage, every copied path exists and is not
// excluded by .dockerignore, and the final stage matches what the chart assumes (uid, entry point).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../scripts/render-manifests.ts';
import { renderObjects, podTemplates } from './render.ts';

interface Stage { name?: string; from: string; lines: string[] }

function stages(dockerfile: string): Stage[] {
  const out: Stage[] = [];
  for (const raw of dockerfile.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1], name: from[2], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

test('Dockerfile: multi-stage on one Node LTS image, dev dependencies only in the build stage', () => {
  const s = stages(dockerfile);
  assert.ok(s.length >= 3, 'build, production deps and runtime stages');
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
  for (const stage of s) assert.equal(stage.from, '${NODE_IMAGE}');
  const build = s.find((x) => x.name === 'build')!;
  assert.ok(build.lines.some((l) => /^RUN npm ci\b/.test(l) && !l.includes('--omit=dev')));
  assert.ok(build.lines.some((l) => l === 'RUN npm run build'));
  const runtime = s.at(-1)!;
  assert.equal(runtime.name, undefined);
  assert.ok(!runtime.lines.some((l) => /^RUN npm (ci|install)/.test(l)), 'no npm install in the final stage');
  const deps = s.find((x) => x.name === 'deps')!;
  assert.ok(deps.lines.some((l) => /^RUN npm ci .*--omit=dev/.test(l)), 'production dependencies only');
  assert.ok(runtime.lines.includes('COPY --from=deps /app/node_modules ./node_modules'));
});

test('Dockerfile: the build stage copies every folder the TypeScript build compiles, and each exists', () => {
  const build = stages(dockerfile).find((x) => x.name === 'build')!;
  const copied = build.lines.filter((l) => /^COPY\s/.test(l) && !l.includes('--from')).flatMap((l) => l.split(/\s+/).slice(1, -1));
  const tsconfig = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  for (const dir of tsconfig.include) assert.ok(copied.includes(dir), `tsconfig.build.json compiles ${dir}/ but the build stage does not copy it`);
  for (const src of copied) {
    assert.ok(existsSync(join(repoRoot, src)), `COPY ${src}: no such path`);
    assert.ok(!dockerignore.some((p) => p === src || p.replace(/\/$/, '') === src), `${src} is excluded by .dockerignore`);
  }
});

test('Dockerfile: runs as the uid the chart expects, with certgate as the entry point', () => {
  const runtime = stages(dockerfile).at(-1)!;
  assert.ok(runtime.lines.includes('USER 65532:65532'));
  assert.ok(runtime.lines.includes('ENTRYPOINT ["node", "dist/bin/certgate.js"]'));
  // tsc -p tsconfig.build.json compiles bin/certgate.ts to dist/bin/certgate.js.
  assert.ok(existsSync(join(repoRoot, 'bin/certgate.ts')), 'bin/certgate.ts is the entry point the image runs');
  for (const pod of podTemplates(renderObjects())) {
    assert.equal(pod.spec.securityContext.runAsUser, 65532, pod.owner);
    for (const c of pod.spec.containers) {
      assert.equal(c.command, undefined, `${pod.owner}/${c.name} uses the image entry point`);
      assert.ok(['worker', 'solver', 'webhook'].includes(c.args[0]), `${pod.owner}/${c.name} subcommand`);
    }
  }
  // The CRDs are read at run time (api/crds.ts), so they are in the image.
  assert.ok(runtime.lines.includes('COPY charts/certgate/crds ./charts/certgate/crds'));
});
