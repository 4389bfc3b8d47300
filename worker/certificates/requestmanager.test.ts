// The request manager as a table: an Issuing Certificate, its next-key Secret, its Secret and its
// CertificateRequests in; the CertificateRequest created (CSR, annotations, spec) or deleted, the
// Event and the requeue out (cert-manager's requestmanager tests, on the fake context).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { Certificate, CertificateRequest } from '../../api/types.generated.ts';
import { fakeWorker, Resources, type FakeWorker } from '../../test/worker/fake-context.ts';
import { issuedPair, type IssuedPair } from '../../test/worker/issued-pair.ts';
import {
  NS,
  NAME,
  DNS_NAME,
  certificate,
  issuingTrue,
  issuedSecret,
  keySecret,
  newKeyPem,
  ownedRequest,
  writeLines,
  certificateTable,
  type TableCase,
  DAY,
  NEXT_KEY_SECRET,
  issuingWithKey as issuing,
} from '../../test/worker/certificate-table.ts';
import { createCsr, parseCsr, parsePrivateKeyPem, samePublicKey } from '../../lib/pki/index.ts';
import { ariCertId } from '../../lib/acme/ari.ts';
import { createRequestManagerController } from './requestmanager.ts';

const KEY_SECRET = NEXT_KEY_SECRET;
const NOW = Date.parse('2026-03-01T00:00:00Z');

type CertOpts = Parameters<typeof certificate>[1];

/** The request the pass created. */
const created = (w: FakeWorker) => w.stored<CertificateRequest>(Resources.CertificateRequest, NS, w.writes.find((x) => x.verb === 'create')!.name)!;

describe('request manager', () => {
  let nextKey: string; // the key in the next-key Secret
  let otherKey: string;
  let current: IssuedPair; // the certificate in the Secret today
  let matching: (opts?: {
    key?: string;
    names?: string[];
    annotations?: Record<string, string>;
    spec?: Partial<CertificateRequest['spec']>;
  }) => CertificateRequest;
  before(async () => {
    nextKey = await newKeyPem({ algorithm: 'ECDSA', size: 256 });
    otherKey = await newKeyPem({ algorithm: 'ECDSA', size: 256 });
    current = await issuedPair([DNS_NAME], NOW - 70 * DAY, 90 * DAY);
    const csrs = new Map<string, string>();
    for (const [key, names] of [
      [nextKey, [DNS_NAME]],
      [otherKey, [DNS_NAME]],
      [nextKey, [DNS_NAME, 'old.example.test']],
    ] as const)
      csrs.set(`${key}|${names.join(',')}`, await createCsr(parsePrivateKeyPem(key), { dnsNames: [...names] }));
    // A request as the request manager makes it for certificate() with the next key; `opts` changes one thing.
    matching = (opts = {}) =>
      ownedRequest(
        `${NAME}-1`,
        {
          'cert-manager.io/certificate-name': NAME,
          'cert-manager.io/certificate-revision': '1',
          'cert-manager.io/private-key-secret-name': KEY_SECRET,
          ...opts.annotations,
        },
        {
          request: Buffer.from(csrs.get(`${opts.key ?? nextKey}|${(opts.names ?? [DNS_NAME]).join(',')}`)!).toString('base64'),
          issuerRef: { name: 'ca', kind: 'Issuer' },
          duration: '2160h',
          usages: ['digital signature', 'key encipherment'],
          ...opts.spec,
        },
      );
  });

  const withKey = (status?: Certificate['status'], opts?: CertOpts) => [certificate(issuing(status), opts), keySecret(KEY_SECRET, nextKey)];

  const cases: TableCase[] = [
    { name: 'not Issuing: no request', objects: () => [certificate({ nextPrivateKeySecretName: KEY_SECRET }), keySecret(KEY_SECRET, nextKey)], writes: [] },
    {
      name: 'Issuing but no next private key recorded yet: waits for the key manager',
      objects: () => [certificate({ conditions: [issuingTrue] })],
      writes: [],
    },
    {
      name: '--copied-annotation-prefixes=example.com/: only those annotations travel',
      objects: () => withKey(undefined, { annotations: { team: 'a', 'example.com/owner': 'sre' } }),
      config: { copiedAnnotationPrefixes: ['example.com/'] },
      writes: [`create CertificateRequest ${NAME}-1`],
      events: ['Requested'],
      check: (w) => {
        const { team, 'example.com/owner': owner } = created(w).metadata.annotations ?? {};
        assert.deepEqual([team, owner], [undefined, 'sre']);
      },
    },
    {
      name: 'Issuing and the recorded key Secret is not there yet: waits for it',
      objects: () => [certificate(issuing())],
      writes: [],
    },
    {
      name: 'Issuing with the next key and no request: CertificateRequest web-1 with a CSR made from that key',
      objects: () =>
        withKey(undefined, {
          annotations: {
            team: 'a',
            'kubectl.kubernetes.io/last-applied-configuration': '{}',
            'argocd.argoproj.io/sync-wave': '1',
            'fluxcd.io/ignore': 'false',
          },
          labels: { app: 'web' },
        }),
      writes: [`create CertificateRequest ${NAME}-1`],
      events: ['Requested'],
      check: async (w) => {
        const cr = created(w);
        assert.deepEqual(cr.metadata.annotations, {
          team: 'a', // the Certificate's annotations travel; kubectl's, Argo CD's and Flux's do not (cert-manager's default --copied-annotation-prefixes)
          'cert-manager.io/certificate-name': NAME,
          'cert-manager.io/certificate-revision': '1',
          'cert-manager.io/private-key-secret-name': KEY_SECRET,
        });
        assert.deepEqual(cr.metadata.labels, { app: 'web' });
        assert.deepEqual(
          cr.metadata.ownerReferences?.map((r) => `${r.kind}/${r.name} ${r.uid} controller=${r.controller}`),
          [`Certificate/${NAME} uid-web controller=true`],
        );
        assert.deepEqual(cr.spec.issuerRef, { name: 'ca', kind: 'Issuer' });
        assert.equal(cr.spec.duration, '2160h', "cert-manager's default duration");
        assert.deepEqual(cr.spec.usages, ['digital signature', 'key encipherment'], "cert-manager's default usages");
        assert.equal(cr.spec.isCA, undefined);
        const csr = await parseCsr(cr.spec.request);
        assert.ok(samePublicKey(csr.publicKey, parsePrivateKeyPem(nextKey)), 'the CSR carries the next key');
        assert.deepEqual(csr.names.dnsNames, [DNS_NAME]);
      },
    },
    {
      name: 'revision 3 after two failed attempts: request web-4-retry2 for revision 4',
      objects: () => withKey({ revision: 3, failedIssuanceAttempts: 2 }),
      writes: [`create CertificateRequest ${NAME}-4-retry2`],
      events: ['Requested'],
      check: (w) => assert.equal(created(w).metadata.annotations?.['cert-manager.io/certificate-revision'], '4'),
    },
    {
      name: 'a CA Certificate with its own duration and usages: the request asks for them',
      objects: () => withKey(undefined, { spec: { isCA: true, duration: '720h', usages: ['cert sign', 'crl sign'] } }),
      writes: [`create CertificateRequest ${NAME}-1`],
      events: ['Requested'],
      check: (w) =>
        assert.deepEqual((({ isCA, duration, usages }) => ({ isCA, duration, usages }))(created(w).spec), {
          isCA: true,
          duration: '720h',
          usages: ['cert sign', 'crl sign'],
        }),
    },
    {
      name: 'renewing a certificate the CA gave ARI for: the request names the certificate it replaces',
      objects: () => [
        ...withKey({ revision: 1, renewalInfo: { certID: ariCertId(new X509Certificate(current.cert)), suggestedWindowStart: '2026-02-20T00:00:00Z' } }),
        issuedSecret(current),
      ],
      writes: [`create CertificateRequest ${NAME}-2`],
      events: ['Requested'],
      check: (w) => assert.equal(created(w).metadata.annotations?.['certgate.io/ari-replaces'], ariCertId(new X509Certificate(current.cert))),
    },
    {
      name: "renewal information about an older certificate than the Secret's: no replaces annotation",
      objects: () => [...withKey({ revision: 1, renewalInfo: { certID: 'b2xk.AQ', suggestedWindowStart: '2026-02-20T00:00:00Z' } }), issuedSecret(current)],
      writes: [`create CertificateRequest ${NAME}-2`],
      events: ['Requested'],
      check: (w) => assert.equal(created(w).metadata.annotations?.['certgate.io/ari-replaces'], undefined),
    },
    { name: 'the request exists and matches: nothing to do', objects: () => [...withKey(), matching()], writes: [] },
    {
      name: 'the issuerRef changed while issuing: the request is deleted and the pass runs again at once',
      objects: () => [...withKey(undefined, { spec: { issuerRef: { name: 'other-ca', kind: 'Issuer' } } }), matching()],
      writes: [`delete CertificateRequest ${NAME}-1`],
      requeueAfterMs: 0,
    },
    {
      name: 'the dnsNames changed while issuing: the request for the old names is deleted',
      objects: () => [...withKey(), matching({ names: [DNS_NAME, 'old.example.test'] })],
      writes: [`delete CertificateRequest ${NAME}-1`],
      requeueAfterMs: 0,
    },
    {
      name: 'the duration changed while issuing: the request is deleted',
      objects: () => [...withKey(undefined, { spec: { duration: '720h' } }), matching()],
      writes: [`delete CertificateRequest ${NAME}-1`],
      requeueAfterMs: 0,
    },
    {
      name: 'the usages changed while issuing: the request is deleted',
      objects: () => [...withKey(undefined, { spec: { usages: ['digital signature', 'key encipherment', 'server auth'] } }), matching()],
      writes: [`delete CertificateRequest ${NAME}-1`],
      requeueAfterMs: 0,
    },
    {
      name: 'the subject changed while issuing: the request for the old subject is deleted',
      objects: () => [...withKey(undefined, { spec: { subject: { organizations: ['Acme Ltd'] } } }), matching()],
      writes: [`delete CertificateRequest ${NAME}-1`],
      requeueAfterMs: 0,
    },
    {
      name: 'the duration written another way ("2160h0m0s"), the usages in another order: the request still matches',
      objects: () => [...withKey(), matching({ spec: { duration: '2160h0m0s', usages: ['key encipherment', 'digital signature'] } })],
      writes: [],
    },
    {
      name: 'a request cert-manager made before the switch (no usages, no duration) for a Certificate with the defaults written out: kept',
      objects: () => [
        ...withKey(undefined, { spec: { usages: ['digital signature', 'key encipherment'] } }),
        matching({ spec: { usages: undefined, duration: undefined } }),
      ],
      writes: [],
    },
    {
      name: 'isCA changed while issuing: the request is deleted',
      objects: () => [...withKey(undefined, { spec: { isCA: true } }), matching()],
      writes: [`delete CertificateRequest ${NAME}-1`],
      requeueAfterMs: 0,
    },
    {
      name: 'the request names another key Secret: deleted',
      objects: () => [...withKey(), matching({ annotations: { 'cert-manager.io/private-key-secret-name': 'web-next-key-old' } })],
      writes: [`delete CertificateRequest ${NAME}-1`],
      requeueAfterMs: 0,
    },
    {
      name: "the key Secret was replaced (spec change): the request's CSR carries the old key and is deleted",
      objects: () => [...withKey(), matching({ key: otherKey })],
      writes: [`delete CertificateRequest ${NAME}-1`],
      requeueAfterMs: 0,
    },
    {
      name: 'a request whose CSR cannot be read: deleted',
      objects: () => [...withKey(), matching({ spec: { request: Buffer.from('not a CSR').toString('base64') } })],
      writes: [`delete CertificateRequest ${NAME}-1`],
      requeueAfterMs: 0,
    },
  ];

  certificateTable(cases, createRequestManagerController, NOW);

  test('the request exists but the cache has not seen it (made by a pass before a restart): the create finds it, no Event, checked again at once', async () => {
    const w = fakeWorker(withKey());
    w.changedElsewhere(matching());
    const ctrl = createRequestManagerController(w.ctx);
    assert.deepEqual(await ctrl.sync(`${NS}/${NAME}`), { requeueAfterMs: 0 });
    assert.deepEqual(writeLines(w.writes), [`create CertificateRequest ${NAME}-1`]);
    assert.deepEqual(w.events, []);
    w.settle();
    assert.equal(await ctrl.sync(`${NS}/${NAME}`), undefined);
    assert.equal(w.writes.length, 1, 'the request in the cache matches: nothing more');
  });
});
