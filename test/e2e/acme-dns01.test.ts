// DNS-01 end to end against pebble and BIND: cert-manager's webhook solver API through the API
// server's aggregation layer (APIService -> ExternalName Service -> test solver writing into BIND),
// RFC 2136 with `cnameStrategy: Follow` into a second zone, the propagation check (a late record is
// waited for, a missing one is described), provider errors on the Challenge and the Certificate,
// the Issuer's readiness without its solver Secret, and clean-up by the finalizer after a crash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import type { Challenge } from '../../api/types.generated.ts';
import { Rfc2136Client } from '../../lib/dns/rfc2136.ts';
import { type AcmeStack } from '../services/index.ts';
import { startWebhookSolver, type WebhookSolver } from '../services/webhook-solver.ts';
import { CLUSTER_RESOURCE_NAMESPACE, runName, type TestCluster } from './cluster.ts';
import {
  chainVerifiesTo,
  challengesIn,
  createCertificateRequest,
  createIssuer,
  dnsSans,
  makeCsr,
  pebbleAcmeSpec,
  pendingMatching,
  signUntilDone,
  splitPemChain,
  startAcmeWorker,
  type AcmeWorker,
  createTsigSecret,
  rfc2136Solver,
  startStackAndCluster,
} from './acme-harness.ts';
import { waitFor } from '../fixtures.ts';

const APIService: ResourceDescriptor = { group: 'apiregistration.k8s.io', version: 'v1', kind: 'APIService', plural: 'apiservices', namespaced: false };
const NS = runName('acme-dns01');
const ZONE = 'example.test';
const DELEGATED_ZONE = 'delegated.test';
const SOLVER_SERVICE = 'test-dns-solver';

let stack: AcmeStack;
let cluster: TestCluster;
let worker: AcmeWorker;
let solver: WebhookSolver;
let dns: Rfc2136Client;

before(async () => {
  // _acme-challenge.alias.example.test is delegated by CNAME to the second zone (the acme-dns pattern)
  [stack, cluster] = await startStackAndCluster({
    bind: { zone: ZONE, recursion: true, extraZones: [DELEGATED_ZONE], records: [`_acme-challenge.alias IN CNAME alias.${DELEGATED_ZONE}.`] },
  });
  dns = new Rfc2136Client({
    nameserver: stack.bind.address,
    tsigKeyName: stack.bind.tsig.name,
    tsigAlgorithm: stack.bind.tsig.algorithm,
    tsigSecret: stack.bind.tsig.secret,
  });
  await cluster.createNamespace(NS);
  await cluster.createNamespace(CLUSTER_RESOURCE_NAMESPACE);
  const groupName = `acme-${cluster.runId}.certgate.test`;
  solver = await startWebhookSolver({ bind: stack.bind, groupName, solverName: 'bind', serviceDnsNames: [`${SOLVER_SERVICE}.${NS}.svc`] });
  // How a solver is installed: a Service and an APIService v1alpha1.<group> pointing at it. An
  // ExternalName Service reaches the solver on this machine from the embedded or a real API server.
  await cluster.client.create(Resources.Service, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: SOLVER_SERVICE, namespace: NS },
    spec: { type: 'ExternalName', externalName: 'localhost' },
  } as KubernetesObject);
  await cluster.createClusterObject(APIService, {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: `v1alpha1.${groupName}` },
    spec: {
      group: groupName,
      version: 'v1alpha1',
      service: { namespace: NS, name: SOLVER_SERVICE, port: solver.port },
      caBundle: solver.caBundle,
      groupPriorityMinimum: 1000,
      versionPriority: 15,
    },
  } as KubernetesObject);
  worker = await startAcmeWorker({ kubeconfigPath: cluster.kubeconfigPath, namespace: NS, stack });
  await createTsigSecret(worker.ctx.client, NS, 'tsig', stack.bind.tsig);
});

after(async () => {
  await worker?.stop();
  await solver?.stop();
  await cluster?.stop();
  await stack?.stop();
});

function webhookIssuer(name: string, config: Record<string, unknown>) {
  return createIssuer(
    worker.ctx.client,
    NS,
    name,
    pebbleAcmeSpec(stack, {
      privateKeySecretRef: { name: 'acme-account' },
      solvers: [{ dns01: { webhook: { groupName: solver.groupName, solverName: solver.solverName, config } } }],
    }),
  );
}

const txt = (name: string) => dns.queryTxt(name);

async function issued(crName: string, names: string[], issuer: string) {
  const { csrPem } = await makeCsr(names);
  const cr = await createCertificateRequest(worker.ctx.client, NS, crName, csrPem, { name: issuer });
  return { cr, result: await signUntilDone(worker, cr, 60_000) };
}

test('webhook solver: wildcard + apex through the aggregation layer, each TXT value presented and cleaned up on its own', async () => {
  await webhookIssuer('webhook', { publish: 'now', zoneHint: ZONE });
  const names = [`web.${ZONE}`, `*.web.${ZONE}`];
  const before = solver.requests.length;
  const { result } = await issued('webhook-1', names, 'webhook');
  assert.equal(result.state, 'issued', JSON.stringify(result));
  if (result.state !== 'issued') return;
  const chain = splitPemChain(result.certificatePem);
  assert.deepEqual(dnsSans(chain[0]), [...names].sort());
  assert.ok(chainVerifiesTo(chain, await stack.pebble.issuingRootsPem()));

  await waitFor('both values cleaned up', async () => solver.requests.slice(before).filter((r) => r.payload.request.action === 'CleanUp').length >= 2);
  const calls = solver.requests.slice(before).map((r) => r.payload.request);
  const presents = calls.filter((c) => c.action === 'Present');
  const cleanUps = calls.filter((c) => c.action === 'CleanUp');
  const keys = [...new Set(presents.map((c) => c.key))].sort();
  assert.equal(keys.length, 2, 'apex and wildcard have their own values (a repeated Present is harmless)');
  assert.deepEqual([...new Set(cleanUps.map((c) => c.key))].sort(), keys, 'each value cleaned up by its own CleanUp');
  for (const c of presents) {
    // the ChallengePayload fields cert-manager sends
    assert.equal(c.type, 'dns-01');
    assert.equal(c.dnsName, `web.${ZONE}`, 'the wildcard authorization names the base domain');
    assert.equal(c.resolvedFQDN, `_acme-challenge.web.${ZONE}.`);
    assert.equal(c.resolvedZone, `${ZONE}.`);
    assert.equal(c.resourceNamespace, NS);
    assert.equal(c.allowAmbientCredentials, false, 'Issuers get no ambient credentials');
    assert.deepEqual(c.config, { publish: 'now', zoneHint: ZONE }, 'config passed unchanged');
    assert.match(c.uid, /^[0-9a-f-]{36}$/);
  }
  const challengeUids = new Set(presents.map((c) => c.uid));
  assert.equal(challengeUids.size, 2, 'request.uid is the Challenge uid');
  assert.ok(
    solver.requests.slice(before).every((r) => r.path === `/apis/${solver.groupName}/v1alpha1/${solver.solverName}` && r.remoteUser),
    'proxied with the caller in X-Remote-User',
  );
  await waitFor('no TXT value left behind', async () => (await txt(`_acme-challenge.web.${ZONE}`)).length === 0);
});

test('propagation: a record published late is waited for, with what the nameserver answered in the Challenge status', async () => {
  await webhookIssuer('late', { publish: 'held' });
  const { csrPem } = await makeCsr([`late.${ZONE}`]);
  const cr = await createCertificateRequest(worker.ctx.client, NS, 'late-1', csrPem, { name: 'late' });
  await signUntilDone(worker, cr, 100);
  const ch = await waitFor('challenge waiting on propagation', async () =>
    (await challengesIn(worker.ctx.client, NS)).find(
      (c) => c.spec.dnsName === `late.${ZONE}` && /^Waiting for DNS-01 challenge propagation: /.test(c.status?.reason ?? ''),
    ),
  );
  assert.equal(ch.status?.state, 'pending', 'not accepted before the record is visible');
  assert.match(
    ch.status!.reason!,
    new RegExp(
      `TXT _acme-challenge\\.late\\.example\\.test: 127\\.0\\.0\\.1:${stack.bind.port} has no TXT record \\(waiting since \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\)$`,
    ),
  );
  await solver.release();
  const result = await signUntilDone(worker, cr, 60_000);
  assert.equal(result.state, 'issued', JSON.stringify(result));
});

test('propagation: a record that is never published leaves a Challenge saying what it saw', async () => {
  await webhookIssuer('never', { publish: 'never' });
  const { csrPem } = await makeCsr([`never.${ZONE}`]);
  const cr = await createCertificateRequest(worker.ctx.client, NS, 'never-1', csrPem, { name: 'never' });
  await signUntilDone(worker, cr, 100);
  // another value at the same name, so the status shows what was seen instead
  await dns.addTxt(`_acme-challenge.never.${ZONE}`, 'someone-elses-value');
  const ch = await waitFor('challenge reports the foreign value', async () =>
    (await challengesIn(worker.ctx.client, NS)).find(
      (c) => c.spec.dnsName === `never.${ZONE}` && /has 1 other TXT value, not this challenge's/.test(c.status?.reason ?? ''),
    ),
  );
  assert.equal(ch.status?.state, 'pending');
  assert.equal(ch.status?.presented, true);
  const message = await pendingMatching(worker, cr, /Waiting for DNS-01 challenge propagation/);
  assert.match(message, new RegExp(`127\\.0\\.0\\.1:${stack.bind.port} has 1 other TXT value`));
  assert.ok(!ch.status!.reason!.includes(ch.spec.key) && !ch.status!.reason!.includes('someone-elses-value'), 'TXT values are counted, not quoted');
  await dns.removeTxt(`_acme-challenge.never.${ZONE}`, 'someone-elses-value');
});

test('RFC 2136 with cnameStrategy Follow: the TXT values go to the CNAME target in the other zone', async () => {
  await createIssuer(
    worker.ctx.client,
    NS,
    'follow',
    pebbleAcmeSpec(stack, {
      privateKeySecretRef: { name: 'acme-account' },
      solvers: [rfc2136Solver(stack, stack.bind.tsig, 'tsig', { cnameStrategy: 'Follow' })],
    }),
  );
  const names = [`alias.${ZONE}`, `*.alias.${ZONE}`];
  const { csrPem } = await makeCsr(names);
  const cr = await createCertificateRequest(worker.ctx.client, NS, 'follow-1', csrPem, { name: 'follow' });
  const result = await signUntilDone(worker, cr, 60_000);
  assert.equal(result.state, 'issued', JSON.stringify(result));
  if (result.state !== 'issued') return;
  assert.deepEqual(dnsSans(splitPemChain(result.certificatePem)[0]), [...names].sort());
  // Both values (the name and its wildcard share one challenge name) went to the CNAME target, none beside the CNAME.
  const added = stack.bind.txtAdded();
  assert.ok(added.filter((n) => n === `alias.${DELEGATED_ZONE}`).length >= 2, `values added at alias.${DELEGATED_ZONE}: ${added.join(', ')}`);
  assert.ok(!added.includes(`_acme-challenge.alias.${ZONE}`), 'nothing written beside the CNAME');
  await waitFor('both values removed from the target', async () => (await txt(`alias.${DELEGATED_ZONE}`)).length === 0);
});

test('a provider error is the Challenge reason and a Warning Event on the Certificate', async () => {
  const client = worker.ctx.client;
  await createTsigSecret(client, NS, 'wrong-tsig', stack.bind.deniedTsig);
  await createIssuer(
    client,
    NS,
    'denied',
    pebbleAcmeSpec(stack, {
      privateKeySecretRef: { name: 'acme-account' },
      solvers: [rfc2136Solver(stack, stack.bind.deniedTsig, 'wrong-tsig')],
    }),
  );
  await client.create(Resources.Certificate, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'denied', namespace: NS },
    spec: { secretName: 'denied-tls', dnsNames: [`denied.${ZONE}`], issuerRef: { name: 'denied', kind: 'Issuer', group: 'cert-manager.io' } },
  } as KubernetesObject);
  const { csrPem } = await makeCsr([`denied.${ZONE}`]);
  const cr = await createCertificateRequest(client, NS, 'denied-1', csrPem, { name: 'denied' }, {}, { 'cert-manager.io/certificate-name': 'denied' });
  await signUntilDone(worker, cr, 100);
  const ch = await waitFor('challenge with the provider error', async () =>
    (await challengesIn(client, NS)).find((c: Challenge) => c.spec.dnsName === `denied.${ZONE}` && /REFUSED/.test(c.status?.reason ?? '')),
  );
  assert.match(
    ch.status!.reason!,
    /refused the update of _acme-challenge\.denied\.example\.test in zone example\.test signed with TSIG key "certgate-test-denied" .*update policy does not allow this key/,
  );
  assert.notEqual(ch.status?.presented, true, 'nothing was presented');
  const event = await waitFor('Warning Event on the Certificate', async () =>
    (await client.list<any>(Resources.Event, { namespace: NS })).items.find(
      (e) => e.involvedObject?.kind === 'Certificate' && e.involvedObject?.name === 'denied' && e.type === 'Warning',
    ),
  );
  assert.equal(event.reason, 'DNS01ProviderError');
  assert.match(event.message, /REFUSED/);
  assert.doesNotMatch(JSON.stringify(event), new RegExp(stack.bind.deniedTsig.secret.replace(/[+/=]/g, '.')), 'the TSIG secret is not in the Event');
});

test("the Issuer is not Ready while a DNS-01 solver's credentials Secret is missing", async () => {
  const issuer = await createIssuer(
    worker.ctx.client,
    NS,
    'no-secret',
    pebbleAcmeSpec(stack, {
      privateKeySecretRef: { name: 'acme-account' },
      solvers: [
        {
          dns01: {
            rfc2136: { nameserver: stack.bind.address, tsigKeyName: stack.bind.tsig.name, tsigSecretSecretRef: { name: 'missing-tsig', key: 'secret' } },
          },
        },
      ],
    }),
  );
  const readiness = await worker.backend.checkIssuer(issuer, NS);
  assert.equal(readiness.ready, false);
  assert.equal(readiness.reason, 'ErrInitIssuer');
  assert.match(readiness.message, new RegExp(`spec\\.acme\\.solvers\\[0\\]\\.dns01\\.rfc2136\\.tsigSecretSecretRef: Secret ${NS}/missing-tsig not found`));
});

test('a crash between present and clean-up: the finalizer removes exactly that TXT value on the next start', async () => {
  await webhookIssuer('crash', { publish: 'held' });
  const { csrPem } = await makeCsr([`crash.${ZONE}`]);
  const cr = await createCertificateRequest(worker.ctx.client, NS, 'crash-1', csrPem, { name: 'crash' });
  await signUntilDone(worker, cr, 100);
  const ch = await waitFor('challenge presented', async () =>
    (await challengesIn(worker.ctx.client, NS)).find((c) => c.spec.dnsName === `crash.${ZONE}` && c.status?.presented),
  );
  await worker.stop(); // the crash: nothing cleans up now
  await solver.release(); // the record is published after all
  await dns.addTxt(`_acme-challenge.crash.${ZONE}`, 'unrelated-value');
  assert.deepEqual((await txt(`_acme-challenge.crash.${ZONE}`)).sort(), [ch.spec.key, 'unrelated-value'].sort());
  // the request goes away while the worker is down; its Challenge waits on the finalizer
  await cluster.client.delete(Resources.CertificateRequest, NS, 'crash-1');
  await waitFor(
    'challenge marked for deletion',
    async () => (await cluster.client.get<Challenge>(Resources.Challenge, NS, ch.metadata.name!))?.metadata.deletionTimestamp,
  );
  worker = await startAcmeWorker({ kubeconfigPath: cluster.kubeconfigPath, namespace: NS, stack });
  await waitFor('challenge gone', async () => !(await cluster.client.get(Resources.Challenge, NS, ch.metadata.name!)), 30_000);
  assert.deepEqual(await txt(`_acme-challenge.crash.${ZONE}`), ['unrelated-value'], 'only the challenge value was removed');
  await dns.removeTxt(`_acme-challenge.crash.${ZONE}`, 'unrelated-value');
});
