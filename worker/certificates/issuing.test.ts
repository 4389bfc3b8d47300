// The issuing controller as a table: a Certificate, its CertificateRequest for the next revision,
// its next-key Secret and its Secret in; the Secret written (or its metadata put back), the status
// (revision, Issuing, Ready, failures), the key Secret and old requests deleted, the Events and
// the requeue out (cert-manager's issuing controller tests, on the fake context).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate, CertificateRequest } from '../../api/types.generated.ts';
import { fakeWorker, Resources, type FakeWorker } from '../../test/worker/fake-context.ts';
import { certificateFor, issuedPair, type IssuedPair } from '../../test/worker/issued-pair.ts';
import {
  NS,
  NAME,
  DNS_NAME,
  certificate,
  issuingTrue,
  issuedAnnotations,
  issuedSecret,
  keySecret,
  newKeyPem,
  ownedRequest,
  secretData,
  writeLines,
  certificateTable,
  type TableCase,
  DAY,
  NEXT_KEY_SECRET,
  issuingWithKey as issuing,
} from '../../test/worker/certificate-table.ts';
import { inspectCertificate } from '../../lib/pki/index.ts';
import { CONFLICT_RETRY_MS } from '../../lib/reconcile-errors.ts';
import { createIssuingController } from './issuing.ts';

const KEY_SECRET = NEXT_KEY_SECRET;
const NOW = Date.parse('2026-03-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const b64 = (s: string) => Buffer.from(s).toString('base64');

type Status = NonNullable<Certificate['status']>;
type RequestConditions = NonNullable<NonNullable<CertificateRequest['status']>['conditions']>;
const approved = { type: 'Approved', status: 'True' as const, reason: 'cert-manager.io', message: '' };
const readyIssued = { type: 'Ready', status: 'True' as const, reason: 'Issued', message: 'Certificate fetched from issuer successfully' };

/** After a failure Issuing is False: the next pass deletes the key Secret (the retry starts from a new key, as cert-manager). */
const DROP_KEY = [`delete Secret ${KEY_SECRET}`, `replace Certificate/status ${NAME}`];
const issuingCondition = (s: Status | undefined) => s?.conditions?.find((c) => c.type === 'Issuing');
const readyCondition = (s: Status | undefined) => s?.conditions?.find((c) => c.type === 'Ready');

describe('issuing controller', () => {
  let nextKey: string; // the key in the next-key Secret
  let issued: string; // what the issuer returned: for web.example.test, with the next key, from NOW for 90 days
  let wrongNames: string; // with the next key, for another name
  let wrongKey: string; // for web.example.test, with another key
  let caPem: string;
  let current: IssuedPair; // in the Secret today: issued 10 days ago, valid 90 days
  let due: IssuedPair; // in the Secret today: issued 70 days ago, past its renewal time
  before(async () => {
    nextKey = await newKeyPem({ algorithm: 'ECDSA', size: 256 });
    issued = await certificateFor(nextKey, [DNS_NAME], NOW, 90 * DAY);
    wrongNames = await certificateFor(nextKey, ['other.example.test'], NOW, 90 * DAY);
    wrongKey = await certificateFor(await newKeyPem({ algorithm: 'ECDSA', size: 256 }), [DNS_NAME], NOW, 90 * DAY);
    caPem = (await issuedPair(['ca.example.test'], NOW - DAY, 365 * DAY)).cert;
    current = await issuedPair([DNS_NAME], NOW - 10 * DAY, 90 * DAY);
    due = await issuedPair([DNS_NAME], NOW - 70 * DAY, 90 * DAY);
  });

  /** CertificateRequest `name` for revision `revision`, signed with the next key; conditions and certificate as given. */
  const request = (name: string, revision: number, conditions: RequestConditions, certificatePem?: string) =>
    ownedRequest(
      name,
      {
        'cert-manager.io/certificate-name': NAME,
        'cert-manager.io/certificate-revision': String(revision),
        'cert-manager.io/private-key-secret-name': KEY_SECRET,
      },
      { request: b64('csr'), issuerRef: { name: 'ca', kind: 'Issuer' }, duration: '2160h', usages: ['digital signature', 'key encipherment'] },
      { conditions, ...(certificatePem ? { certificate: b64(certificatePem), ca: b64(caPem) } : {}) },
    );
  const issuedRequest = (name = `${NAME}-1`, revision = 1, pem = issued) => request(name, revision, [approved, readyIssued], pem);
  const failedRequest = (name: string, conditions: RequestConditions) => request(name, 1, conditions);
  const nextKeySecret = () => keySecret(KEY_SECRET, nextKey);
  const stored = (w: FakeWorker) => w.stored<Certificate>(Resources.Certificate, NS, NAME)!.status;
  const storedSecret = (w: FakeWorker) => w.stored<V1Secret>(Resources.Secret, NS, 'web-tls');
  const failedWith = (attempts: number, retryAfterMs: number, text: string) => (w: FakeWorker) => {
    const s = stored(w);
    assert.equal(s?.failedIssuanceAttempts, attempts);
    assert.equal(s?.lastFailureTime, iso(NOW));
    assert.equal(s?.revision, undefined, 'no revision: nothing was issued');
    const c = issuingCondition(s);
    assert.deepEqual({ status: c?.status, reason: c?.reason }, { status: 'False', reason: 'Failed' });
    assert.match(c!.message!, new RegExp(text));
    assert.match(c!.message!, new RegExp(`failed attempt ${attempts}; next attempt after ${iso(NOW + retryAfterMs)}`), 'says when the trigger tries again');
    assert.equal(w.events.find((e) => e.reason === 'Failed')?.type, 'Warning');
    assert.equal(storedSecret(w), undefined, 'no Secret written');
  };

  const cases: TableCase[] = [
    // While Issuing: waiting for the request, recording its failure, storing its certificate.
    { name: 'Issuing and no request yet: waits', objects: () => [certificate(issuing()), nextKeySecret()], writes: [] },
    {
      name: 'the request is still pending: waits',
      objects: () => [
        certificate(issuing()),
        nextKeySecret(),
        request(`${NAME}-1`, 1, [approved, { type: 'Ready', status: 'False', reason: 'Pending', message: 'Waiting on order' }]),
      ],
      writes: [],
    },
    {
      name: 'the request carries a certificate but is not Ready yet (an external issuer mid-way): waits',
      objects: () => [
        certificate(issuing()),
        nextKeySecret(),
        request(`${NAME}-1`, 1, [approved, { type: 'Ready', status: 'False', reason: 'Pending', message: 'finishing' }], issued),
      ],
      writes: [],
    },
    {
      name: 'the request failed: Issuing=False Failed, failedIssuanceAttempts 1, a Warning Event, retried after the 1 s backoff',
      objects: () => [
        certificate(issuing()),
        nextKeySecret(),
        failedRequest(`${NAME}-1`, [approved, { type: 'Ready', status: 'False', reason: 'Failed', message: 'the CA refused: rejectedIdentifier' }]),
      ],
      writes: [`replace Certificate/status ${NAME}`],
      events: ['Failed'],
      again: DROP_KEY,
      check: failedWith(1, 1000, 'rejectedIdentifier'),
    },
    {
      name: 'the request was denied: a failure that names the approver',
      objects: () => [
        certificate(issuing()),
        nextKeySecret(),
        failedRequest(`${NAME}-1`, [{ type: 'Denied', status: 'True', reason: 'policy.example', message: 'names outside the policy' }]),
      ],
      writes: [`replace Certificate/status ${NAME}`],
      events: ['Failed'],
      again: DROP_KEY,
      check: failedWith(1, 1000, 'denied by policy.example: names outside the policy'),
    },
    {
      name: 'the request is invalid: a failure',
      objects: () => [
        certificate(issuing()),
        nextKeySecret(),
        failedRequest(`${NAME}-1`, [approved, { type: 'InvalidRequest', status: 'True', reason: 'BadCSR', message: 'CSR is not signed' }]),
      ],
      writes: [`replace Certificate/status ${NAME}`],
      events: ['Failed'],
      again: DROP_KEY,
      check: failedWith(1, 1000, 'invalid: CSR is not signed'),
    },
    {
      name: 'the retry after one failure (request web-1-retry1) failed too: attempt 2, the backoff doubles to 2 s',
      objects: () => [
        certificate(issuing({ failedIssuanceAttempts: 1, lastFailureTime: iso(NOW - DAY) })),
        nextKeySecret(),
        failedRequest(`${NAME}-1-retry1`, [approved, { type: 'Ready', status: 'False', reason: 'Failed', message: 'still refused' }]),
      ],
      writes: [`replace Certificate/status ${NAME}`],
      events: ['Failed'],
      again: DROP_KEY,
      check: failedWith(2, 2000, 'still refused'),
    },
    {
      name: 'the request is issued (first issuance): the Secret is created, revision 1, Issuing ends, Ready, the key Secret goes',
      objects: () => [certificate(issuing()), nextKeySecret(), issuedRequest()],
      writes: ['create Secret web-tls', `replace Certificate/status ${NAME}`, `delete Secret ${KEY_SECRET}`],
      events: ['Issuing'],
      check: (w) => {
        const s = storedSecret(w)!;
        assert.equal(s.type, 'kubernetes.io/tls');
        assert.deepEqual(
          { crt: secretData(s, 'tls.crt'), key: secretData(s, 'tls.key'), ca: secretData(s, 'ca.crt') },
          { crt: issued, key: nextKey, ca: caPem },
        );
        assert.deepEqual(s.metadata?.annotations, issuedAnnotations());
        assert.equal(s.metadata?.labels?.['controller.cert-manager.io/fao'], 'true');
        assert.equal(s.metadata?.ownerReferences, undefined, 'no owner reference without --enable-certificate-owner-ref');
        const st = stored(w)!;
        assert.equal(st.revision, 1);
        assert.equal(issuingCondition(st), undefined, 'Issuing removed');
        assert.equal(st.nextPrivateKeySecretName, undefined);
        assert.deepEqual({ status: readyCondition(st)?.status, reason: readyCondition(st)?.reason }, { status: 'True', reason: 'Ready' });
        assert.deepEqual({ notBefore: st.notBefore, notAfter: st.notAfter }, { notBefore: iso(NOW), notAfter: iso(NOW + 90 * DAY) });
      },
    },
    {
      name: '--enable-certificate-owner-ref: the Secret is created owned by the Certificate',
      objects: () => [certificate(issuing()), nextKeySecret(), issuedRequest()],
      config: { enableCertificateOwnerRef: true },
      writes: ['create Secret web-tls', `replace Certificate/status ${NAME}`, `delete Secret ${KEY_SECRET}`],
      events: ['Issuing'],
      check: (w) =>
        assert.deepEqual(
          storedSecret(w)!.metadata?.ownerReferences?.map((r) => `${r.kind}/${r.name} ${r.uid} controller=${r.controller}`),
          [`Certificate/${NAME} uid-web controller=true`],
        ),
    },
    {
      name: 'a renewal is issued (revision 1 to 2): the Secret is replaced keeping its other keys and labels, the old request web-1 is pruned',
      objects: () => [
        certificate(issuing({ revision: 1 })),
        nextKeySecret(),
        (() => {
          const s = issuedSecret(due);
          s.metadata!.labels = { ...s.metadata!.labels, team: 'a' };
          s.data = { ...s.data, 'extra.txt': b64('kept') };
          return s;
        })(),
        issuedRequest(`${NAME}-1`, 1, due.cert),
        issuedRequest(`${NAME}-2`, 2),
      ],
      writes: ['replace Secret web-tls', `replace Certificate/status ${NAME}`, `delete Secret ${KEY_SECRET}`, `delete CertificateRequest ${NAME}-1`],
      events: ['Issuing'],
      check: (w) => {
        const s = storedSecret(w)!;
        assert.equal(secretData(s, 'tls.crt'), issued);
        assert.equal(secretData(s, 'extra.txt'), 'kept');
        assert.equal(s.metadata?.labels?.team, 'a');
        assert.equal(stored(w)?.revision, 2);
      },
    },
    {
      name: 'revisionHistoryLimit 2 at revision 3: only the oldest request (web-1) is pruned',
      objects: () => [
        certificate(issuing({ revision: 2 }), { spec: { revisionHistoryLimit: 2 } }),
        nextKeySecret(),
        issuedSecret(due),
        // Not in revision order in the cache: pruning sorts them.
        issuedRequest(`${NAME}-3`, 3),
        issuedRequest(`${NAME}-1`, 1, due.cert),
        issuedRequest(`${NAME}-2`, 2, due.cert),
      ],
      writes: ['replace Secret web-tls', `replace Certificate/status ${NAME}`, `delete Secret ${KEY_SECRET}`, `delete CertificateRequest ${NAME}-1`],
      events: ['Issuing'],
      check: (w) => assert.equal(stored(w)?.revision, 3),
    },
    {
      name: 'a renewal issued on its retry (web-2 failed, web-2-retry1 issued): the failed request and web-1 are pruned, as cert-manager counts every revision',
      objects: () => [
        certificate(issuing({ revision: 1, failedIssuanceAttempts: 1, lastFailureTime: iso(NOW - DAY) })),
        nextKeySecret(),
        issuedSecret(due),
        issuedRequest(`${NAME}-1`, 1, due.cert),
        issuedRequest(`${NAME}-2-retry1`, 2),
        // The failed attempt of the same revision, after the issued one in the cache: the issued one is kept all the same.
        request(`${NAME}-2`, 2, [approved, { type: 'Ready', status: 'False', reason: 'Failed', message: 'refused' }]),
        // Without a revision annotation (not the request manager's): not counted, left alone.
        ownedRequest(`${NAME}-by-hand`, {}, { request: b64('csr'), issuerRef: { name: 'ca', kind: 'Issuer' } }),
      ],
      writes: [
        'replace Secret web-tls',
        `replace Certificate/status ${NAME}`,
        `delete Secret ${KEY_SECRET}`,
        `delete CertificateRequest ${NAME}-1`,
        `delete CertificateRequest ${NAME}-2`,
      ],
      events: ['Issuing'],
    },
    {
      name: 'issued after an earlier failure (request web-1-retry1): the failure count and time are cleared',
      objects: () => [certificate(issuing({ failedIssuanceAttempts: 1, lastFailureTime: iso(NOW - DAY) })), nextKeySecret(), issuedRequest(`${NAME}-1-retry1`)],
      writes: ['create Secret web-tls', `replace Certificate/status ${NAME}`, `delete Secret ${KEY_SECRET}`],
      events: ['Issuing'],
      check: (w) => {
        const st = stored(w)!;
        assert.deepEqual(
          { revision: st.revision, failedIssuanceAttempts: st.failedIssuanceAttempts, lastFailureTime: st.lastFailureTime },
          { revision: 1, failedIssuanceAttempts: undefined, lastFailureTime: undefined },
        );
      },
    },
    {
      name: "the issued request's key Secret is gone: nothing stored, a failure, issued again after the backoff",
      objects: () => [certificate(issuing()), issuedRequest()],
      writes: [`replace Certificate/status ${NAME}`],
      events: ['Failed'],
      again: DROP_KEY,
      check: failedWith(1, 1000, `private key Secret "${KEY_SECRET}" of the issued request no longer exists`),
    },
    {
      name: 'the issued certificate is not for the next key: nothing stored, a failure',
      objects: () => [certificate(issuing()), nextKeySecret(), issuedRequest(`${NAME}-1`, 1, wrongKey)],
      writes: [`replace Certificate/status ${NAME}`],
      events: ['Failed'],
      again: DROP_KEY,
      check: failedWith(1, 1000, 'cannot be stored'),
    },
    {
      name: 'the issued certificate lacks a requested name: nothing stored, a failure',
      objects: () => [certificate(issuing()), nextKeySecret(), issuedRequest(`${NAME}-1`, 1, wrongNames)],
      writes: [`replace Certificate/status ${NAME}`],
      events: ['Failed'],
      again: DROP_KEY,
      check: failedWith(1, 1000, DNS_NAME),
    },

    // Temporary certificates (cert-manager.io/issue-temporary-certificate), while Issuing.
    {
      name: 'issue-temporary-certificate and no Secret yet: a self-signed certificate made with the next key is stored meanwhile',
      objects: () => [certificate(issuing(), { annotations: { 'cert-manager.io/issue-temporary-certificate': 'true' } }), nextKeySecret()],
      writes: ['create Secret web-tls'],
      events: ['Issuing'],
      check: (w) => {
        const s = storedSecret(w)!;
        assert.equal(secretData(s, 'tls.key'), nextKey);
        assert.deepEqual(inspectCertificate(secretData(s, 'tls.crt')!).names.dnsNames, [DNS_NAME]);
        assert.equal(s.metadata?.annotations?.['cert-manager.io/issuer-name'], undefined, 'not taken for the real certificate');
        assert.equal(s.metadata?.annotations?.['cert-manager.io/certificate-name'], NAME);
      },
    },
    {
      name: 'issue-temporary-certificate during a renewal (the Secret holds a valid certificate): no temporary certificate',
      objects: () => [
        certificate(issuing({ revision: 1 }), { annotations: { 'cert-manager.io/issue-temporary-certificate': 'true' } }),
        nextKeySecret(),
        issuedSecret(due),
      ],
      writes: [],
    },
    {
      name: 'issue-temporary-certificate before the next key exists: waits for it',
      objects: () => [certificate({ conditions: [issuingTrue] }, { annotations: { 'cert-manager.io/issue-temporary-certificate': 'true' } })],
      writes: [],
    },

    // Not Issuing: upkeep of an issued Secret.
    {
      name: 'issued, nothing drifted, and a user label and annotation on the Secret: nothing to do',
      objects: () => {
        const s = issuedSecret(current);
        s.metadata!.labels = { ...s.metadata!.labels, team: 'a' };
        s.metadata!.annotations = { ...s.metadata!.annotations, note: 'mine' };
        return [certificate({ revision: 1 }), s];
      },
      writes: [],
    },
    {
      name: 'a key Secret left after issuance (status still names it): deleted and the name cleared',
      objects: () => [certificate({ revision: 1, nextPrivateKeySecretName: KEY_SECRET }), issuedSecret(current), nextKeySecret()],
      writes: [`delete Secret ${KEY_SECRET}`, `replace Certificate/status ${NAME}`],
      check: (w) => assert.equal(stored(w)?.nextPrivateKeySecretName, undefined),
    },
    {
      name: "someone replaced the Secret's labels and removed an annotation: the managed ones put back without re-issuing, theirs kept",
      objects: () => {
        const s = issuedSecret(current);
        s.metadata!.labels = { team: 'a' };
        delete s.metadata!.annotations!['cert-manager.io/alt-names'];
        return [certificate({ revision: 1 }), s];
      },
      writes: ['replace Secret web-tls'],
      events: ['SecretUpdated'],
      check: (w) => {
        const s = storedSecret(w)!;
        assert.equal(s.metadata?.labels?.['controller.cert-manager.io/fao'], 'true');
        assert.equal(s.metadata?.annotations?.['cert-manager.io/alt-names'], DNS_NAME);
        assert.equal(s.metadata?.labels?.team, 'a', "the user's label stays");
        assert.equal(s.metadata?.annotations?.['cert-manager.io/issuer-name'], 'ca', 'the other annotations stay');
        assert.equal(secretData(s, 'tls.crt'), current.cert, 'the certificate is untouched');
      },
    },
    {
      name: "a secretTemplate label missing and its annotation changed by hand: the template's values are put back",
      objects: () => {
        const s = issuedSecret(current);
        s.metadata!.annotations = { ...s.metadata!.annotations, owner: 'someone-else' };
        return [certificate({ revision: 1 }, { spec: { secretTemplate: { labels: { team: 'a' }, annotations: { owner: 'team-a' } } } }), s];
      },
      writes: ['replace Secret web-tls'],
      events: ['SecretUpdated'],
      check: (w) => {
        const s = storedSecret(w)!;
        assert.deepEqual({ team: s.metadata?.labels?.team, owner: s.metadata?.annotations?.owner }, { team: 'a', owner: 'team-a' });
      },
    },
    {
      name: 'due for renewal but not yet Issuing: a missing label is still put back',
      objects: () => {
        const s = issuedSecret(due);
        delete s.metadata!.labels;
        return [certificate({ revision: 1 }), s];
      },
      writes: ['replace Secret web-tls'],
      events: ['SecretUpdated'],
    },
    {
      name: '--enable-certificate-owner-ref and the Secret has no owner reference: added without re-issuing',
      objects: () => [certificate({ revision: 1 }), issuedSecret(current)],
      config: { enableCertificateOwnerRef: true },
      writes: ['replace Secret web-tls'],
      events: ['SecretUpdated'],
      check: (w) =>
        assert.deepEqual(
          storedSecret(w)!.metadata?.ownerReferences?.map((r) => `${r.kind}/${r.name} controller=${r.controller}`),
          [`Certificate/${NAME} controller=true`],
        ),
    },
    {
      name: 'a Secret from another issuer (the trigger re-issues it): its metadata is left alone',
      objects: () => {
        const s = issuedSecret(current, issuedAnnotations('other'));
        delete s.metadata!.annotations!['cert-manager.io/alt-names'];
        return [certificate({ revision: 1 }), s];
      },
      writes: [],
    },
  ];

  certificateTable(cases, createIssuingController, NOW);

  test('someone changed the Secret since the cache read: the replace conflicts, is made again on a fresh read, and their change stays', async () => {
    const secret = issuedSecret(due);
    const w = fakeWorker([certificate(issuing({ revision: 1 })), nextKeySecret(), secret, issuedRequest(`${NAME}-2`, 2)], { now: new Date(NOW).toISOString() });
    w.changedElsewhere({ ...secret, metadata: { ...secret.metadata, labels: { ...secret.metadata!.labels, team: 'a' } } } as V1Secret);
    assert.equal(await createIssuingController(w.ctx).sync(`${NS}/${NAME}`), undefined);
    assert.deepEqual(writeLines(w.writes), [
      'replace Secret web-tls',
      'replace Secret web-tls',
      `replace Certificate/status ${NAME}`,
      `delete Secret ${KEY_SECRET}`,
    ]);
    const s = storedSecret(w)!;
    assert.equal(secretData(s, 'tls.crt'), issued);
    assert.equal(s.metadata?.labels?.team, 'a', "the other writer's label is kept");
    assert.equal(stored(w)?.revision, 2);
  });

  test('the Certificate changed since the cache read: the status write conflicts, the key Secret is kept, and the retry finishes the issuance', async () => {
    const w = fakeWorker([certificate(issuing()), nextKeySecret(), issuedRequest()], { now: new Date(NOW).toISOString() });
    w.changedElsewhere(certificate(issuing(), { labels: { team: 'a' } }));
    const ctrl = createIssuingController(w.ctx);
    assert.deepEqual(await ctrl.sync(`${NS}/${NAME}`), { requeueAfterMs: CONFLICT_RETRY_MS });
    assert.deepEqual(
      writeLines(w.writes),
      ['create Secret web-tls', `replace Certificate/status ${NAME}`],
      'the key Secret is not deleted before the status says issued',
    );
    w.settle();
    assert.equal(await ctrl.sync(`${NS}/${NAME}`), undefined);
    assert.deepEqual(writeLines(w.writes.slice(2)), ['replace Secret web-tls', `replace Certificate/status ${NAME}`, `delete Secret ${KEY_SECRET}`]);
    assert.equal(stored(w)?.revision, 1);
    assert.equal(secretData(storedSecret(w), 'tls.key'), nextKey);
  });
});
