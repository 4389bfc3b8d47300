// ARI, profiles and short lifetimes against pebble 2.10 (Debian sid), through the whole worker:
// 6-day certificates from the `shortlived` profile, the renewal window pebble suggests (RFC 9773),
// a window the CA moves (pebble's /set-renewal-info/, with an explanationURL), a malformed answer, renewal orders that
// carry `replaces`, and an unknown profile. The worker runs on a clock the test moves forward, so
// "three days later" takes seconds; pebble keeps real time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreV1Event, V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate, Issuer, Order } from '../../api/types.generated.ts';
import { ariCertId } from '../../lib/acme/ari.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import type { SolverHandle } from '../../solver/main.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { type AcmeStack } from '../services/index.ts';
import { runName, type TestCluster } from './cluster.ts';
import {
  acmeWorkerFlags,
  chainVerifiesTo,
  createIssuer,
  pebbleAcmeSpec,
  startTestSolver,
  prepareAcmeNamespaces,
  startStackAndCluster,
} from './acme-harness.ts';
import { launchWorker, readPair } from './issuance-helpers.ts';
import { ShiftedClock } from './shifted-clock.ts';
import { clientFor, waitFor, certificate } from '../fixtures.ts';

const NS = runName('acme-ari');
const DAY = 86_400_000;
let stack: AcmeStack;
let cluster: TestCluster;
let solver: SolverHandle;
let worker: RunningWorker;
let client: KubeClient;
const clock = new ShiftedClock();

before(async () => {
  [stack, cluster] = await startStackAndCluster({ pebbleVersion: '2.10' });
  client = clientFor(cluster.kubeconfigPath);
  await prepareAcmeNamespaces(cluster, NS);
  solver = await startTestSolver(cluster.kubeconfigPath, stack, NS);
  worker = await launchWorker(cluster.kubeconfigPath, NS, acmeWorkerFlags(stack), { clock });
  await createIssuer(client, NS, 'short', pebbleAcmeSpec(stack, { profile: 'shortlived' }));
  await client.create(Resources.Certificate, certificate(NS, 'web', { dnsNames: ['web.example.test'], issuerRef: { name: 'short' } }));
});

after(async () => {
  await worker?.stop();
  await solver?.stop();
  await cluster?.stop();
  await stack?.stop();
});

const getCert = () => client.get<Certificate>(Resources.Certificate, NS, 'web');
const leafOf = async () => {
  const s = await client.get<V1Secret>(Resources.Secret, NS, 'web-tls');
  return s?.data?.['tls.crt'] ? readPair(s).chain[0] : undefined;
};
const events = async () => (await client.list<CoreV1Event>(Resources.Event, { namespace: NS })).items.filter((e) => e.involvedObject.name === 'web');

/**
 * The Certificate once its status describes the renewal of the certificate now in the Secret: the
 * CA's window recorded and the renewal time taken from it (the readiness controller writes
 * renewalTime after the renewal-info controller writes the window).
 */
async function settledOn(certID: string) {
  return waitFor(
    `renewal information for ${certID}`,
    async () => {
      const c = await getCert();
      const info = c?.status?.renewalInfo;
      const renewal = Date.parse(c?.status?.renewalTime ?? '');
      const inWindow = renewal >= Date.parse(info?.suggestedWindowStart ?? '') && renewal <= Date.parse(info?.suggestedWindowEnd ?? '');
      return info?.certID === certID && c!.status!.renewalTimeSource === 'ARIWindow' && inWindow ? c : undefined;
    },
    60_000,
  );
}

/** The Order pebble accepted as the renewal of `certID`. */
async function orderReplacing(certID: string): Promise<Order> {
  return waitFor(
    `an Order with replaces=${certID}`,
    async () => (await client.list<Order>(Resources.Order, { namespace: NS })).items.find((o) => o.spec.replaces === certID && o.status?.state === 'valid'),
    60_000,
  );
}

test('an unknown profile makes the Issuer not Ready and names the profiles pebble offers', async () => {
  await createIssuer(client, NS, 'bogus', pebbleAcmeSpec(stack, { profile: 'tlsserver-typo' }));
  const issuer = await waitFor(
    'Issuer bogus with a Ready condition',
    async () => {
      const i = await client.get<Issuer>(Resources.Issuer, NS, 'bogus');
      return i?.status?.conditions?.find((c) => c.type === 'Ready') ? i : undefined;
    },
    60_000,
  );
  const ready = issuer.status!.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.match(ready.message ?? '', /does not offer profile "tlsserver-typo" \(advertised profiles: default, shortlived\)/);
});

test('shortlived profile: a 6-day certificate, renewal scheduled at a random point of the ARI window', async () => {
  const leaf = await waitFor('a certificate in web-tls', leafOf, 90_000);
  assert.ok(chainVerifiesTo(readPair((await client.get<V1Secret>(Resources.Secret, NS, 'web-tls'))!).chain, await stack.pebble.issuingRootsPem()));
  const lifetime = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
  assert.ok(Math.abs(lifetime - 6 * DAY) <= 60_000, `6 days, got ${lifetime / DAY} days`);
  const cert = await settledOn(ariCertId(leaf));
  const st = cert.status!;
  const [start, end, renewal] = [st.renewalInfo!.suggestedWindowStart!, st.renewalInfo!.suggestedWindowEnd!, st.renewalTime!].map(Date.parse);
  assert.equal(st.renewalTimeSource, 'ARIWindow');
  assert.ok(start <= renewal && renewal <= end, `renewal ${st.renewalTime} inside ${start}..${end}`);
  // pebble centres its window on "a third left" (day 4 of 6) with a day either side.
  assert.ok(
    Math.abs(start - (Date.parse(leaf.validFrom) + 3 * DAY)) < 60_000 && Math.abs(end - (Date.parse(leaf.validFrom) + 5 * DAY)) < 60_000,
    `window ${start}..${end}`,
  );
  assert.ok(Date.parse(st.renewalInfo!.nextCheckTime!) > clock.now(), 'asks again later (Retry-After)');
  assert.ok((await events()).some((e) => e.reason === 'RenewalWindow' && e.message?.includes(st.renewalInfo!.suggestedWindowStart!)));
});

test("a CA that leaves the common name out (Let's Encrypt's tlsserver and shortlived profiles do): stored, Ready, issued once", async () => {
  const name = 'named.example.test';
  await client.create(Resources.Certificate, certificate(NS, 'named', { commonName: name, dnsNames: [name], issuerRef: { name: 'short' } }));
  // Ready=True is the readiness controller's verdict on the stored certificate: no name found missing
  const ready = await waitFor(
    'Certificate named Ready',
    async () => {
      const c = await client.get<Certificate>(Resources.Certificate, NS, 'named');
      return c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? c : undefined;
    },
    90_000,
  );
  const leaf = readPair((await client.get<V1Secret>(Resources.Secret, NS, 'named-tls'))!).chain[0];
  assert.doesNotMatch(leaf.subject ?? '', /CN=/, 'pebble 2.10 without promoteCommonName leaves the subject empty');
  assert.equal(leaf.subjectAltName, `DNS:${name}`);
  assert.equal(ready.status!.revision, 1);
});

test('a window moved by the CA (with an explanationURL) renews at the next check, with replaces', async () => {
  const leaf = (await leafOf())!;
  const oldId = ariCertId(leaf);
  const before = await settledOn(oldId);
  const ownWindowStart = Date.parse(before.status!.renewalInfo!.suggestedWindowStart!);
  const explanationURL = 'https://ca.example.test/incidents/42';
  await stack.pebble.setRenewalInfo(leaf.toString(), {
    suggestedWindow: { start: new Date(clock.now() - 2 * 3_600_000).toISOString(), end: new Date(clock.now() - 3_600_000).toISOString() },
    explanationURL,
  });
  // Nothing changes before the next check; then the worker sees the moved window and renews at once.
  clock.advanceTo(Date.parse(before.status!.renewalInfo!.nextCheckTime!) + 1000);
  const moved = await waitFor(
    'the explanationURL in status',
    async () => {
      const c = await getCert();
      return c?.status?.renewalInfo?.explanationURL === explanationURL ? c : undefined;
    },
    60_000,
  );
  assert.equal(moved.status!.renewalInfo!.certID, oldId);
  assert.ok((await events()).some((e) => e.type === 'Warning' && e.reason === 'RenewalWindowChanged' && e.message?.includes(explanationURL)));
  const order = await orderReplacing(oldId);
  const renewed = await waitFor(
    'a new certificate in web-tls',
    async () => {
      const l = await leafOf();
      return l && ariCertId(l) !== oldId ? l : undefined;
    },
    60_000,
  );
  assert.ok(clock.now() < ownWindowStart, 'renewed days before the window the CA first suggested');
  assert.match(stack.pebble.log(), /ARI: order "[^"]+" is a replacement of/);
  assert.ok(order.metadata.name);
  assert.ok(Math.abs(Date.parse(renewed.validTo) - Date.parse(renewed.validFrom) - 6 * DAY) <= 60_000, 'still the shortlived profile');
});

test('a malformed renewalInfo answer is recorded in status and the last good window stays in force', async () => {
  const leaf = (await leafOf())!;
  const id = ariCertId(leaf);
  const before = await settledOn(id);
  await stack.pebble.setRenewalInfo(leaf.toString(), { suggestedWindow: { start: 'tomorrow', end: 'later' } });
  clock.advanceTo(Date.parse(before.status!.renewalInfo!.nextCheckTime!) + 1000);
  const after = await waitFor(
    'the failed check in status',
    async () => {
      const c = await getCert();
      return c?.status?.renewalInfo?.message ? c : undefined;
    },
    60_000,
  );
  assert.match(after.status!.renewalInfo!.message!, /fetching renewalInfo failed: renewalInfo has no valid suggestedWindow/);
  assert.equal(after.status!.renewalInfo!.suggestedWindowStart, before.status!.renewalInfo!.suggestedWindowStart);
  assert.equal(after.status!.renewalTime, before.status!.renewalTime);
  assert.equal(after.status!.renewalTimeSource, 'ARIWindow');
  assert.ok(Date.parse(after.status!.renewalInfo!.nextCheckTime!) > clock.now(), 'tries again later');
  assert.equal(ariCertId((await leafOf())!), id, 'no renewal because of it');
});

test('clock moved forward into the ARI window: renewal with replaces, in the Secret before the window ends', async () => {
  const leaf = await waitFor('the current certificate', leafOf);
  const oldId = ariCertId(leaf);
  const cert = await settledOn(oldId);
  assert.equal(cert.status!.renewalTimeSource, 'ARIWindow');
  const renewalAt = Date.parse(cert.status!.renewalTime!);
  const windowEnd = Date.parse(cert.status!.renewalInfo!.suggestedWindowEnd!);
  assert.ok(renewalAt > clock.now() + DAY, 'not due yet: days away');
  clock.advanceTo(renewalAt + 1000);
  await orderReplacing(oldId);
  await waitFor(
    'the renewed certificate in web-tls',
    async () => {
      const l = await leafOf();
      return l && ariCertId(l) !== oldId ? l : undefined;
    },
    60_000,
  );
  assert.equal((stack.pebble.log().match(/ARI: order "[^"]+" is a replacement of/g) ?? []).length >= 2, true, 'pebble accepted both renewals as replacements');
  assert.ok(!(await client.list<CoreV1Event>(Resources.Event, { namespace: NS })).items.some((e) => e.reason === 'ReplacesRefused'));
  assert.ok(
    clock.now() < windowEnd,
    `renewed at ${new Date(clock.now()).toISOString()}, before the window's end ${cert.status!.renewalInfo!.suggestedWindowEnd}`,
  );
});
