// ACME issuance end to end against real pebble + BIND and the embedded API server:
// CertificateRequest -> Order -> Challenges -> certificate, for an Issuer and a ClusterIssuer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../../api/resources.ts';
import type { AcmeStack } from '../services/index.ts';
import { runName, type TestCluster } from './cluster.ts';
import {
  CLUSTER_RESOURCE_NAMESPACE,
  chainVerifiesTo,
  challengesIn,
  createCertificateRequest,
  createClusterIssuer,
  createIssuer,
  dnsSans,
  makeCsr,
  ordersIn,
  pebbleAcmeSpec,
  pendingMatching,
  signUntilDone,
  splitPemChain,
  type AcmeWorker,
  createTsigSecret,
  rfc2136Solver,
  startAcmeSetup,
  startAcmeWorker,
  startTestSolver,
  type AcmeSetup,
} from './acme-harness.ts';
import type { Issuer } from '../../api/types.generated.ts';
import { waitFor } from '../fixtures.ts';

let setup: AcmeSetup;
let stack: AcmeStack;
let cluster: TestCluster;
let worker: AcmeWorker;
const NS = runName('acme-issuance');
const PEBBLE_CLUSTER = runName('pebble-cluster'); // ClusterIssuer

before(async () => {
  setup = await startAcmeSetup(NS);
  ({ stack, cluster, worker } = setup);
});

after(() => setup?.stop());

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
  await waitFor(
    'solver ingresses removed',
    async () => (await client.list(Resources.Ingress, { namespace: NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' })).items.length === 0,
  );
  await waitFor(
    'solver services removed',
    async () => (await client.list(Resources.Service, { namespace: NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' })).items.length === 0,
  );

  // A new email updates the same account's contact (found again with onlyReturnExisting).
  const changed = await client.patch<Issuer>(Resources.Issuer, NS, 'pebble', { spec: { acme: { email: 'security@example.test' } } });
  const updated = await worker.backend.checkIssuer(changed, NS);
  assert.equal(updated.ready, true, updated.message);
  assert.equal((updated.status?.acme as any)?.uri, (readiness.status?.acme as any)?.uri, 'same account');
  assert.equal((updated.status?.acme as any)?.lastRegisteredEmail, 'security@example.test');

  // Calling sign again (a requeue) reuses the Order: still issued, no new ACME order.
  const again = await signUntilDone(worker, cr);
  assert.equal(again.state, 'issued');
  assert.equal(stack.pebble.newOrderCount() - ordersBefore, 1);
});

test('ClusterIssuer: account key Secret in the cluster resource namespace, reused after a restart', async () => {
  const client = worker.ctx.client;
  const ci = await createClusterIssuer(
    cluster,
    PEBBLE_CLUSTER,
    pebbleAcmeSpec(stack, { privateKeySecretRef: { name: 'cluster-acme-key', key: 'account.pem' } }) as Issuer['spec'],
  );
  const first = await worker.backend.checkIssuer(ci, CLUSTER_RESOURCE_NAMESPACE);
  assert.equal(first.ready, true, first.message);
  const secret = await client.get<any>(Resources.Secret, CLUSTER_RESOURCE_NAMESPACE, 'cluster-acme-key');
  assert.ok(secret?.data?.['account.pem'], 'account key stored under the configured entry');

  // A second worker (restart / another replica) finds the same account from the same key.
  const other = await startAcmeWorker({ kubeconfigPath: cluster.kubeconfigPath, namespace: NS, stack });
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
  const cr = await createCertificateRequest(client, NS, 'cluster-1', csrPem, { name: PEBBLE_CLUSTER, kind: 'ClusterIssuer' });
  const result = await signUntilDone(worker, cr);
  assert.equal(result.state, 'issued', JSON.stringify(result));
  if (result.state !== 'issued') return;
  const chain = splitPemChain(result.certificatePem);
  assert.deepEqual(dnsSans(chain[0]), names);
  assert.ok(chainVerifiesTo(chain, await stack.pebble.issuingRootsPem()));
});

test('DNS-01 via RFC 2136: apex and wildcard on one TXT name', async () => {
  const client = worker.ctx.client;
  await createTsigSecret(client, NS, 'tsig', stack.bind.tsig);
  await createIssuer(
    client,
    NS,
    'pebble-dns',
    pebbleAcmeSpec(stack, { privateKeySecretRef: { name: 'acme-dns-account' }, solvers: [rfc2136Solver(stack, stack.bind.tsig, 'tsig')] }),
  );
  const names = [stack.bind.zone, `*.${stack.bind.zone}`];
  const { csrPem } = await makeCsr(names);
  const cr = await createCertificateRequest(client, NS, 'wildcard-1', csrPem, { name: 'pebble-dns' });
  const result = await signUntilDone(worker, cr);
  assert.equal(result.state, 'issued', JSON.stringify(result));
  if (result.state !== 'issued') return;
  const chain = splitPemChain(result.certificatePem);
  assert.deepEqual(dnsSans(chain[0]), [...names].sort());
  assert.ok(chainVerifiesTo(chain, await stack.pebble.issuingRootsPem()));
  // Both TXT values are removed once the challenges end.
  const { Rfc2136Client } = await import('../../lib/dns/rfc2136.ts');
  const dns = new Rfc2136Client({ nameserver: stack.bind.address, tsigKeyName: stack.bind.tsig.name, tsigSecret: stack.bind.tsig.secret });
  await waitFor('TXT records removed', async () => (await dns.queryTxt(`_acme-challenge.${stack.bind.zone}`)).length === 0);
});

test('a blocked route: the challenge is not accepted, its status and the request say why; fixed route issues', async () => {
  const client = worker.ctx.client;
  const { csrPem } = await makeCsr(['blocked.example.test']);
  const cr = await createCertificateRequest(client, NS, 'blocked-1', csrPem, { name: 'pebble' });
  await setup.solver.stop(); // nothing answers on pebble's HTTP-01 port now
  let pendingMessage = '';
  try {
    await signUntilDone(worker, cr, 100); // creates the Order
    const ch = await waitFor('challenge waiting on propagation', async () =>
      (await challengesIn(client, NS)).find(
        (c) => c.spec.dnsName === 'blocked.example.test' && /^Waiting for HTTP-01 challenge propagation: /.test(c.status?.reason ?? ''),
      ),
    );
    assert.match(ch.status!.reason!, /ECONNREFUSED/);
    assert.notEqual(ch.status?.state, 'invalid');
    pendingMessage = await pendingMatching(worker, cr, /Waiting for HTTP-01 challenge propagation/);
  } finally {
    setup.solver = await startTestSolver(cluster.kubeconfigPath, stack, NS);
  }
  assert.match(pendingMessage, /ECONNREFUSED/);
  const result = await signUntilDone(worker, cr);
  assert.equal(result.state, 'issued', JSON.stringify(result));
});

test('a solver IngressClass that does not exist is named in the Challenge status', async () => {
  const client = worker.ctx.client;
  await createIssuer(
    client,
    NS,
    'wrong-class',
    pebbleAcmeSpec(stack, { privateKeySecretRef: { name: 'acme-account-key' }, solvers: [{ http01: { ingress: { ingressClassName: 'no-such-class' } } }] }),
  );
  const { csrPem } = await makeCsr(['wrong-class.example.test']);
  const cr = await createCertificateRequest(client, NS, 'wrong-class-1', csrPem, { name: 'wrong-class' });
  await signUntilDone(worker, cr, 200);
  const ch = await waitFor('challenge reports the missing class', async () =>
    (await challengesIn(client, NS)).find(
      (c) => c.spec.dnsName === 'wrong-class.example.test' && /IngressClass "no-such-class" not found/.test(c.status?.reason ?? ''),
    ),
  );
  assert.notEqual(ch.status?.state, 'valid');
  await pendingMatching(worker, cr, /IngressClass "no-such-class" not found/);
});

test('an identifier the CA rejects fails the Order with the ACME problem verbatim', async () => {
  const client = worker.ctx.client;
  const { csrPem } = await makeCsr(['bad_name.example.test']);
  const cr = await createCertificateRequest(client, NS, 'rejected-1', csrPem, { name: 'pebble' });
  const result = await signUntilDone(worker, cr);
  assert.equal(result.state, 'failed', JSON.stringify(result));
  const order = (await ordersIn(client, NS)).find((o) => o.metadata.ownerReferences?.[0]?.uid === cr.metadata.uid)!;
  assert.equal(order.status?.state, 'errored');
  assert.match(order.status?.reason ?? '', /^urn:ietf:params:acme:error:\w+: /);
  assert.ok(result.state === 'failed' && result.message.includes(order.status!.reason!));
});

test("edit in place (the ingress shim's override annotation): the challenge path is added to the user's Ingress, then removed", async () => {
  const client = worker.ctx.client;
  const rules = [
    { host: 'inplace.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
  ];
  await client.create(Resources.Ingress, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', namespace: NS },
    spec: { ingressClassName: 'nginx', rules },
  } as any);
  const { csrPem } = await makeCsr(['inplace.example.test']);
  const cr = await createCertificateRequest(
    client,
    NS,
    'inplace-1',
    csrPem,
    { name: 'pebble' },
    {},
    { 'acme.cert-manager.io/http01-override-ingress-name': 'shop' },
  );
  await setup.solver.stop(); // hold the challenge at the self-check so the route can be observed
  try {
    await signUntilDone(worker, cr, 100);
    const edited = await waitFor('challenge path on the user Ingress', async () => {
      const ing = await client.get<any>(Resources.Ingress, NS, 'shop');
      const paths = ing?.spec?.rules?.[0]?.http?.paths ?? [];
      return paths.some((p: any) => p.path.startsWith('/.well-known/acme-challenge/')) ? ing : undefined;
    });
    const challengePath = edited.spec.rules[0].http.paths.find((p: any) => p.path.startsWith('/.well-known/acme-challenge/'));
    assert.match(challengePath.backend.service.name, /^cm-acme-http-solver-/);
    const svc = await client.get<any>(Resources.Service, NS, challengePath.backend.service.name);
    assert.equal(svc?.spec?.type, 'ExternalName');
    assert.equal(svc?.spec?.externalName, `certgate-solver.${CLUSTER_RESOURCE_NAMESPACE}.svc.cluster.local`);
    const solverIngresses = await client.list(Resources.Ingress, { namespace: NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' });
    assert.equal(solverIngresses.items.length, 0, 'no temporary Ingress when editing in place');
  } finally {
    setup.solver = await startTestSolver(cluster.kubeconfigPath, stack, NS);
  }
  const result = await signUntilDone(worker, cr);
  assert.equal(result.state, 'issued', JSON.stringify(result));
  await waitFor(
    'user Ingress restored',
    async () => JSON.stringify((await client.get<any>(Resources.Ingress, NS, 'shop'))?.spec?.rules) === JSON.stringify(rules),
  );
});

test('a profile the ACME server does not offer is reported on the issuer and fails the order clearly', async () => {
  const client = worker.ctx.client;
  const issuer = await createIssuer(
    client,
    NS,
    'with-profile',
    pebbleAcmeSpec(stack, { privateKeySecretRef: { name: 'acme-account-key' }, profile: 'shortlived' }),
  );
  const readiness = await worker.backend.checkIssuer(issuer, NS);
  assert.equal(readiness.ready, false);
  assert.match(readiness.message, /does not offer profile "shortlived"/);
  const { csrPem } = await makeCsr(['profile.example.test']);
  const cr = await createCertificateRequest(client, NS, 'profile-1', csrPem, { name: 'with-profile' });
  const before = stack.pebble.newOrderCount();
  const result = await signUntilDone(worker, cr);
  assert.equal(result.state, 'failed');
  assert.match(result.state === 'failed' ? result.message : '', /does not offer profile "shortlived"/);
  assert.equal(stack.pebble.newOrderCount(), before, 'no ACME order created');
});

test('an IP address identifier is validated over HTTP-01 (solver rule without host)', async () => {
  const client = worker.ctx.client;
  const { csrPem } = await makeCsr([], ['127.0.0.1']);
  const cr = await createCertificateRequest(client, NS, 'ip-1', csrPem, { name: 'pebble' });
  const result = await signUntilDone(worker, cr);
  assert.equal(result.state, 'issued', JSON.stringify(result));
  if (result.state !== 'issued') return;
  const chain = splitPemChain(result.certificatePem);
  assert.match(chain[0].subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.ok(chainVerifiesTo(chain, await stack.pebble.issuingRootsPem()));
});
