// The worker follows the cluster's Gateway API: started where gateway.networking.k8s.io is not
// served it runs as before (ready, Ingresses issued, nothing about Gateways asked of the API
// server), and when the CRDs are installed later it starts watching Gateways without a restart.
// On a real cluster that already has the CRDs, the "before" half is skipped (CRDs are shared
// infrastructure a test must not remove) and the rest runs unchanged.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import type { Gateway } from '../../api/gateway-api.generated.ts';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { gatewayApiServed } from '../../worker/gateway-api.ts';
import { installGatewayApiCrds } from '../gateway-api/install.ts';
import { runName } from './cluster.ts';
import { waitFor } from '../fixtures.ts';
import { selfSignedFleet, type WorkerFleet } from './issuance-helpers.ts';

const NS = runName('gateway-discovery');

describe('Gateway API found at run time', { timeout: 180_000 }, () => {
  let fleet: WorkerFleet;
  let worker: RunningWorker;
  let servedAtStart = false;

  before(
    async () => {
      fleet = await selfSignedFleet(NS);
      servedAtStart = await gatewayApiServed({ client: fleet.client });
      worker = await fleet.launch(['--no-leader-elect', '--gateway-api-discovery-interval', '300ms'], {});
    },
    { timeout: 60_000 },
  );

  after(
    async () => {
      await fleet?.stop();
    },
    { timeout: 60_000 },
  );

  test('without Gateway API the worker is ready and issues for Ingresses as before', async (t) => {
    if (servedAtStart) return t.skip('this cluster already serves Gateway API; the CRDs are shared and not removed by tests');
    const health = await waitFor('/readyz 200', async () => (await fetch(`http://127.0.0.1:${worker.healthPort}/readyz`)).status === 200, 30_000);
    assert.ok(health);
    await fleet.client.create(Resources.Ingress, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: NS, annotations: { 'cert-manager.io/issuer': 'selfsigned' } },
      spec: {
        tls: [{ hosts: ['shop.example.test'], secretName: 'shop-tls' }],
        rules: [
          { host: 'shop.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] } },
        ],
      },
    } as never);
    await waitFor('Secret shop-tls', async () => (await fleet.client.get<V1Secret>(Resources.Secret, NS, 'shop-tls'))?.data?.['tls.crt'], 60_000);
    // Still not served, and the worker's health did not turn on a missing Gateway cache.
    assert.equal(await gatewayApiServed({ client: fleet.client }), false);
    assert.equal((await fetch(`http://127.0.0.1:${worker.healthPort}/readyz`)).status, 200);
  });

  test('CRDs installed later: an annotated Gateway gets its Certificate and Secret without a worker restart', async () => {
    await installGatewayApiCrds(fleet.client);
    await fleet.client.create<Gateway>(Resources.Gateway, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: NS, annotations: { 'cert-manager.io/issuer': 'selfsigned' } },
      spec: {
        gatewayClassName: 'test',
        listeners: [
          { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'edge.example.test', tls: { mode: 'Terminate', certificateRefs: [{ name: 'edge-tls' }] } },
        ],
      },
    } as Gateway);
    const cert = await waitFor('Certificate edge-tls', () => fleet.client.get<Certificate>(Resources.Certificate, NS, 'edge-tls'), 60_000);
    assert.deepEqual(cert.spec.dnsNames, ['edge.example.test']);
    assert.equal(cert.metadata.ownerReferences?.[0]?.kind, 'Gateway');
    await waitFor('Secret edge-tls', async () => (await fleet.client.get<V1Secret>(Resources.Secret, NS, 'edge-tls'))?.data?.['tls.crt'], 60_000);
    assert.equal((await fetch(`http://127.0.0.1:${worker.healthPort}/readyz`)).status, 200, 'ready with the Gateway caches current');
  });
});
