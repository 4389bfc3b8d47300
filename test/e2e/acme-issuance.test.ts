// ACME issuance end to end against real pebble + BIND and the embedded API server:
// CertificateRequest -> Order -> Challenges -> certificate, for an Issuer and a ClusterIssuer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../../api/resources.ts';
import { startAcmeStack, type AcmeStack } from '../services/index.ts';
import { getTestCluster, type TestCluster } from './cluster.ts';
import {
  CLUSTER_RESOURCE_NAMESPACE, chainVerifiesTo, challengesIn, createCertificateRequest, createClusterIssuer, createIssuer, dnsSans, ensureNamespace,
  makeCsr, ordersIn, pebbleAcmeSpec, signUntilDone, splitPemChain, startAcmeWorker, startTestSolver, waitFor, type AcmeWorker,
} from './acme-harness.ts';
import type { SolverHandle } from '../../solver/main.ts';
import type { Issuer } from '../../api/types.generated.ts';

let stack: AcmeStack;
let cluster: TestCluster;
let worker: AcmeWorker;
let solver: SolverHandle;
const NS = 'acme-issuance';

before(async () => {
  [stack, cluster] = await Promise.all([startAcmeStack(), getTestCluster()]);
  solver = await startTestSolver(cluster.kubeconfigPath, stack);
  worker = await startAcmeWorker({ kubeconfigPath: cluster.kubeconfigPath, stack });
  await ensureNamespace(worker.ctx.client, NS);
  await ensureNamespace(worker.ctx.client, CLUSTER_RESOURCE_NAMESPACE);
});

after(async () => {
  await worker?.stop();
  await solver?.stop();
  await cluster?.stop();
  await stack?.stop();
});

test('Issuer with caBundle: account registered, HTTP-01 certificate for exactly the requested names', async () => {
  const client = worker.ctx.client;
  const issuer = await createIssuer(client, NS, 'pebble', pebbleAcmeSpec(stack));
  const readiness = await worker.backend.checkIssuer(issuer, NS);
  assert.equal(readiness.ready, true, readiness.message);
  assert.match(String((readiness.status?.acme as any)?.uri), /^https:\/\/127\.0\.0\.1:\d+\//);
  assert.equal((readiness.status?.acme as any)?.lastRegisteredEmail, 'ops@example.test');

  const names = ['www.example.test', 'api.example.test'];
  const { csrPem } = await makeCsr(names);
  const cr = await createCertificateRequest(client, NS, 'web-1', csrPem, { name: 'pebble' });
  const ordersBefore = stack.pebble.newOrderCount();
  const result = await signUntilDone(worker, cr);
  assert.equal(result.state, 'issued', JSON.stringify(result));
  if (result.state !== 'issued') return;
  const chain = splitPemChain(result.certificatePem);
  assert.ok(chain.length >= 2, 'leaf and intermediate');
  assert.deepEqual(dnsSans(chain[0]), [...names].sort());
  assert.ok(chainVerifiesTo(chain, await stack.pebble.issuingRootsPem()), 'chain verifies to pebble root');
  assert.equal(stack.pebble.newOrderCount() - ordersBefore, 1, 'exactly one ACME order');

  // One Order owned by the CertificateRequest; its Challenges and solver objects are cleaned up.
  const orders = (await ordersIn(client, NS)).filter((o) => o.metadata.ownerReferences?.[0]?.uid === cr.metadata.uid);
  assert.equal(orders.length, 1);
  assert.equal(orders[0].status?.state, 'valid');
  assert.match(orders[0].status?.url ?? '', /^https:/);
  assert.equal(orders[0].status?.authorizations?.length, 2);
  await waitFor('challenges removed', async () => (await challengesIn(client, NS)).length === 0);
  await waitFor('solver ingresses removed', async () => (await client.list(Resources.Ingress, { namespace: NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' })).items.length === 0);
  await waitFor('solver services removed', async () => (await client.list(Resources.Service, { namespace: NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' })).items.length === 0);

  // Calling sign again (a requeue) reuses the Order: still issued, no new ACME order.
  const again = await signUntilDone(worker, cr);
  assert.equal(again.state, 'issued');
  assert.equal(stack.pebble.newOrderCount() - ordersBefore, 1);
});

test('ClusterIssuer: account key Secret in the cluster resource namespace, reused after a restart', async () => {
  const client = worker.ctx.client;
  const ci = await createClusterIssuer(client, 'pebble-cluster', pebbleAcmeSpec(stack, { privateKeySecretRef: { name: 'cluster-acme-key', key: 'account.pem' } }) as Issuer['spec']);
  const first = await worker.backend.checkIssuer(ci, CLUSTER_RESOURCE_NAMESPACE);
  assert.equal(first.ready, true, first.message);
  const secret = await client.get<any>(Resources.Secret, CLUSTER_RESOURCE_NAMESPACE, 'cluster-acme-key');
  assert.ok(secret?.data?.['account.pem'], 'account key stored under the configured entry');

  // A second worker (restart / another replica) finds the same account from the same key.
  const other = await startAcmeWorker({ kubeconfigPath: cluster.kubeconfigPath, stack });
  try {
    const second = await other.backend.checkIssuer(ci, CLUSTER_RESOURCE_NAMESPACE);
    assert.equal((second.status?.acme as any)?.uri, (first.status?.acme as any)?.uri);
  } finally {
    await other.stop();
  }
  const after = await client.get<any>(Resources.Secret, CLUSTER_RESOURCE_NAMESPACE, 'cluster-acme-key');
  assert.equal(after.data['account.pem'], secret.data['account.pem'], 'key not regenerated');

  const names = ['cluster.example.test'];
  const { csrPem } = await makeCsr(names);
  const cr = await createCertificateRequest(client, NS, 'cluster-1', csrPem, { name: 'pebble-cluster', kind: 'ClusterIssuer' });
  const result = await signUntilDone(worker, cr);
  assert.equal(result.state, 'issued', JSON.stringify(result));
  if (result.state !== 'issued') return;
  const chain = splitPemChain(result.certificatePem);
  assert.deepEqual(dnsSans(chain[0]), names);
  assert.ok(chainVerifiesTo(chain, await stack.pebble.issuingRootsPem()));
});
