// The webhook's view watches Gateways and ReferenceGrants only while the cluster serves them:
// none at first, picked up once the CRDs are installed, dropped when they are deleted. Embedded
// API server only: the test installs and deletes cluster-wide CRDs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import { getTestCluster, type TestCluster } from '../test/e2e/cluster.ts';
import { installGatewayApiCrds } from '../test/gateway-api/install.ts';
import { watchedClusterView, type WatchedClusterView } from './cluster-view.ts';

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(50);
  }
}

describe('webhook cluster view and the Gateway API', { skip: !!process.env.CERTGATE_E2E_KUBECONFIG || process.env.CERTGATE_E2E_REAL === '1' }, () => {
  let cluster: TestCluster;
  let view: WatchedClusterView;
  before(async () => {
    cluster = await getTestCluster();
    view = watchedClusterView(cluster.client, { gatewayApiDiscoveryIntervalMs: 100 });
    await view.start();
  });
  after(async () => {
    await view?.stop();
    await cluster?.stop();
  });

  it('starts without the Gateway API, watches it once installed, and stops when its CRDs are deleted', async () => {
    assert.equal(view.referenceGrants('apps'), undefined, 'not served: ReferenceGrants unknown');
    assert.deepEqual(view.stale(60_000), [], 'no Gateway API caches to be stale');

    await installGatewayApiCrds(cluster.client);
    const ns = await cluster.createNamespace(cluster.name('gwview'));
    await cluster.client.create(Resources.Gateway, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'edge', namespace: ns, annotations: { 'cert-manager.io/cluster-issuer': 'le' } },
      spec: {
        gatewayClassName: 'example',
        listeners: [{ name: 'https', protocol: 'HTTPS', port: 443, hostname: 'edge.example.com', tls: { certificateRefs: [{ name: 'edge-tls' }] } }],
      },
    } as KubernetesObject);
    const writers = await until('the Gateway in the Secret index', () => {
      const w = view.secretWriters(ns, 'edge-tls');
      return w.length > 0 && w;
    });
    assert.deepEqual(
      writers.map((w) => [w.kind, w.name, w.names]),
      [['Gateway', 'edge', ['edge.example.com']]],
    );
    await until('ReferenceGrants known', () => view.referenceGrants(ns) !== undefined);
    assert.deepEqual(view.stale(60_000), []);

    await cluster.client.delete(Resources.CustomResourceDefinition, undefined, 'gateways.gateway.networking.k8s.io');
    await until('the Gateway gone from the index', () => view.secretWriters(ns, 'edge-tls').length === 0);
    assert.deepEqual(view.stale(60_000), [], 'a stopped cache does not make the webhook unready');
  });
});
