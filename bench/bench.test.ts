// Smoke test of the benchmark runner (not a benchmark: no timing is asserted). `bench/run.ts
// --quick --only issuance --count 2 --ca-burst 10` must issue through certgate and through raw acme-client,
// and print and write figures that are real positive numbers with a ratio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

test('bench/run.ts --quick --only issuance prints certgate and baseline figures side by side', { timeout: 560_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-bench-'));
  try {
    const out = join(dir, 'results.md');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'issuance', '--count', '2', '--ca-burst', '10', '--out', out],
      { cwd: REPO, encoding: 'utf8', timeout: 540_000 },
    );
    assert.equal(run.status, 0, `bench/run.ts failed:\n${run.stderr}\n${run.stdout}`);
    const written = readFileSync(out, 'utf8');
    assert.ok(run.stdout.includes(written.trim().split('\n')[0]), 'stdout and results file carry the same report');
    assert.match(written, /Machine: \d+ CPUs .* Node v\d+/);
    for (const label of [
      'ACME HTTP-01, ECDSA: certificates/s',
      'ACME HTTP-01, RSA: certificates/s',
      'CA issuer, ECDSA: 10 Certificates created at once, s until every Secret holds tls.crt',
    ]) {
      const row = written.split('\n').find((l) => l.startsWith(`| ${label} |`));
      assert.ok(row, `row for ${label} in:\n${written}`);
      const m = /\| ([\d.]+) \| ([\d.]+) \(.+\) \| ([\d.]+)× \| [^|]* \|$/.exec(row);
      assert.ok(m, `figure, baseline and ratio in "${row}"`);
      const [figure, baseline, ratio] = m.slice(1).map(Number);
      assert.ok(figure > 0 && baseline > 0, `positive rates in "${row}"`);
      // The ratio comes from unrounded values: allow half a unit of each printed last digit.
      const half = (printed: string) => 0.5 * 10 ** -(printed.split('.')[1]?.length ?? 0);
      const [ef, eb] = [half(m[1]), half(m[2])];
      const low = (figure - ef) / (baseline + eb) - 0.01;
      const high = (figure + ef) / Math.max(baseline - eb, 1e-9) + 0.01;
      assert.ok(ratio >= low && ratio <= high, `ratio is figure / baseline in "${row}"`);
    }
    const countIn = (label: string) =>
      Number(
        written
          .split('\n')
          .find((l) => l.startsWith(`| ACME HTTP-01, ECDSA: ${label} |`))
          ?.split('|')[2],
      );
    const withoutEvents = countIn('Kubernetes API requests per certificate (worker), Events excluded');
    assert.ok(withoutEvents > 0, `the worker's requests are counted:\n${written}`);
    const withEvents = written.split('\n').find((l) => l.startsWith('| ACME HTTP-01, ECDSA: Kubernetes API requests per certificate (worker), all, with '));
    assert.ok(withEvents && Number(withEvents.split('|')[2]) > withoutEvents, `the count with Events is the larger one:\n${written}`);
    // Kept-alive connections: a certificate opens none (or the odd one after an idle close).
    const connections = countIn('new API-server TLS connections per certificate (worker)');
    assert.ok(connections >= 0 && connections <= 2, `new connections per certificate ${connections}:\n${written}`);
    assert.ok(!/PRIVATE KEY/.test(run.stdout + run.stderr), 'no key material printed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
