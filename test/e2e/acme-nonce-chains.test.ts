// With pebble rejecting half of all nonces (PEBBLE_WFE_NONCEREJECT=50), every certificate is still
// issued, and the ACME client metrics record the rejected requests with bounded path labels.
// The same pebble offers an alternate chain (PEBBLE_ALTERNATE_ROOTS=1) for the preferredChain test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { httpsGet, type AcmeStack } from '../services/index.ts';
import { X509Certificate } from 'node:crypto';
import { runName } from './cluster.ts';
import {
  chainVerifiesTo,
  createCertificateRequest,
  createIssuer,
  dnsSans,
  makeCsr,
  pebbleAcmeSpec,
  signUntilDone,
  splitPemChain,
  type AcmeWorker,
  startAcmeSetup,
  type AcmeSetup,
} from './acme-harness.ts';

const NS = runName('acme-nonce');
let setup: AcmeSetup;
let stack: AcmeStack;
let worker: AcmeWorker;

before(async () => {
  setup = await startAcmeSetup(NS, { pebbleEnv: { PEBBLE_WFE_NONCEREJECT: '50', PEBBLE_ALTERNATE_ROOTS: '1' } });
  ({ stack, worker } = setup);
});

after(() => setup?.stop());

test('PEBBLE_WFE_NONCEREJECT=50: every certificate is issued, one ACME order each', async () => {
  const client = worker.ctx.client;
  const issuer = await createIssuer(client, NS, 'pebble', pebbleAcmeSpec(stack));
  const ready = await worker.backend.checkIssuer(issuer, NS);
  assert.equal(ready.ready, true, ready.message);
  const ordersBefore = stack.pebble.newOrderCount();
  const root = await stack.pebble.issuingRootsPem();
  const requests = await Promise.all(
    [1, 2, 3, 4].map(async (i) => {
      const names = [`nonce${i}.example.test`];
      const { csrPem } = await makeCsr(names);
      return { names, cr: await createCertificateRequest(client, NS, `nonce-${i}`, csrPem, { name: 'pebble' }) };
    }),
  );
  const results = await Promise.all(requests.map(({ cr }) => signUntilDone(worker, cr, 60_000)));
  results.forEach((r, i) => {
    assert.equal(r.state, 'issued', JSON.stringify(r));
    if (r.state !== 'issued') return;
    const chain = splitPemChain(r.certificatePem);
    assert.deepEqual(dnsSans(chain[0]), requests[i].names);
    assert.ok(chainVerifiesTo(chain, root));
  });
  assert.equal(stack.pebble.newOrderCount() - ordersBefore, requests.length);

  // cert-manager's ACME client metrics: badNonce answers (400) were seen and retried.
  const text = await worker.ctx.metrics.registry.metrics();
  const host = new URL(stack.pebble.directoryUrl).host;
  assert.match(
    text,
    new RegExp(
      `certmanager_http_acme_client_request_count\\{scheme="https",host="${host.replace('.', '\\.')}",path="[^"]*",method="POST",status="400"\\} \\d+`,
    ),
  );
  assert.match(text, /certmanager_http_acme_client_request_duration_seconds_bucket\{/);
  const paths = new Set([...text.matchAll(/certmanager_http_acme_client_request_count\{[^}]*path="([^"]*)"/g)].map((m) => m[1]));
  assert.ok(paths.size <= 12, `path label stays bounded: ${[...paths].join(', ')}`);
});

test('preferredChain picks the alternate chain whose top issuer has that common name', async () => {
  const client = worker.ctx.client;
  const root1 = await httpsGet(`${stack.pebble.managementUrl}/roots/1`, stack.pebble.caBundlePem);
  assert.equal(root1.status, 200, 'pebble offers an alternate root');
  const root0 = await stack.pebble.issuingRootsPem();
  const altCn = /CN=([^\n]+)/.exec(new X509Certificate(root1.body).subject)![1];
  await createIssuer(client, NS, 'pebble-alt', pebbleAcmeSpec(stack, { privateKeySecretRef: { name: 'acme-account-key' }, preferredChain: altCn }));
  const { csrPem } = await makeCsr(['alt.example.test']);
  const cr = await createCertificateRequest(client, NS, 'alt-1', csrPem, { name: 'pebble-alt' });
  const result = await signUntilDone(worker, cr, 60_000);
  assert.equal(result.state, 'issued', JSON.stringify(result));
  if (result.state !== 'issued') return;
  const chain = splitPemChain(result.certificatePem);
  assert.ok(chainVerifiesTo(chain, root1.body), 'alternate chain chosen');
  assert.ok(!chainVerifiesTo(chain, root0), 'not the default chain');
});

test('skipTLSVerify reaches the ACME server without a caBundle; without either, the TLS error is reported', async () => {
  const client = worker.ctx.client;
  const insecure = pebbleAcmeSpec(stack, { privateKeySecretRef: { name: 'acme-account-key' }, skipTLSVerify: true });
  delete insecure.acme!.caBundle;
  const ok = await worker.backend.checkIssuer(await createIssuer(client, NS, 'insecure', insecure), NS);
  assert.equal(ok.ready, true, ok.message);
  const untrusted = pebbleAcmeSpec(stack, { privateKeySecretRef: { name: 'acme-account-key' } });
  delete untrusted.acme!.caBundle;
  const bad = await worker.backend.checkIssuer(await createIssuer(client, NS, 'untrusted', untrusted), NS);
  assert.equal(bad.ready, false);
  assert.equal(bad.reason, 'ErrRegisterACMEAccount');
  assert.match(bad.message, /certificate/i);
});
