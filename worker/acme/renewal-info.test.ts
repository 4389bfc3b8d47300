// The renewal-information (ARI) controller as a table: a Certificate, its Secret, its issuer and what
// the CA answers in; status.renewalInfo written, the Event and the next check (the requeue) out.
// The CA is a stand-in at the ACME transport: its directory (with or without renewalInfo) and its
// answer to the renewalInfo GET; lib/acme/ari.ts's parsing and the real CA are tested elsewhere
// (lib/acme/ari.test.ts, the pebble e2e tests).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Certificate, Issuer } from '../../api/types.generated.ts';
import { fakeWorker, Resources, type FakeWorker } from '../../test/worker/fake-context.ts';
import { issuedPair, type IssuedPair } from '../../test/worker/issued-pair.ts';
import { NS, NAME, DNS_NAME, DAY, certificate, issuedSecret, certificateTable, type TableCase } from '../../test/worker/certificate-table.ts';
import { ariCertId } from '../../lib/acme/ari.ts';
import { parsePrivateKeyPem } from '../../lib/pki/index.ts';
import { toCryptoKeyPair, x509 } from '../../lib/pki/webcrypto.ts';
import type { WorkerContext } from '../context.ts';
import type { AcmeContext, AcmeRuntime } from './runtime.ts';
import { createRenewalInfoController } from './renewal-info.ts';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const SIX_HOURS = 6 * HOUR; // a 360th of the 90-day lifetime: the shortest time between checks
const WINDOW = { start: '2026-04-01T00:00:00Z', end: '2026-04-03T00:00:00Z' };
const MOVED = { start: '2026-03-02T00:00:00Z', end: '2026-03-03T00:00:00Z' };

/** What the CA does: offer renewalInfo in its directory or not, and answer the GET (or fail to). */
interface CaAnswer {
  offersAri?: boolean;
  status?: number;
  body?: unknown;
  retryAfter?: string;
  fails?: Error;
}

/** The CA as the ACME client of the issuer sees it, counting the renewalInfo GETs. */
function fakeCa(answer: CaAnswer) {
  const asked: string[] = [];
  const client = {
    http: {
      getDirectory: async () => (answer.offersAri === false ? { newOrder: 'https://ca.test/new-order' } : { renewalInfo: 'https://ca.test/renewal-info/' }),
      request: async (url: string) => {
        asked.push(url);
        if (answer.fails) throw answer.fails;
        return { status: answer.status ?? 200, data: answer.body, headers: answer.retryAfter ? { 'retry-after': answer.retryAfter } : {} };
      },
    },
  };
  const accounts = { clientFor: async () => ({ client }) };
  return { asked, withAcme: (ctx: WorkerContext): AcmeContext => ({ ...ctx, acme: { accounts } as unknown as AcmeRuntime }) };
}

const acmeIssuer = (spec: Issuer['spec'] = { acme: { server: 'https://ca.test/dir', privateKeySecretRef: { name: 'acct' }, solvers: [] } }): Issuer => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Issuer',
  metadata: { name: 'ca', namespace: NS },
  spec,
});
const windowBody = (w = WINDOW, explanationURL?: string) => ({ suggestedWindow: w, ...(explanationURL ? { explanationURL } : {}) });
const renewalInfo = (s: FakeWorker) => s.stored<Certificate>(Resources.Certificate, NS, NAME)!.status?.renewalInfo;

interface Case extends Omit<TableCase, 'objects'> {
  objects: (id: string) => KubernetesObject[];
  answer?: CaAnswer;
  /** renewalInfo GETs made. */
  asked?: number;
  /** status.renewalInfo afterwards, apart from the check times (given as lastCheck/nextCheck offsets from now). */
  recorded?: (id: string) => Record<string, unknown> | undefined;
}

describe('renewal information (ARI) controller', () => {
  let current: IssuedPair; // in the Secret: issued 10 days ago for 90 days
  let id = '';
  let withoutAki: string; // a certificate without an authority key identifier, so without an ARI id
  before(async () => {
    current = await issuedPair([DNS_NAME], NOW - 10 * DAY, 90 * DAY);
    id = ariCertId(new X509Certificate(current.cert));
    const keys = await toCryptoKeyPair(parsePrivateKeyPem(current.key));
    const bare = await x509.X509CertificateGenerator.create({
      serialNumber: '01',
      subject: `CN=${DNS_NAME}`,
      issuer: 'CN=Old CA',
      notBefore: new Date(NOW - 10 * DAY),
      notAfter: new Date(NOW + 80 * DAY),
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: keys.algorithm,
    });
    withoutAki = bare.toString('pem');
  });
  const withSecret = (status: Certificate['status'] = {}, spec?: Partial<Certificate['spec']>) => [
    certificate(status, { spec }),
    issuedSecret(current),
    acmeIssuer(),
  ];
  /** status.renewalInfo as an earlier check left it: window, checked `ago` ms ago, next check `next` ms from now. */
  const checked = (certID: string, ago: number, next: number, w = WINDOW, extra: Record<string, string> = {}) => ({
    renewalInfo: { certID, suggestedWindowStart: w.start, suggestedWindowEnd: w.end, lastCheckTime: iso(NOW - ago), nextCheckTime: iso(NOW + next), ...extra },
  });
  const times = (nextInMs: number) => ({ lastCheckTime: iso(NOW), nextCheckTime: iso(NOW + nextInMs) });
  const statusWrite = [`replace Certificate/status ${NAME}`];
  /** A case where the CA is asked once and its answer (or the failure) recorded in status; next check in 6 h unless said. */
  const asks = (c: Omit<Case, 'asked' | 'writes'>): Case => ({ asked: 1, writes: statusWrite, requeueAfterMs: SIX_HOURS, ...c });

  const cases: Case[] = [
    {
      name: 'an issuer of another group (an external issuer): the CA is not asked',
      objects: () => withSecret({}, { issuerRef: { name: 'ca', kind: 'Issuer', group: 'issuers.example.com' } }),
      writes: [],
    },
    {
      name: 'a certificate without an authority key identifier (it has no ARI id): the CA is not asked',
      objects: () => [certificate(), issuedSecret({ cert: withoutAki, key: current.key }), acmeIssuer()],
      writes: [],
    },
    { name: 'no Secret yet: nothing to ask about', objects: () => [certificate(), acmeIssuer()], writes: [] },
    {
      name: 'renewal Disabled (spec.renewal.policy): nothing is renewed by time, so the CA is not asked',
      objects: () => withSecret({}, { renewal: { policy: 'Disabled' } }),
      writes: [],
    },
    { name: 'a CA issuer (not ACME): no ARI', objects: () => [certificate(), issuedSecret(current), acmeIssuer({ ca: { secretName: 'ca-key' } })], writes: [] },
    { name: 'the issuer does not exist: no ARI', objects: () => [certificate(), issuedSecret(current)], writes: [] },
    asks({
      name: 'first check: the window is recorded, a Normal RenewalWindow Event, asked again in 6 h (a 360th of 90 days)',
      objects: () => withSecret(),
      answer: { body: windowBody() },
      events: ['RenewalWindow'],
      recorded: (certID) => ({ certID, suggestedWindowStart: WINDOW.start, suggestedWindowEnd: WINDOW.end, ...times(SIX_HOURS) }),
    }),
    asks({
      name: 'the CA asks to be asked again in 12 h (Retry-After): the next check is then',
      objects: () => withSecret(),
      answer: { body: windowBody(), retryAfter: String(12 * 3600) },
      events: ['RenewalWindow'],
      requeueAfterMs: 12 * HOUR,
    }),
    asks({
      name: 'a Retry-After of one minute: still not before 6 h',
      objects: () => withSecret(),
      answer: { body: windowBody(), retryAfter: '60' },
      events: ['RenewalWindow'],
    }),
    asks({
      name: 'a Retry-After of three days: capped at one day',
      objects: () => withSecret(),
      answer: { body: windowBody(), retryAfter: String(3 * 86_400) },
      events: ['RenewalWindow'],
      requeueAfterMs: DAY,
    }),
    {
      name: 'checked an hour ago, next check in 5 h: the CA is not asked, the check waits',
      objects: (certID) => withSecret(checked(certID, HOUR, 5 * HOUR)),
      answer: { body: windowBody(MOVED) },
      writes: [],
      requeueAfterMs: 5 * HOUR,
    },
    asks({
      name: 'the next check is due and the window is the same: the check times move, no Event',
      objects: (certID) => withSecret(checked(certID, SIX_HOURS, 0)),
      answer: { body: windowBody() },
      recorded: (certID) => ({ certID, suggestedWindowStart: WINDOW.start, suggestedWindowEnd: WINDOW.end, ...times(SIX_HOURS) }),
    }),
    asks({
      name: 'the CA moved the window (a revocation ahead): recorded, a RenewalWindowChanged Event',
      objects: (certID) => withSecret(checked(certID, SIX_HOURS, 0)),
      answer: { body: windowBody(MOVED) },
      events: ['RenewalWindowChanged'],
      recorded: (certID) => ({ certID, suggestedWindowStart: MOVED.start, suggestedWindowEnd: MOVED.end, ...times(SIX_HOURS) }),
    }),
    asks({
      name: 'the CA explains its window (explanationURL): recorded, and the Event is a Warning',
      objects: () => withSecret(),
      answer: { body: windowBody(MOVED, 'https://ca.test/incident/42') },
      events: ['RenewalWindow'],
      recorded: (certID) => ({
        certID,
        suggestedWindowStart: MOVED.start,
        suggestedWindowEnd: MOVED.end,
        explanationURL: 'https://ca.test/incident/42',
        ...times(SIX_HOURS),
      }),
      check: (w) => assert.equal(w.events[0]?.type, 'Warning'),
    }),
    asks({
      name: 'a renewed certificate in the Secret, though the old one was checked an hour ago: asked at once',
      objects: () => withSecret(checked('b2xk.AQ', HOUR, 5 * HOUR)),
      answer: { body: windowBody() },
      events: ['RenewalWindow'],
      recorded: (certID) => ({ certID, suggestedWindowStart: WINDOW.start, suggestedWindowEnd: WINDOW.end, ...times(SIX_HOURS) }),
    }),
    {
      name: 'the CA no longer offers renewalInfo: what an earlier answer said is dropped',
      objects: (certID) => withSecret(checked(certID, SIX_HOURS, 0)),
      answer: { offersAri: false },
      writes: statusWrite,
      recorded: () => undefined,
    },
    { name: 'the CA never offered renewalInfo: nothing written', objects: () => withSecret(), answer: { offersAri: false }, writes: [] },
    asks({
      name: 'the CA answers HTTP 500: the failure is recorded with the window known so far, asked again in 6 h',
      objects: (certID) => withSecret(checked(certID, SIX_HOURS, 0)),
      answer: { status: 500, body: { type: 'urn:ietf:params:acme:error:serverInternal' } },
      check: (w) => {
        const info = renewalInfo(w)!;
        assert.match(info.message!, /fetching renewalInfo failed: .*HTTP 500/);
        assert.deepEqual([info.suggestedWindowStart, info.suggestedWindowEnd], [WINDOW.start, WINDOW.end], 'the known window stands');
        assert.equal(info.nextCheckTime, iso(NOW + SIX_HOURS));
      },
    }),
    asks({
      name: 'the CA cannot be reached: the failure is recorded, asked again in 6 h',
      objects: () => withSecret(),
      answer: { fails: new Error('connect ECONNREFUSED 127.0.0.1:14000') },
      recorded: (certID) => ({ certID, message: 'fetching renewalInfo failed: connect ECONNREFUSED 127.0.0.1:14000', ...times(SIX_HOURS) }),
    }),
    asks({
      name: 'a window that ends before it starts: recorded as a failure, no window taken from it',
      objects: () => withSecret(),
      answer: { body: windowBody({ start: WINDOW.end, end: WINDOW.start }) },
      check: (w) => {
        const info = renewalInfo(w)!;
        assert.match(info.message!, /ends .* before it starts/);
        assert.equal(info.suggestedWindowStart, undefined);
      },
    }),
  ];

  for (const c of cases) {
    const ca = fakeCa(c.answer ?? { body: windowBody() });
    certificateTable(
      [
        {
          ...c,
          objects: () => c.objects(id),
          check: async (w) => {
            assert.equal(ca.asked.length, c.asked ?? 0, 'renewalInfo GETs');
            if (c.asked) assert.equal(ca.asked[0], `https://ca.test/renewal-info/${id}`, "the certificate's ARI id");
            if (c.recorded) assert.deepEqual(renewalInfo(w), c.recorded(id));
            await c.check?.(w);
          },
        },
      ],
      (ctx) => createRenewalInfoController(ca.withAcme(ctx)),
      NOW,
    );
  }

  test('a second pass before the watch brings the status write: the CA is not asked twice, the check waits', async () => {
    const ca = fakeCa({ body: windowBody() });
    const w = fakeWorker(withSecret(), { now: new Date(NOW).toISOString() });
    const ctrl = createRenewalInfoController(ca.withAcme(w.ctx));
    assert.deepEqual(await ctrl.sync(`${NS}/${NAME}`), { requeueAfterMs: SIX_HOURS });
    w.clock.advance(HOUR);
    assert.deepEqual(await ctrl.sync(`${NS}/${NAME}`), { requeueAfterMs: 5 * HOUR });
    assert.equal(ca.asked.length, 1);
    assert.deepEqual(
      w.events.map((e) => e.reason),
      ['RenewalWindow'],
      'one Event',
    );
  });
});
