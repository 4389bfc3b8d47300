// The trigger controller as a table: a Certificate and its Secret in, the status write, the Event
// and the requeue out (cert-manager's trigger_controller_test.go shape, on a fake context).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Certificate, CertificateRequest } from '../../api/types.generated.ts';
import { fakeWorker, tlsSecret, Resources } from '../../test/worker/fake-context.ts';
import { issuedPair, type IssuedPair } from '../../test/worker/issued-pair.ts';
import { ownedRequest } from '../../test/worker/certificate-table.ts';
import { createCsr, parsePrivateKeyPem } from '../../lib/pki/index.ts';
import { createTriggerController } from './trigger.ts';
import { nextKeySecretNameFor } from '../object-names.ts';

const NS = 'apps';
const NOW = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;

function cert(status: Certificate['status'] = {}, generation = 1): Certificate {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'web', namespace: NS, generation },
    spec: { secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: 'selfsigned' }, privateKey: { algorithm: 'ECDSA', size: 256 } },
    status,
  };
}

const secretFor = (pair: IssuedPair, issuer = 'selfsigned') =>
  tlsSecret(NS, 'web-tls', pair, {
    'cert-manager.io/issuer-name': issuer,
    'cert-manager.io/issuer-kind': 'Issuer',
    'cert-manager.io/issuer-group': 'cert-manager.io',
    'cert-manager.io/certificate-name': 'web',
  });

interface Case {
  name: string;
  objects: () => KubernetesObject[];
  /** Issuing condition reason written, or undefined for no status write. */
  issuing?: string;
  requeueAfterMs?: number;
}

describe('trigger controller', () => {
  let fresh: IssuedPair; // issued 10 days ago for 90 days: renews at day 60
  let due: IssuedPair; // issued 70 days ago for 90 days: past its renewal time
  let freshCsr: string; // the CSR that asked for `fresh`
  let otherSubjectCsr: string; // the same with an organization the spec does not have
  before(async () => {
    fresh = await issuedPair(['web.example.test'], NOW - 10 * DAY, 90 * DAY);
    due = await issuedPair(['web.example.test'], NOW - 70 * DAY, 90 * DAY);
    freshCsr = await createCsr(parsePrivateKeyPem(fresh.key), { dnsNames: ['web.example.test'] });
    otherSubjectCsr = await createCsr(parsePrivateKeyPem(fresh.key), { dnsNames: ['web.example.test'], subject: { organizations: ['Acme Ltd'] } });
  });

  /** The Ready request of revision 1, which made `fresh`; `spec` changes what it asked for. */
  const revision1Request = (spec: Partial<CertificateRequest['spec']> = {}) =>
    ownedRequest(
      'web-1',
      { 'cert-manager.io/certificate-name': 'web', 'cert-manager.io/certificate-revision': '1' },
      { request: Buffer.from(freshCsr).toString('base64'), issuerRef: { name: 'selfsigned' }, ...spec },
      { conditions: [{ type: 'Ready', status: 'True', reason: 'Issued', message: '' }] },
    );

  const cases: Case[] = [
    { name: 'no Secret: Issuing=True, DoesNotExist', objects: () => [cert()], issuing: 'DoesNotExist' },
    {
      name: 'already Issuing: nothing to do',
      objects: () => [cert({ conditions: [{ type: 'Issuing', status: 'True', reason: 'DoesNotExist', message: '' }] })],
    },
    { name: 'an up-to-date Secret: no write, a requeue at the renewal time', objects: () => [cert(), secretFor(fresh)], requeueAfterMs: 50 * DAY },
    {
      name: 'the request of the current revision matches (as cert-manager made it: no usages, no duration): no write',
      objects: () => [cert({ revision: 1 }), secretFor(fresh), revision1Request()],
      requeueAfterMs: 50 * DAY,
    },
    {
      name: 'the request of the current revision asked for other usages than the spec does now: Issuing=True, RequestChanged',
      objects: () => [cert({ revision: 1 }), secretFor(fresh), revision1Request({ usages: ['digital signature', 'key encipherment', 'client auth'] })],
      issuing: 'RequestChanged',
    },
    {
      name: 'the request of the current revision had another subject: Issuing=True, RequestChanged',
      objects: () => [cert({ revision: 1 }), secretFor(fresh), revision1Request({ request: Buffer.from(otherSubjectCsr).toString('base64') })],
      issuing: 'RequestChanged',
    },
    { name: 'past the renewal time: Issuing=True, Renewing', objects: () => [cert(), secretFor(due)], issuing: 'Renewing' },
    { name: 'a Secret from another issuer: Issuing=True, IncorrectIssuer', objects: () => [cert(), secretFor(fresh, 'other')], issuing: 'IncorrectIssuer' },
    {
      name: 'a failure a moment ago: no write, the backoff is waited out',
      objects: () => [
        cert({
          failedIssuanceAttempts: 1,
          lastFailureTime: new Date(NOW - 200).toISOString(),
          conditions: [{ type: 'Issuing', status: 'False', reason: 'Failed', message: '', observedGeneration: 1 }],
        }),
      ],
      requeueAfterMs: 800, // --renew-backoff-base 1s in the test config
    },
    {
      name: 'a failure, then a spec change: issued again at once',
      objects: () => [
        cert(
          {
            failedIssuanceAttempts: 1,
            lastFailureTime: new Date(NOW - 200).toISOString(),
            conditions: [{ type: 'Issuing', status: 'False', reason: 'Failed', message: '', observedGeneration: 1 }],
          },
          2,
        ),
      ],
      issuing: 'DoesNotExist',
    },
  ];

  test('Issuing=True names the next key Secret in the same write, unless a Secret of that name exists already (left over: the key manager checks it)', async () => {
    const withUid = { ...cert(), metadata: { ...cert().metadata, uid: 'uid-web' } };
    const keySecretName = nextKeySecretNameFor(withUid);
    const named = async (objects: KubernetesObject[]) => {
      const w = fakeWorker(objects, { now: new Date(NOW).toISOString() });
      await createTriggerController(w.ctx).sync(`${NS}/web`);
      return w.stored<Certificate>(Resources.Certificate, NS, 'web')!.status!.nextPrivateKeySecretName;
    };
    assert.equal(await named([withUid]), keySecretName);
    const leftover = {
      ...tlsSecret(NS, keySecretName, fresh),
      metadata: { name: keySecretName, namespace: NS, labels: { 'controller.cert-manager.io/fao': 'true' } },
    };
    assert.equal(await named([withUid, leftover]), undefined);
  });

  test('a renewal is confirmed by the watched Secret cache, as cert-manager decides from its informers: no GET', async () => {
    const w = fakeWorker([cert({ revision: 1 }), secretFor(due)], { now: new Date(NOW).toISOString() });
    let gets = 0;
    const get = w.ctx.client.get.bind(w.ctx.client);
    w.ctx.client.get = ((...args: Parameters<typeof get>) => (gets++, get(...args))) as typeof get;
    await createTriggerController(w.ctx).sync(`${NS}/web`);
    const issuing = w.stored<Certificate>(Resources.Certificate, NS, 'web')!.status!.conditions!.find((x) => x.type === 'Issuing');
    assert.equal(issuing?.reason, 'Renewing');
    assert.equal(gets, 0);
  });

  test('a Secret not in the watched cache (not labelled) is read from the server before issuing', async () => {
    const unlabelled = { ...secretFor(fresh), metadata: { ...secretFor(fresh).metadata, labels: {} } };
    const w = fakeWorker([cert(), unlabelled], { now: new Date(NOW).toISOString() });
    let gets = 0;
    const get = w.ctx.client.get.bind(w.ctx.client);
    w.ctx.client.get = ((...args: Parameters<typeof get>) => (gets++, get(...args))) as typeof get;
    const result = await createTriggerController(w.ctx).sync(`${NS}/web`);
    assert.deepEqual(w.writes, [], 'an up-to-date Secret found by the GET: nothing issued');
    assert.equal(result?.requeueAfterMs, 50 * DAY);
    assert.equal(gets, 1);
  });

  for (const c of cases) {
    test(c.name, async () => {
      const w = fakeWorker(c.objects(), { now: new Date(NOW).toISOString() });
      const result = await createTriggerController(w.ctx).sync(`${NS}/web`);
      const statusWrites = w.writes.filter((x) => x.kind === 'Certificate');
      if (c.issuing) {
        assert.equal(statusWrites.length, 1, 'one status write');
        assert.equal(statusWrites[0].subresource, 'status');
        const issuing = w.stored<Certificate>(Resources.Certificate, NS, 'web')!.status!.conditions!.find((x) => x.type === 'Issuing')!;
        assert.equal(issuing.status, 'True');
        assert.equal(issuing.reason, c.issuing);
        assert.deepEqual(
          w.events.map((e) => e.reason),
          ['Issuing'],
        );
      } else {
        assert.deepEqual(w.writes, [], 'no writes');
        assert.deepEqual(w.events, [], 'no Events');
      }
      assert.equal(result?.requeueAfterMs, c.requeueAfterMs);
    });
  }
});
