// The serving CA and certificate in a Secret shared by replicas, against the embedded API server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../../api/resources.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { patchCaBundles } from './ca-bundle.ts';
import { bundleIsConsistent, certFacts, servingNames } from './certs.ts';
import { ensureServingBundle, type ServingCertPolicy } from './secret-store.ts';
import { startTlsTestApi } from '../../test/webhook/tls-api.ts';

let api: Awaited<ReturnType<typeof startTlsTestApi>>;
let client: KubeClient;
before(async () => {
  api = await startTlsTestApi();
  client = api.client;
});
after(() => api.stop());

const HOUR = 3_600_000;
const policy = (secretName: string, extra: string[] = []): ServingCertPolicy => ({
  namespace: 'certgate',
  secretName,
  names: servingNames('certgate-webhook', 'certgate', extra),
  validityMs: 24 * HOUR,
});

test('replicas starting at once agree on one CA and certificate', async () => {
  const p = policy('race');
  const bundles = await Promise.all([1, 2, 3, 4].map(() => ensureServingBundle(client, p)));
  for (const b of bundles) {
    assert.equal(b.caCertPem, bundles[0].caCertPem);
    assert.equal(b.certPem, bundles[0].certPem);
  }
  assert.ok(bundleIsConsistent(bundles[0]));
  assert.deepEqual(certFacts(bundles[0].certPem).names, ['certgate-webhook.certgate.svc', 'certgate-webhook.certgate.svc.cluster.local']);
  const secret = await client.get<any>(Resources.Secret, 'certgate', 'race');
  assert.equal(secret.type, 'kubernetes.io/tls');
  assert.deepEqual(Object.keys(secret.data).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  // A restart reads the same bundle instead of minting a new one.
  assert.equal((await ensureServingBundle(client, p)).certPem, bundles[0].certPem);
});

test('renewal when due keeps the CA; concurrent renewals converge on one certificate', async () => {
  const p = policy('renew');
  const first = await ensureServingBundle(client, p);
  const later = new Date(Date.now() + 20 * HOUR); // past two thirds of 24h
  const renewed = await Promise.all([1, 2, 3].map(() => ensureServingBundle(client, p, later)));
  assert.notEqual(renewed[0].certPem, first.certPem);
  for (const b of renewed) assert.equal(b.certPem, renewed[0].certPem);
  assert.equal(renewed[0].caCertPem, first.caCertPem, 'CA kept: caBundle stays valid');
  assert.ok(certFacts(renewed[0].certPem).notAfter.getTime() > later.getTime() + 23 * HOUR);
});

test('a new SAN (e.g. --tls-extra-san) re-issues the certificate', async () => {
  const first = await ensureServingBundle(client, policy('sans'));
  const second = await ensureServingBundle(client, policy('sans', ['127.0.0.1']));
  assert.notEqual(second.certPem, first.certPem);
  assert.ok(certFacts(second.certPem).names.includes('127.0.0.1'));
});

test('a broken Secret is replaced with a working bundle', async () => {
  await client.create(Resources.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'broken', namespace: 'certgate' },
    data: { 'tls.crt': Buffer.from('junk').toString('base64') },
  } as any);
  const b = await ensureServingBundle(client, policy('broken'));
  assert.ok(bundleIsConsistent(b));
});

test('caBundle is patched into every webhook of both configurations', async () => {
  const hooks = (prefix: string) => [
    { name: `${prefix}.certgate.io`, admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { url: 'https://127.0.0.1:1/x' } },
  ];
  await client.create(Resources.MutatingWebhookConfiguration, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'certgate-webhook' },
    webhooks: hooks('mutate'),
  } as any);
  await client.create(Resources.ValidatingWebhookConfiguration, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'certgate-webhook' },
    webhooks: hooks('validate'),
  } as any);
  const b = await ensureServingBundle(client, policy('ca'));
  assert.deepEqual(await patchCaBundles(client, 'certgate-webhook', b.caCertPem), [
    'MutatingWebhookConfiguration/certgate-webhook',
    'ValidatingWebhookConfiguration/certgate-webhook',
  ]);
  assert.deepEqual(await patchCaBundles(client, 'certgate-webhook', b.caCertPem), [], 'idempotent');
  const v = await client.get<any>(Resources.ValidatingWebhookConfiguration, undefined, 'certgate-webhook');
  assert.equal(Buffer.from(v.webhooks[0].clientConfig.caBundle, 'base64').toString(), b.caCertPem);
  assert.deepEqual(await patchCaBundles(client, 'absent', b.caCertPem), [], 'missing configurations are skipped');
});
