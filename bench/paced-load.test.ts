// The paced generator must keep its schedule when the server is slow (open loop), which is what
// makes its p99 honest; not a benchmark, no timing of the code under test is asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { testTls } from '../test/webhook/admission.ts';
import { pacedLoad } from './paced-load.ts';

test('a slow server does not slow the paced load down, and its delay shows in the latencies', { timeout: 20_000 }, async () => {
  const tls = await testTls(['127.0.0.1']);
  let received = 0;
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      // Every tenth answer takes 60 ms: a closed-loop tool would send fewer requests meanwhile.
      setTimeout(() => res.end('{}'), received % 10 === 0 ? 60 : 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const r = await pacedLoad({ url: `https://127.0.0.1:${port}/x`, body: '{"a":1}', ratePerSecond: 200, durationSeconds: 1, connections: 20 });
    assert.equal(r.sent, 200);
    assert.equal(r.answered + r.errors, 200);
    assert.equal(r.errors, 0);
    assert.deepEqual(
      r.latenciesMs,
      [...r.latenciesMs].sort((a, b) => a - b),
      'sorted',
    );
    // Every tenth answer was held 60 ms, so at least 20 latencies carry it (counted from 50 ms: a timer
    // may fire a fraction of a millisecond early by the generator's clock). No upper bound: on a loaded
    // machine ordinary answers can take that long too, and that says nothing about the generator.
    const slow = r.latenciesMs.filter((ms) => ms >= 50).length;
    assert.ok(slow >= 20, `${slow} slow answers of 200`);
    // Closed loop would fall behind by ~20 x 60 ms waiting for the slow answers; open loop does not.
    assert.equal(r.sendLagMs.length, 200);
    assert.ok(r.sendLagMs.at(-1)! < 500, `worst send lag ${r.sendLagMs.at(-1)} ms`);
    assert.ok(received >= 200 + 20, 'the warm-up requests and the 200 paced ones reached the server');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
