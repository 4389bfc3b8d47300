// The entry point as users and the chart run it: each process's --help prints its usage and exits 0,
// a bad flag exits 1 with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../bin/certgate.ts', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { encoding: 'utf8', timeout: 120_000 });

for (const process of ['worker', 'webhook', 'solver']) {
  test(`certgate ${process} --help: the usage, exit 0`, () => {
    const r = run([process, '--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: /);
    assert.match(r.stdout, /--kubeconfig/);
    assert.equal(r.stderr, '');
  });
}

test('certgate worker with an unknown flag: exit 1 naming the flag', () => {
  const r = run(['worker', '--no-such-flag']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown option '--no-such-flag'/);
});

test('certgate worker with a cert-manager controller flag certgate has not: exit 1 naming the flag, its configuration key and what to do', () => {
  const r = run(['worker', '--feature-gates=ServerSideApply=true']);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /^certgate: --feature-gates=ServerSideApply=true \(controller configuration featureGates\): not supported: certgate writes with update, not server-side apply; remove it$/m,
  );
});
