// The Gateway API CRD fixture: installable on demand, served with the schema parts certgate reads,
// and absent from clusters whose tests do not ask for it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Gateway, HTTPRoute, ReferenceGrant } from '../../api/gateway-api.generated.ts';
import { isNotFound } from '../../lib/kube/client.ts';
import { getTestCluster, type TestCluster } from '../e2e/cluster.ts';
import { installGatewayApiCrds } from './install.ts';

describe('Gateway API CRD fixture', () => {
  let cluster: TestCluster;
  let ns: string;
  before(async () => {
    cluster = await getTestCluster();
  });
  after(async () => cluster?.stop());

  it(
    'a cluster starts without Gateway API (embedded server)',
    { skip: !!process.env.CERTGATE_E2E_KUBECONFIG || process.env.CERTGATE_E2E_REAL === '1' },
    async () => {
      await assert.rejects(cluster.client.list(Resources.Gateway, { namespace: 'default' }), (e) => isNotFound(e));
    },
  );

  it('installs v1 Gateway, v1 HTTPRoute and v1beta1 ReferenceGrant, and a second install changes nothing', async () => {
    await installGatewayApiCrds(cluster.client);
    await installGatewayApiCrds(cluster.client);
    ns = await cluster.createNamespace(cluster.name('gwapi-fixture'));
    const gw: Gateway = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'web', namespace: ns, annotations: { 'cert-manager.io/issuer': 'le' } },
      spec: {
        gatewayClassName: 'example',
        listeners: [
          { name: 'https', protocol: 'HTTPS', port: 443, hostname: 'shop.example.com', tls: { certificateRefs: [{ name: 'shop-tls' }] } },
          { name: 'http', protocol: 'HTTP', port: 80 },
        ],
      },
    };
    const stored = await cluster.client.create<KubernetesObject & Gateway>(Resources.Gateway, gw as KubernetesObject & Gateway);
    const https = stored.spec.listeners.find((l) => l.name === 'https')!;
    // the schema's defaults, which the shim and the webhook rely on
    assert.equal(https.tls?.mode, 'Terminate');
    assert.deepEqual(https.tls?.certificateRefs, [{ group: '', kind: 'Secret', name: 'shop-tls' }]);
    assert.equal(https.hostname, 'shop.example.com');

    const route: HTTPRoute = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'solver', namespace: ns },
      spec: {
        parentRefs: [{ name: 'web' }],
        hostnames: ['shop.example.com'],
        rules: [{ matches: [{ path: { type: 'Exact', value: '/.well-known/acme-challenge/token' } }], backendRefs: [{ name: 'solver', port: 8089 }] }],
      },
    };
    const storedRoute = await cluster.client.create<KubernetesObject & HTTPRoute>(Resources.HTTPRoute, route as KubernetesObject & HTTPRoute);
    assert.equal(storedRoute.spec.rules?.[0]?.matches?.[0]?.path?.value, '/.well-known/acme-challenge/token');

    const grant: ReferenceGrant = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'allow-gateways', namespace: ns },
      spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'other' }], to: [{ group: '', kind: 'Secret', name: 'shop-tls' }] },
    };
    const storedGrant = await cluster.client.create<KubernetesObject & ReferenceGrant>(Resources.ReferenceGrant, grant as KubernetesObject & ReferenceGrant);
    assert.equal(storedGrant.spec.to[0]?.name, 'shop-tls');
  });
});
