// Gateway API served but not readable by the worker (a chart without its RBAC): no Gateway cache is
// started, so /readyz is not held down by caches that can never list; once the permissions are
// granted, the next look starts watching. Against the embedded API server with RBAC enforced.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startApiServer, type EmbeddedApiServer } from '../test/apiserver/index.ts';
import { installGatewayApiCrds } from '../test/gateway-api/install.ts';
import { Resources } from '../api/resources.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { childLogger } from '../lib/log.ts';
import type { WorkerContext } from './context.ts';
import { createGatewayApiSupport, type GatewayApiSupport } from './gateway-api.ts';
import { createQueueController } from './controller.ts';
import { realClock } from '../lib/clock.ts';
import { createWorkerMetrics } from '../lib/metrics/worker.ts';
import { grantRole } from '../test/fixtures.ts';

const NS = 'apps';

describe('Gateway API served but not permitted', { timeout: 60_000 }, () => {
  let server: EmbeddedApiServer;
  let admin: KubeClient;
  let support: GatewayApiSupport | undefined;

  before(async () => {
    server = await startApiServer({ rbac: true });
    admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }));
    await installGatewayApiCrds(admin);
    await admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubernetesObject);
  });

  after(async () => {
    await support?.stop();
    await server?.stop();
  });

  it('watches nothing while Gateways and HTTPRoutes may not be listed, and starts once they may', async () => {
    const client = new KubeClient(loadKubeConfig({ kubeconfig: await server.kubeconfigFor(NS, 'certgate-controller') }));
    const ctx = {
      client,
      log: childLogger({ component: 'test' }),
      clock: realClock,
      metrics: createWorkerMetrics(),
      config: { namespace: NS, gatewayApi: { extraProtocols: [], discoveryIntervalMs: 3_600_000 } },
      caches: { certificates: { on() {} } },
    } as unknown as WorkerContext;
    let shims = 0;
    support = createGatewayApiSupport(ctx, () => {
      shims++;
      return createQueueController(ctx, { name: 'gateway-shim', initialKeys: () => [], reconcile: async () => {} });
    });
    support.start();
    await support.check();
    assert.equal(support.caches(), undefined, 'no caches without permission');
    assert.deepEqual(support.stale(1), []);
    assert.equal(shims, 0);

    await grantRole(admin, NS, 'gateway-api', 'certgate-controller', [
      { apiGroups: ['gateway.networking.k8s.io'], resources: ['gateways', 'httproutes'], verbs: ['get', 'list', 'watch'] },
    ]);
    await support.check();
    assert.ok(support.caches()?.gateways.synced, 'the Gateway cache listed');
    assert.equal(shims, 1);
  });
});
