// The e2e suite may run against a real cluster (CERTGATE_E2E_KUBECONFIG) that has Certificates of its
// own: the workers the tests start watch only the test's namespace. Here a worker started the way every
// e2e test starts one issues in its namespace and leaves a Certificate, an Issuer and an annotated
// Ingress in another namespace untouched; the helpers refuse to start a worker without a namespace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Ingress, V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate, CertificateRequest, Issuer } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { startAcmeWorker } from './acme-harness.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { CLUSTER_RESOURCE_NAMESPACE, launchWorker, testWorkerConfig } from './issuance-helpers.ts';
import { clientFor, waitFor } from '../fixtures.ts';

const INSIDE = runName('scope-in');
const OUTSIDE = runName('scope-out'); // stands in for a team's namespace on a shared cluster
const FOREIGN_CLUSTER_ISSUER = runName('scope-foreign'); // stands in for a team's ClusterIssuer

function objectsIn(namespace: string): KubernetesObject[] {
  const issuer: Issuer = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'selfsigned', namespace }, spec: { selfSigned: {} } };
  const cert: Certificate = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'web', namespace },
    spec: { secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: 'selfsigned' } },
  };
  const ingress: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', namespace, annotations: { 'cert-manager.io/issuer': 'selfsigned' } },
    spec: {
      tls: [{ hosts: ['shop.example.test'], secretName: 'shop-tls' }],
      rules: [
        { host: 'shop.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] } },
      ],
    },
  };
  return [issuer, cert, ingress as KubernetesObject];
}

describe('e2e workers stay in their namespace', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  let worker: RunningWorker | undefined;

  before(
    async () => {
      cluster = await getTestCluster();
      client = clientFor(cluster.kubeconfigPath);
      for (const ns of [INSIDE, OUTSIDE, CLUSTER_RESOURCE_NAMESPACE]) await cluster.createNamespace(ns);
      // Created before the worker starts, as a cluster's own resources would be.
      for (const ns of [OUTSIDE, INSIDE]) {
        const [issuer, cert, ingress] = objectsIn(ns);
        await client.create(Resources.Issuer, issuer);
        await client.create(Resources.Certificate, cert);
        await client.create(Resources.Ingress, ingress);
      }
      // A cluster's own ClusterIssuer: not made through createClusterObject, so without the run's label.
      await client.create(Resources.ClusterIssuer, {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: FOREIGN_CLUSTER_ISSUER },
        spec: { selfSigned: {} },
      } as KubernetesObject);
      cluster.track(Resources.ClusterIssuer, FOREIGN_CLUSTER_ISSUER);
      worker = await launchWorker(cluster.kubeconfigPath, INSIDE, ['--no-leader-elect']);
    },
    { timeout: 30_000 },
  );

  after(
    async () => {
      await worker?.stop();
      await cluster?.stop();
    },
    { timeout: 30_000 },
  );

  test('issues in its namespace and touches nothing in another', async () => {
    const ready = (c: Certificate | undefined) => c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
    await waitFor('Certificate web Ready inside', async () => ready(await client.get<Certificate>(Resources.Certificate, INSIDE, 'web')));
    await waitFor('Certificate for the annotated Ingress inside', () => client.get<Certificate>(Resources.Certificate, INSIDE, 'shop-tls'));
    await worker!.whenIdle(); // everything it listed is reconciled: a worker watching every namespace would have touched the other one

    const cert = await client.get<Certificate>(Resources.Certificate, OUTSIDE, 'web');
    assert.equal(cert?.status, undefined, 'no status on the Certificate outside');
    const issuer = await client.get<Issuer>(Resources.Issuer, OUTSIDE, 'selfsigned');
    assert.equal(issuer?.status, undefined, 'no status on the Issuer outside');
    assert.equal(await client.get<V1Secret>(Resources.Secret, OUTSIDE, 'web-tls'), undefined, 'no Secret outside');
    assert.equal(await client.get<Certificate>(Resources.Certificate, OUTSIDE, 'shop-tls'), undefined, 'no Certificate for the Ingress outside');
    assert.deepEqual((await client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: OUTSIDE })).items, [], 'no CertificateRequest outside');
    const events = (await client.list<any>(Resources.Event, { namespace: OUTSIDE })).items.filter(
      (e) => e.source?.component?.startsWith('certgate') || e.reportingComponent?.startsWith('certgate'),
    );
    assert.deepEqual(
      events.map((e) => e.reason),
      [],
      'no certgate Events outside',
    );
  });

  // --cluster-issuer-selector (the run's label, see cluster.ts) keeps a cluster's own ClusterIssuers out of the worker's hands.
  test('leaves a ClusterIssuer it was not started for alone', async () => {
    await waitFor('Certificate web Ready inside', async () =>
      (await client.get<Certificate>(Resources.Certificate, INSIDE, 'web'))?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
    );
    const foreign = await client.get<KubernetesObject & { status?: unknown }>(Resources.ClusterIssuer, undefined, FOREIGN_CLUSTER_ISSUER);
    assert.equal(foreign?.status, undefined, 'no status on a ClusterIssuer the tests did not start the worker for');
  });

  test('the helpers refuse a worker without a namespace', async () => {
    assert.throws(() => testWorkerConfig(''), /need the namespace/);
    assert.throws(() => testWorkerConfig(INSIDE, ['--namespace', OUTSIDE]), /not in extraArgs/);
    assert.throws(() => testWorkerConfig(INSIDE, [`--namespace=${OUTSIDE}`]), /not in extraArgs/);
    assert.equal(testWorkerConfig(INSIDE).namespace, INSIDE);
    await assert.rejects(
      startAcmeWorker({ kubeconfigPath: cluster.kubeconfigPath, namespace: '', stack: { pebble: { httpPort: 1 }, bind: { host: '127.0.0.1', port: 1 } } }),
      /need the namespace/,
    );
  });
});
