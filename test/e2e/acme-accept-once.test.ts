// A 101-name Certificate through the whole worker against pebble 2.10, the case where a challenge
// was once accepted twice: pebble keeps an accepted challenge "pending" until its validation task
// runs, a second accept of a challenge that turned valid is refused ("malformed: Cannot update
// challenge with status valid"), and certgate failed the whole order and backed off an hour.
// What the user sees now: the Certificate Ready at the first attempt (one CertificateRequest, no
// failure recorded), no Challenge showing a failure, and no accept refused by the CA.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate, CertificateRequest, Challenge, Order } from '../../api/types.generated.ts';
import type { KubeClient, WatchedCache } from '../../lib/kube/client.ts';
import type { SolverHandle } from '../../solver/main.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { startAcmeStack, type AcmeStack } from '../services/index.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { acmeWorkerFlags, prepareAcmeNamespaces, createIssuer, dnsSans, pebbleAcmeSpec, startTestSolver } from './acme-harness.ts';
import { launchWorker, readPair } from './issuance-helpers.ts';
import { clientFor, waitFor } from '../fixtures.ts';

const NS = runName('accept-once');
const NAMES = Array.from({ length: 101 }, (_, i) => `n${String(i).padStart(3, '0')}.many.example.test`);
let stack: AcmeStack;
let cluster: TestCluster;
let client: KubeClient;
let solver: SolverHandle;
let worker: RunningWorker;
let challenges: WatchedCache<KubernetesObject>;
/** Challenge name -> every status.reason it was seen with (a watch delivers each write). */
const reasonsSeen = new Map<string, Set<string>>();

before(async () => {
  // One at a time, so after() stops whichever started even when the other failed.
  cluster = await getTestCluster();
  stack = await startAcmeStack({ pebbleVersion: '2.10' });
  client = clientFor(cluster.kubeconfigPath);
  await prepareAcmeNamespaces(cluster, NS);
  challenges = client.cache(Resources.Challenge, { namespace: NS });
  for (const verb of ['add', 'update'] as const) {
    challenges.on(verb, (c) => {
      const name = c.metadata!.name!;
      if (!reasonsSeen.has(name)) reasonsSeen.set(name, new Set());
      reasonsSeen.get(name)!.add((c as Challenge).status?.reason ?? '');
    });
  }
  await challenges.start();
  solver = await startTestSolver(cluster.kubeconfigPath, stack, NS);
  worker = await launchWorker(cluster.kubeconfigPath, NS, acmeWorkerFlags(stack));
  await createIssuer(client, NS, 'pebble', pebbleAcmeSpec(stack));
});

after(async () => {
  await worker?.stop();
  await solver?.stop();
  await challenges?.stop();
  await cluster?.stop();
  await stack?.stop();
});

/** certmanager_http_acme_client_request_count samples of the worker for challenge URLs, as "METHOD STATUS" -> count. */
async function challengeRequests(): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^certmanager_http_acme_client_request_count\{(.*)\} (\d+)$/.exec(line);
    if (!m || !/path="\/chalZ"/.test(m[1])) continue;
    const key = `${/method="(\w+)"/.exec(m[1])?.[1]} ${/status="(\d+)"/.exec(m[1])?.[1]}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

test('101 names: Ready at the first attempt, every challenge accepted once, none refused by the CA', { timeout: 600_000 }, async () => {
  await client.create(Resources.Certificate, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'many', namespace: NS },
    spec: { secretName: 'many-tls', dnsNames: NAMES, issuerRef: { name: 'pebble' } },
  } as Certificate);
  const cert = await waitFor(
    'the 101-name Certificate Ready',
    async () => {
      const c = await client.get<Certificate>(Resources.Certificate, NS, 'many');
      return c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? c : undefined;
    },
    480_000,
    500,
  );

  const pair = readPair((await client.get<V1Secret>(Resources.Secret, NS, 'many-tls'))!);
  assert.deepEqual(dnsSans(pair.chain[0]), [...NAMES].sort());
  // One attempt: no failure recorded, one CertificateRequest, one valid Order.
  assert.equal(cert.status?.lastFailureTime, undefined, 'no failed issuance');
  assert.equal(cert.status?.failedIssuanceAttempts ?? 0, 0);
  const requests = (await client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS })).items;
  assert.equal(requests.length, 1, requests.map((r) => r.metadata.name).join(', '));
  const orders = (await client.list<Order>(Resources.Order, { namespace: NS })).items;
  assert.deepEqual(
    orders.map((o) => o.status?.state),
    ['valid'],
  );

  // No Challenge ever showed a failure (waiting for its route is none). Its status shows the
  // accept while the CA takes longer than a poll interval, else the CA's verdict; a Challenge
  // whose verdict the Order saw first is deleted with the Order complete before writing either
  // (worker/acme/challenges/reconcile.ts).
  assert.equal(reasonsSeen.size, NAMES.length);
  const failed = [...reasonsSeen]
    .filter(([, reasons]) => [...reasons].some((r) => r !== '' && !/^Accepted challenge|^Waiting for|^Successfully authorized domain$/.test(r)))
    .map(([n, reasons]) => `${n}: ${[...reasons].join(' | ')}`);
  assert.deepEqual(failed, []);
  // The CA refused no request on a challenge URL (a second accept is a 400 "malformed").
  const counted = await challengeRequests();
  assert.ok((counted.get('POST 200') ?? 0) >= NAMES.length, JSON.stringify([...counted]));
  assert.deepEqual(
    [...counted.keys()].filter((k) => !/ 2\d\d$/.test(k)),
    [],
    JSON.stringify([...counted]),
  );
});
