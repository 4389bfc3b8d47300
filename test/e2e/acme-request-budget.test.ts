// The Kubernetes API requests the whole worker sends for one ACME certificate (HTTP-01), first
// issued and then renewed (`certgate renew`, as in a running cluster whose Secret is labelled and
// cached), counted per route on the embedded API server for the worker's own identity (the
// counter of bench/traffic.ts): a request that comes back, or a Secret GET that a cache or our own
// write answers, fails here and not only in the bench. Events are left out (cert-manager's own,
// kept for `kubectl describe` parity). Each window ends on positive signs that the issuance is
// over (Ready, no next key, no Challenge or solver object left, the worker idle). The ACME account
// key Secret is watched once registered (lib/acme/accounts.ts), so neither an issuance nor a lone
// renewal reads it; a deleted one is noticed by that watch. Embedded server only: a real cluster
// cannot tell the worker's requests apart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate, CertificateRequest, Challenge, Issuer } from '../../api/types.generated.ts';
import { loadKubeConfig, type KubeClient } from '../../lib/kube/client.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { ApiTrafficCounter, routesPerItem } from '../../bench/traffic.ts';
import { triggerRenewal } from '../../cli/renew.ts';
import { startAcmeStack, type AcmeStack } from '../services/index.ts';
import { getTestCluster, realClusterKubeconfig, runName, type TestCluster } from './cluster.ts';
import { acmeWorkerFlags, createIssuer, pebbleAcmeSpec, prepareAcmeNamespaces, startTestSolver } from './acme-harness.ts';
import { testWorkerConfig, workerCaughtUp } from './issuance-helpers.ts';
import type { SolverHandle } from '../../solver/main.ts';
import { clientFor, waitFor, certificate, isReady } from '../fixtures.ts';

const NS = runName('acme-requests');
const traffic = new ApiTrafficCounter();
/** Paths of the Secrets the worker read (GET) so far. */
const secretReads: string[] = [];
let stack: AcmeStack;
let cluster: TestCluster;
let solver: SolverHandle;
let worker: RunningWorker;
let client: KubeClient;
let workerToken = '';
let accountKeySecret = '';

before(async () => {
  const onRequest: typeof traffic.onRequest = (method, url, req) => {
    traffic.onRequest(method, url, req);
    if (method === 'GET' && req.headers.authorization === `Bearer ${workerToken}` && /\/secrets\/[^/?]+/.test(url))
      secretReads.push(new URL(url, 'https://x').pathname);
  };
  [stack, cluster] = await Promise.all([startAcmeStack(), getTestCluster({ onRequest })]);
  if (!cluster.embedded) return;
  client = clientFor(cluster.kubeconfigPath);
  await prepareAcmeNamespaces(cluster, NS);
  solver = await startTestSolver(cluster.kubeconfigPath, stack, NS);
  // Its own ServiceAccount token: the server counts the worker's requests apart from ours and the solver's.
  const workerKubeConfig = loadKubeConfig({ kubeconfig: await cluster.embedded.kubeconfigFor(NS, 'certgate-worker') });
  workerToken = workerKubeConfig.getCurrentUser()?.token ?? '';
  // A long poll interval: the Challenge's and the Order's `processing` (written only when the CA
  // takes longer than one, as on a loaded machine) would count 1 to 3 more.
  worker = await startWorker(testWorkerConfig(NS, acmeWorkerFlags(stack, '--acme-backoff-min-ms', '2000')), workerKubeConfig);
  const issuer = pebbleAcmeSpec(stack);
  accountKeySecret = issuer!.acme!.privateKeySecretRef.name;
  await createIssuer(client, NS, 'pebble', issuer);
});

after(async () => {
  await worker?.stop();
  await solver?.stop();
  await cluster?.stop();
  await stack?.stop();
});

/** The issuance of `name` is over: Ready at `revision`, nothing in progress, nothing temporary left, the worker idle. */
async function issuanceOver(name: string, revision: number): Promise<void> {
  await waitFor(`Certificate ${name} issued to the end (revision ${revision})`, async () => {
    const cert = await client.get<Certificate>(Resources.Certificate, NS, name);
    const issuing = cert?.status?.conditions?.some((c) => c.type === 'Issuing');
    if (!isReady(cert) || cert?.status?.revision !== revision || issuing || cert?.status?.nextPrivateKeySecretName) return false;
    const [challenges, secrets, requests, services, ingresses] = await Promise.all([
      client.list<Challenge>(Resources.Challenge, { namespace: NS }),
      client.list<V1Secret>(Resources.Secret, { namespace: NS, labelSelector: 'cert-manager.io/next-private-key' }),
      client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS }),
      client.list(Resources.Service, { namespace: NS }),
      client.list(Resources.Ingress, { namespace: NS }),
    ]);
    const ownRequests = requests.items.filter((r) => r.metadata?.annotations?.['cert-manager.io/certificate-name'] === name);
    return challenges.items.length + secrets.items.length + services.items.length + ingresses.items.length === 0 && ownRequests.length === 1;
  });
  await workerCaughtUp(worker, client, NS, name);
}

/** The worker's requests per route while `step` runs (Events left out), and its reads of the ACME account key Secret. */
async function requestsDuring(step: () => Promise<void>): Promise<Map<string, number> & { accountKeyReads: number }> {
  const before = traffic.routes(workerToken);
  const readsBefore = secretReads.length;
  await step();
  const routes = new Map(routesPerItem(traffic.routes(workerToken), before, 1).filter(([route]) => !/^(POST|PATCH) events\b/.test(route)));
  const accountKeyReads = secretReads.slice(readsBefore).filter((path) => path.endsWith(`/secrets/${accountKeySecret}`)).length;
  return Object.assign(routes, { accountKeyReads });
}

const total = (routes: Map<string, number>) => [...routes.values()].reduce((a, b) => a + b, 0);
const show = (routes: Map<string, number>) => [...routes].map(([r, n]) => `${r} ${n}`).join(', ');

const skip = realClusterKubeconfig() ? 'counts requests on the embedded API server' : false;

test('one ACME certificate: at most 22 requests to issue it and 22 to renew it, its Secret read at most once', { skip }, async () => {
  await waitFor('ACME Issuer Ready', async () => isReady(await client.get<Issuer>(Resources.Issuer, NS, 'pebble')), 30_000);
  // The first certificate registers the ACME account (its key Secret and more): not per certificate.
  await client.create(
    Resources.Certificate,
    certificate(NS, 'warmup', { secretName: 'warmup-tls', dnsNames: ['warmup.example.test'], issuerRef: { name: 'pebble' } }),
  );
  await issuanceOver('warmup', 1);

  const spec = { secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: 'pebble' }, privateKey: { algorithm: 'ECDSA' as const } };
  const first = await requestsDuring(async () => {
    await client.create(Resources.Certificate, certificate(NS, 'web', spec));
    await issuanceOver('web', 1);
  });
  // Where they go (cert-manager sends each of these too, and more): 2 Certificate status writes, one
  // Secret GET (not yet known to exist), next key Secret create and delete, the request, the Secret;
  // request status 3 (approved and pending, the Order's `ready`, issued); Order create and 3 status
  // writes (pending, ready, valid); Challenge create, status, finalizer, delete; the solver's Service
  // and Ingress created and deleted.
  assert.equal(first.accountKeyReads, 0, `the ACME account key Secret is not read again: ${show(first)}`);
  assert.ok((first.get('GET secrets') ?? 0) <= 1, `first issuance reads the Secret once at most: ${show(first)}`);
  assert.ok(total(first) <= 22, `first issuance: ${total(first)} requests: ${show(first)}`);

  const renewal = await requestsDuring(async () => {
    const outcome = await triggerRenewal(client, { namespace: NS, name: 'web' }, Date.now(), async () => undefined);
    assert.equal(outcome.action, 'triggered');
    await issuanceOver('web', 2);
  });
  // The Secret is labelled and cached now: no GET. The previous revision's request is deleted
  // (revisionHistoryLimit 1, cert-manager's default) and the Secret replaced instead of created.
  assert.equal(renewal.get('GET secrets') ?? 0, 0, `a renewal reads no Secret from the server, the account key's neither: ${show(renewal)}`);
  assert.ok(total(renewal) <= 22, `renewal: ${total(renewal)} requests: ${show(renewal)}`);
});

test('the ACME account key Secret deleted: the watch notices, a new key and account are made (as cert-manager) and issuance goes on', { skip }, async () => {
  const keyOf = async () => (await client.get<V1Secret>(Resources.Secret, NS, accountKeySecret))?.data?.['tls.key'];
  const accountOf = async () => (await client.get<Issuer>(Resources.Issuer, NS, 'pebble'))?.status?.acme?.uri;
  const [keyBefore, accountBefore] = [await keyOf(), await accountOf()];
  assert.ok(keyBefore && accountBefore, 'registered');
  await client.delete(Resources.Secret, NS, accountKeySecret);
  // The Issuer's check asks for its client; touched until the worker (its watch) has heard of the deletion.
  let touch = 0;
  const keyAfter = await waitFor('the account key Secret made again', async () => {
    await client.patch(Resources.Issuer, NS, 'pebble', { metadata: { labels: { touch: String(++touch) } } });
    return keyOf();
  });
  assert.notEqual(keyAfter, keyBefore, 'a new account key, not the forgotten one');
  await waitFor('the Issuer names the new ACME account', async () => ((await accountOf()) !== accountBefore ? true : undefined));
  await client.create(
    Resources.Certificate,
    certificate(NS, 'after-delete', { secretName: 'after-delete-tls', dnsNames: ['after-delete.example.test'], issuerRef: { name: 'pebble' } }),
  );
  await issuanceOver('after-delete', 1);
});
