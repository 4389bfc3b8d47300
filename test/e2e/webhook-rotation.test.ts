// The webhook's serving certificate is rotated while requests keep coming: no request fails,
// clients on new connections see the new certificate, and it verifies against the CA in caBundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { Resources } from '../../api/resources.ts';
import { KubeApiError } from '../../lib/kube/client.ts';
import { admissionReview, INGRESS_KIND } from '../webhook/admission.ts';
import { freePort } from '../services/ports.ts';
import { getTestCluster, runName } from './cluster.ts';
import { registerLocalWebhook, runLocalWebhook } from './local-webhook.ts';
import { clientFor } from '../fixtures.ts';

// Renewed after a third of the lifetime: a new certificate every ~3 s, with 6 s of slack for a
// renewal delayed by a busy machine (the load, the API server and the webhook share one process).
const VALIDITY_MS = 9_000;
const RENEW_AT = 1 / 3;
const LOAD_MS = 10_000;
// Per run, so a real cluster can be reused: the Ingresses' namespace, the webhook's own namespace, its configuration.
const NS = runName('rotation');
const CERTGATE_NS = runName('certgate');
const CONFIG_NAME = runName('rotation-webhook');

const badIngress = (name: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: NS },
  spec: { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['b.example.com'], secretName: 's' }] },
});

test('serving certificate rotation during a load run drops no request', { timeout: 90_000 }, async () => {
  const cluster = await getTestCluster();
  const client = clientFor(cluster.kubeconfigPath);
  const port = await freePort();
  await cluster.createNamespace(NS);
  await cluster.createNamespace(CERTGATE_NS);
  await registerLocalWebhook(cluster, {
    name: CONFIG_NAME,
    port,
    namespaces: [NS],
    validate: [{ apiGroups: ['networking.k8s.io'], resources: ['ingresses'] }],
  });
  const webhook = await runLocalWebhook(cluster.kubeconfigPath, {
    configName: CONFIG_NAME,
    port,
    namespace: CERTGATE_NS,
    client,
    config: { certValidityHours: VALIDITY_MS / 3_600_000 },
    checkIntervalMs: 200,
    renewAtFraction: RENEW_AT,
  });
  const ca = webhook.rotator.bundle!.caCertPem;
  const serials = new Set<string>();
  const failures: string[] = [];
  let direct = 0;
  let viaApiServer = 0;
  const body = JSON.stringify(admissionReview(INGRESS_KIND, badIngress('x'), { namespace: NS }));
  const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 2 });

  // One request straight at the webhook; fresh=true forces a new TLS handshake (sees the current certificate).
  const post = (fresh: boolean) =>
    new Promise<void>((resolve) => {
      const req = https.request(
        `https://127.0.0.1:${port}/validate`,
        { method: 'POST', ca, agent: fresh ? false : keepAlive, headers: { 'content-type': 'application/json' } },
        (res) => {
          if (fresh) serials.add((res.socket as TLSSocket).getPeerCertificate().serialNumber);
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            if (res.statusCode !== 200 || JSON.parse(text).response?.allowed !== false) failures.push(`direct: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
            direct++;
            resolve();
          });
        },
      );
      req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        failures.push(`direct: ${e.message}`);
        resolve();
      });
      req.end(body);
    });

  // Through the API server, which trusts the webhook only through caBundle.
  const viaApi = async (i: number) => {
    try {
      await client.create(Resources.Ingress, badIngress(`load-${i}`) as any, { dryRun: true });
      failures.push('api: a bad Ingress was admitted');
    } catch (e) {
      if (!(e instanceof KubeApiError) || !/\[tls-host-not-in-rules\]/.test(e.message)) failures.push(`api: ${(e as Error).message}`);
    }
    viaApiServer++;
  };

  try {
    const stopAt = Date.now() + LOAD_MS;
    const loop = async (one: (i: number) => Promise<void>) => {
      for (let i = 0; Date.now() < stopAt; i++) await one(i);
    };
    await Promise.all([loop(() => post(false)), loop(() => post(false)), loop(() => post(true)), loop(() => post(true)), loop(viaApi), loop(viaApi)]);
  } finally {
    keepAlive.destroy();
    await webhook.stop();
    await cluster.stop();
  }
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${direct + viaApiServer} requests failed`);
  assert.ok(serials.size >= 3, `expected at least 3 serving certificates during the run, saw ${serials.size}`);
  assert.ok(direct > 100 && viaApiServer > 20, `load too small: ${direct} direct, ${viaApiServer} through the API server`);
});
