// The e2e suite must be re-runnable against the same real cluster. One embedded server stands in
// for that cluster (getTestCluster in real-cluster mode pointed at it): a representative fixture
// runs, stop() cleans up, and the same fixture with the same names runs again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import { NGINX_INGRESS_CLASS, getTestCluster, runName } from './cluster.ts';

describe('TestCluster on a cluster that outlives the run', { timeout: 240_000 }, () => {
  let server: EmbeddedApiServer;
  before(async () => {
    server = await startApiServer();
  });
  after(async () => server?.stop());

  /** What an e2e file does: a namespace, a ClusterIssuer and its Event, a Certificate, an Order the worker finalizes, the shared IngressClass. */
  async function fixture(runId: string) {
    const cluster = await getTestCluster({}, { kubeconfig: server.kubeconfigPath, runId, cleanupTimeoutMs: 20_000 });
    assert.equal(cluster.real, true);
    assert.equal(cluster.embedded, null);
    const ns = await cluster.createNamespace(cluster.name('fixture'), { labels: { team: 'e2e' } });
    const issuer = cluster.name('selfsigned');
    await cluster.createClusterObject(Resources.ClusterIssuer, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: issuer },
      spec: { selfSigned: {} },
    } as KubernetesObject);
    await cluster.ensureShared(Resources.IngressClass, NGINX_INGRESS_CLASS);
    // an Event about the ClusterIssuer, in "default" where lib/events.ts puts those of cluster-scoped objects
    await cluster.client.create(Resources.Event, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${issuer}.ready`, namespace: 'default' },
      involvedObject: { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', name: issuer },
      reason: 'IsReady',
      message: 'Issuer is ready',
      type: 'Normal',
    } as KubernetesObject);
    await cluster.client.create(Resources.Certificate, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'web', namespace: ns },
      spec: { secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: issuer, kind: 'ClusterIssuer' } },
    } as KubernetesObject);
    // a finalizer only the (stopped) worker would remove: stop() must still get the namespace deleted
    await cluster.client.create(Resources.Order, {
      apiVersion: 'acme.cert-manager.io/v1',
      kind: 'Order',
      metadata: { name: 'web-1', namespace: ns, finalizers: ['acme.cert-manager.io/finalizer'] },
      spec: { request: 'LS0t', issuerRef: { name: issuer, kind: 'ClusterIssuer' } },
    } as KubernetesObject);
    return { cluster, ns, issuer };
  }

  test('name() is unique per run, on both paths', async () => {
    const embedded = await getTestCluster({}, { kubeconfig: undefined });
    try {
      assert.match(embedded.name('secrecy-e2e'), new RegExp(`^secrecy-e2e-${embedded.runId}$`));
      assert.notEqual(runName('x', 'a1'), runName('x', 'a2'));
      assert.throws(() => runName('x'.repeat(60)), /longer than 63 characters/);
    } finally {
      await embedded.stop();
    }
  });

  test('a second run with the same names succeeds; stop() removed what the first created and kept shared objects', async () => {
    const first = await fixture('rerun1');
    assert.ok(await first.cluster.client.get(Resources.Namespace, undefined, first.ns));
    await first.cluster.stop();
    const { client } = first.cluster;
    assert.equal(await client.get(Resources.Namespace, undefined, first.ns), undefined, 'namespace deleted and gone');
    assert.equal(await client.get(Resources.ClusterIssuer, undefined, first.issuer), undefined, 'ClusterIssuer deleted');
    assert.equal(await client.get(Resources.Event, 'default', `${first.issuer}.ready`), undefined, 'its Event in default deleted');
    assert.ok(await client.get(Resources.IngressClass, undefined, 'nginx'), 'shared IngressClass left alone');

    const second = await fixture('rerun1');
    assert.equal(second.ns, first.ns);
    const cert = await second.cluster.client.get<any>(Resources.Certificate, second.ns, 'web');
    assert.equal(cert.spec.issuerRef.name, second.issuer);
    await second.cluster.stop();
    assert.equal(await client.get(Resources.Namespace, undefined, second.ns), undefined);

    // a run with its own id next to a leftover from another never collides with it
    const other = await fixture('rerun2');
    const leftover = await fixture('rerun3');
    assert.notEqual(other.ns, leftover.ns);
    await other.cluster.stop();
    assert.ok(await client.get(Resources.Namespace, undefined, leftover.ns), "another run's namespace is not touched");
    await leftover.cluster.stop();
  });
});
