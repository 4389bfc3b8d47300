// certgate runs on the CI's Node 20 and on the image's Node 24 LTS: every production dependency must
// accept both, or an upgrade that needs a newer Node would only show up as an npm warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { repoRoot } from '../scripts/render-manifests.ts';

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  engines?: { node?: string } | string[];
}

test('every production dependency accepts the oldest Node certgate declares and the image Node', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const imageNode = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'))?.[1];
  assert.ok(imageNode, 'the Dockerfile names its Node major');
  const oldest = semver.minVersion(pkg.engines.node)!.version;
  const refusing = Object.entries(lock.packages)
    .filter(([path, e]) => path.includes('node_modules/') && !e.dev && !e.devOptional && !Array.isArray(e.engines) && e.engines?.node)
    .flatMap(([path, e]) => {
      const range = (e.engines as { node: string }).node;
      return [oldest, `${imageNode}.0.0`]
        .filter((v) => !semver.satisfies(v, range))
        .map((v) => `${path.replace(/^.*node_modules\//, '')} needs node ${range}, not ${v}`);
    });
  assert.deepEqual(refusing, [], 'pin an older release of these packages, or raise package.json engines.node');
});
