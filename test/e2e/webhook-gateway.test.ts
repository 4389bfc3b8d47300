// The admission webhook's Gateway rules end to end: kubectl -> API server (with the upstream
// Gateway API CRDs) -> certgate webhook. A Gateway and an Ingress asking for the same Secret are
// refused in both orders, as are the other listener mistakes; transparent TLS fills in a bare
// HTTPS listener. Runs against the embedded API server, or a real cluster through
// CERTGATE_E2E_KUBECONFIG (Gateway API CRDs installed there are used as they are).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { RunningWebhook } from '../../webhook/main.ts';
import { installGatewayApiCrds } from '../gateway-api/install.ts';
import { freePort } from '../services/ports.ts';
import { ingress, ingressRule, kubectlFor, waitFor, type Kubectl } from '../fixtures.ts';
import { createAcmeClusterIssuer, registerLocalWebhook, runLocalWebhook } from './local-webhook.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';

const NS = { plain: runName('whgw-plain'), auto: runName('whgw-auto'), certs: runName('whgw-certs') };
const CERTGATE_NS = runName('whgw-certgate');
const ISSUER = runName('whgw-le');
const CI = { 'cert-manager.io/cluster-issuer': ISSUER };

const GATEWAY_WEBHOOK_RULES = [
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'] },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['gateways'] },
];

const listener = (name: string, hostname: string, secret?: string, namespace?: string) => ({
  name,
  protocol: 'HTTPS',
  port: 443,
  hostname,
  ...(secret ? { tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: secret, ...(namespace ? { namespace } : {}) }] } } : {}),
});
const gateway = (namespace: string, name: string, listeners: unknown[], annotations: Record<string, string> = {}) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace, annotations },
  spec: { gatewayClassName: 'example', listeners },
});

describe('admission webhook: Gateway rules through the API server', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let webhook: RunningWebhook;
  let cacheDir: string;
  const configName = runName('whgw-certgate-webhook');

  let apply: Kubectl['apply'];
  /** The webhook learns of earlier objects through its watch: retry a dry run until it answers with a denial. */
  const refusedOnceCached = async (obj: unknown) => {
    const last = await waitFor('the webhook to refuse', async () => {
      const r = await apply(obj, '--dry-run=server');
      return r.code !== 0 && r;
    });
    const real = await apply(obj);
    assert.notEqual(real.code, 0, 'refused without --dry-run too');
    assert.equal(real.stderr, last.stderr);
    return last.stderr;
  };

  before(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'certgate-kubectl-'));
    cluster = await getTestCluster();
    ({ apply } = kubectlFor(cluster.kubeconfigPath, cacheDir));
    await installGatewayApiCrds(cluster.client);
    await cluster.createNamespace(CERTGATE_NS);
    await cluster.createNamespace(NS.plain);
    await cluster.createNamespace(NS.certs);
    await cluster.createNamespace(NS.auto, {
      labels: { 'certgate.io/tls': 'enforce' },
      annotations: { 'certgate.io/default-issuer': `ClusterIssuer.${ISSUER}` },
    });
    await createAcmeClusterIssuer(cluster, ISSUER, true);
    const port = await freePort();
    await registerLocalWebhook(cluster, {
      name: configName,
      port,
      namespaces: Object.values(NS),
      validate: GATEWAY_WEBHOOK_RULES,
      mutate: GATEWAY_WEBHOOK_RULES,
    });
    webhook = await runLocalWebhook(cluster.kubeconfigPath, { configName, port, namespace: CERTGATE_NS, client: cluster.client });
    assert.ok(webhook.view.gatewayApi?.get(Resources.Gateway), 'the webhook watches Gateways: the CRDs were there when it started');
  });

  after(async () => {
    await webhook?.stop();
    await cluster?.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  test('a Gateway and an Ingress writing the same Secret are refused, whichever comes second', async () => {
    const gw = await apply(gateway(NS.plain, 'edge', [listener('https', 'edge.example.com', 'edge-tls')], CI));
    assert.equal(gw.code, 0, gw.stderr);
    const sameSecret = ingress(
      NS.plain,
      'shop',
      { rules: [ingressRule('shop.example.com')], tls: [{ hosts: ['shop.example.com'], secretName: 'edge-tls' }] },
      CI,
    );
    assert.match(
      await refusedOnceCached(sameSecret),
      /\[secret-name-conflict\] spec\.tls\[0\]\.secretName "edge-tls": Gateway "edge" also requests a certificate into this Secret/,
    );
    assert.equal(await cluster.client.get(Resources.Ingress, NS.plain, 'shop'), undefined, 'nothing stored');

    const ing = await apply(
      ingress(NS.plain, 'blog', { rules: [ingressRule('blog.example.com')], tls: [{ hosts: ['blog.example.com'], secretName: 'blog-tls' }] }, CI),
    );
    assert.equal(ing.code, 0, ing.stderr);
    const gwSecond = gateway(NS.plain, 'blog-gw', [listener('https', 'blog.example.com', 'blog-tls')], CI);
    assert.match(
      await refusedOnceCached(gwSecond),
      /\[secret-name-conflict\] spec\.listeners\[0\]\.tls\.certificateRefs\[0\]\.name "blog-tls": Ingress "blog" also requests a certificate into this Secret/,
    );
    assert.equal(await cluster.client.get(Resources.Gateway, NS.plain, 'blog-gw'), undefined, 'nothing stored');
  });

  test('an HTTPS listener with no certificateRefs and no issuer annotation is refused', async () => {
    const r = await apply(gateway(NS.plain, 'bare', [listener('https', 'bare.example.com')]));
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /admission webhook "validate\.certgate\.io" denied the request: certgate: \[listener-certificate-missing\] spec\.listeners\[0\]\.tls\.certificateRefs "https"/,
    );
  });

  test('a Secret in another namespace needs a ReferenceGrant there', async () => {
    const gw = gateway(NS.plain, 'shared', [listener('https', 'shared.example.com', 'wildcard-cert', NS.certs)]);
    const denied = await apply(gw, '--dry-run=server');
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      new RegExp(
        `\\[certificate-ref-not-permitted\\] spec\\.listeners\\[0\\]\\.tls\\.certificateRefs\\[0\\]\\.namespace "${NS.certs}": no ReferenceGrant in namespace "${NS.certs}"`,
      ),
    );
    await cluster.client.create(Resources.ReferenceGrant, {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'gateways', namespace: NS.certs },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: NS.plain }],
        to: [{ group: '', kind: 'Secret', name: 'wildcard-cert' }],
      },
    } as KubernetesObject);
    await waitFor('the Gateway to be accepted once the grant is cached', async () => (await apply(gw)).code === 0);
    assert.ok(await cluster.client.get(Resources.Gateway, NS.plain, 'shared'), 'stored');
  });

  test('transparent TLS: a bare HTTPS listener in a namespace labelled enforce gets a Secret and the default issuer', async () => {
    const r = await apply(
      gateway(NS.auto, 'site', [{ name: 'http', protocol: 'HTTP', port: 80, hostname: 'site.example.com' }, listener('https', 'site.example.com')]),
    );
    assert.equal(r.code, 0, r.stderr);
    const stored = await cluster.client.get<any>(Resources.Gateway, NS.auto, 'site');
    assert.deepEqual(stored.spec.listeners[1].tls.certificateRefs, [{ group: '', kind: 'Secret', name: 'site-tls' }]);
    assert.equal(stored.spec.listeners[0].tls, undefined, 'the HTTP listener is left alone');
    assert.equal(stored.metadata.annotations['cert-manager.io/cluster-issuer'], ISSUER);
  });
});
