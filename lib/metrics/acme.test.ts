import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createAcmeMetrics, stableAcmePath } from './acme.ts';

const cases: Array<[string, string]> = [
  ['/dir', '/dir'],
  ['/my-order/Qx3e_kL0k9zZ2pAbcdEfGhIjK', '/my-order'],
  ['/finalize-order/jk3Lk2q', '/finalize-order'],
  ['/certZ/7f3a9b2c1d4e5f60/1', '/certZ'],
  ['/acme/new-order', '/acme/new-order'],
  ['/acme/order/123456/789012', '/acme/order'],
  ['/acme/authz-v3/1234567', '/acme/authz-v3'],
  ['/acme/chall-v3/123/AbC', '/acme/chall-v3'],
  ['/acme/cert/03a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7', '/acme/cert'],
  ['/directory', '/directory'],
];
for (const [input, want] of cases) {
  test(`stableAcmePath ${input}`, () => assert.equal(stableAcmePath(input), want));
}

test('observations land in cert-manager named series; registering twice reuses them', async () => {
  const registry = new Registry();
  const m = createAcmeMetrics(registry);
  createAcmeMetrics(registry);
  m.observeRequest({ url: 'https://ca.example:14000/my-order/abcdefghijklmnopq', method: 'post', status: 200, durationSeconds: 0.01 });
  const text = await registry.metrics();
  assert.match(text, /certmanager_http_acme_client_request_count\{scheme="https",host="ca\.example:14000",path="\/my-order",method="POST",status="200"\} 1/);
  assert.match(
    text,
    /certmanager_http_acme_client_request_duration_seconds_count\{scheme="https",host="ca\.example:14000",path="\/my-order",method="POST",status="200"\} 1/,
  );
});
