// The key manager as a table: a Certificate, its Secret and its next-key Secret in; the key Secret
// created or deleted, status.nextPrivateKeySecretName written, the Event and the requeue out
// (cert-manager's keymanager tests, on the fake context).
import { describe, test, before, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { fakeWorker, Resources, type FakeWorker } from '../../test/worker/fake-context.ts';
import { issuedPair, type IssuedPair } from '../../test/worker/issued-pair.ts';
import {
  NS,
  NAME,
  certificate,
  issuingTrue,
  issuedSecret,
  keySecret,
  keyKind,
  newKeyPem,
  secretData,
  writeLines,
  certificateTable,
  type TableCase,
} from '../../test/worker/certificate-table.ts';
import { parsePrivateKeyPem, samePublicKey } from '../../lib/pki/index.ts';
import { CONFLICT_RETRY_MS } from '../../lib/reconcile-errors.ts';
import { nextKeySecretNameFor } from '../object-names.ts';
import { createKeyManagerController } from './keymanager.ts';

const KEY_SECRET = nextKeySecretNameFor(certificate());
const ISSUING_SINCE = Date.UTC(2026, 1, 1);
const issuing = (status: Certificate['status'] = {}) => ({
  ...status,
  conditions: [{ ...issuingTrue, lastTransitionTime: new Date(ISSUING_SINCE).toISOString() }],
});
const created = (secret: V1Secret, at: number): V1Secret => ({
  ...secret,
  metadata: { ...secret.metadata, creationTimestamp: new Date(at).toISOString() as unknown as Date },
});
/** A next-key Secret controlled by apps/web, as the key manager makes it (labels optional). */
const ownedKeySecret = (name: string, keyPem: string, labelled = true): V1Secret => {
  const s = keySecret(name, keyPem, labelled);
  return {
    ...s,
    metadata: {
      ...s.metadata,
      ownerReferences: [{ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: NAME, uid: 'uid-web', controller: true, blockOwnerDeletion: true }],
    },
  };
};
const never = { spec: { privateKey: { algorithm: 'ECDSA' as const, size: 256, rotationPolicy: 'Never' as const } } };

const storedKey = (w: FakeWorker) => secretData(w.stored<V1Secret>(Resources.Secret, NS, KEY_SECRET), 'tls.key');
const recorded = (w: FakeWorker) => w.stored<Certificate>(Resources.Certificate, NS, NAME)!.status?.nextPrivateKeySecretName;

describe('key manager', () => {
  let current: IssuedPair; // the key pair in the Certificate's Secret today (ECDSA P-256)
  let ecdsa: string; // another ECDSA P-256 key
  let rsa: string;
  before(async () => {
    current = await issuedPair(['web.example.test'], Date.UTC(2026, 0, 1), 90 * 86_400_000);
    ecdsa = await newKeyPem({ algorithm: 'ECDSA', size: 256 });
    rsa = await newKeyPem({ algorithm: 'RSA', size: 2048 });
  });

  const cases: TableCase[] = [
    { name: 'not Issuing: no key is made', objects: () => [certificate()], writes: [] },
    { name: 'the Certificate is being deleted: nothing is made', objects: () => [certificate(issuing(), { deleting: true })], writes: [] },
    {
      name: 'Issuing and no next private key Secret: a key Secret is created and recorded in status',
      objects: () => [certificate(issuing())],
      writes: [`create Secret ${KEY_SECRET}`, `replace Certificate/status ${NAME}`],
      events: ['Generated'],
      check: (w) => {
        const s = w.stored<V1Secret>(Resources.Secret, NS, KEY_SECRET)!;
        assert.equal(s.metadata?.labels?.['controller.cert-manager.io/fao'], 'true', 'in the managed Secrets cache');
        assert.equal(s.metadata?.labels?.['cert-manager.io/next-private-key'], 'true');
        assert.deepEqual(
          s.metadata?.ownerReferences?.map((r) => `${r.kind}/${r.name} ${r.uid} controller=${r.controller}`),
          [`Certificate/${NAME} uid-web controller=true`],
          'garbage-collected with its Certificate',
        );
        assert.equal(keyKind(storedKey(w)!), 'ECDSA 256', 'the key the spec asks for');
        assert.equal(recorded(w), KEY_SECRET);
      },
    },
    {
      name: 'Issuing with an RSA 3072 spec: the new key is RSA 3072',
      objects: () => [certificate(issuing(), { spec: { privateKey: { algorithm: 'RSA', size: 3072 } } })],
      writes: [`create Secret ${KEY_SECRET}`, `replace Certificate/status ${NAME}`],
      events: ['Generated'],
      check: (w) => assert.equal(keyKind(storedKey(w)!), 'RSA 3072'),
    },
    {
      name: 'rotationPolicy Always (the default) and a current Secret: a new key, not the current one',
      objects: () => [certificate(issuing()), issuedSecret(current)],
      writes: [`create Secret ${KEY_SECRET}`, `replace Certificate/status ${NAME}`],
      events: ['Generated'],
      check: (w) => assert.ok(!samePublicKey(parsePrivateKeyPem(storedKey(w)!), parsePrivateKeyPem(current.key)), 'rotated'),
    },
    {
      name: 'rotationPolicy Never and the current key fits the spec: the key Secret holds the current key',
      objects: () => [certificate(issuing(), never), issuedSecret(current)],
      writes: [`create Secret ${KEY_SECRET}`, `replace Certificate/status ${NAME}`],
      events: ['Generated'],
      check: (w) => assert.ok(samePublicKey(parsePrivateKeyPem(storedKey(w)!), parsePrivateKeyPem(current.key)), 'kept'),
    },
    {
      name: 'rotationPolicy Never but the current key is RSA and the spec asks ECDSA: a new ECDSA key',
      objects: () => [certificate(issuing(), never), issuedSecret({ cert: current.cert, key: rsa })],
      writes: [`create Secret ${KEY_SECRET}`, `replace Certificate/status ${NAME}`],
      events: ['Generated'],
      check: (w) => assert.equal(keyKind(storedKey(w)!), 'ECDSA 256'),
    },
    {
      name: 'the key Secret is recorded and fits the spec: nothing to do',
      objects: () => [certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })), keySecret(KEY_SECRET, ecdsa)],
      writes: [],
    },
    {
      name: 'a key Secret that status does not name (a crash between create and status write): recorded, no new key',
      objects: () => [certificate(issuing()), keySecret(KEY_SECRET, ecdsa)],
      writes: [`replace Certificate/status ${NAME}`],
      check: (w) => {
        assert.equal(recorded(w), KEY_SECRET);
        assert.equal(storedKey(w), ecdsa, 'the key is kept');
      },
    },
    {
      name: 'the recorded key Secret was deleted: a new key under the recorded name',
      objects: () => [certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET }))],
      writes: [`create Secret ${KEY_SECRET}`],
      events: ['Generated'],
      check: (w) => assert.equal(keyKind(storedKey(w)!), 'ECDSA 256'),
    },
    {
      name: 'a key Secret stripped of the managed label (not in the cache): the create finds it, its labels are put back and it is recorded',
      objects: () => [certificate(issuing()), ownedKeySecret(KEY_SECRET, ecdsa, false)],
      writes: [`create Secret ${KEY_SECRET}`, `replace Secret ${KEY_SECRET}`, `replace Certificate/status ${NAME}`],
      // In the cache again: no second create.
      again: [],
      check: (w) => {
        assert.equal(storedKey(w), ecdsa, 'the existing key is used, not overwritten');
        assert.equal(recorded(w), KEY_SECRET);
        assert.equal(w.stored<V1Secret>(Resources.Secret, NS, KEY_SECRET)!.metadata?.labels?.['cert-manager.io/next-private-key'], 'true');
      },
    },
    {
      name: 'an unlabelled Secret of that name not controlled by the Certificate (someone else made it): its key is not used, it is not deleted, a Warning says what to do',
      objects: () => [certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })), keySecret(KEY_SECRET, ecdsa, false)],
      writes: [`create Secret ${KEY_SECRET}`],
      events: ['NextKeySecretNotOwned'],
      requeueAfterMs: 60_000,
      check: (w) => {
        assert.equal(storedKey(w), ecdsa, 'left as it was');
        assert.equal(w.stored<V1Secret>(Resources.Secret, NS, KEY_SECRET)!.metadata?.labels, undefined, 'not adopted');
      },
    },
    {
      name: 'the spec changed to ECDSA while the RSA key waited: the key Secret is deleted and the pass runs again at once',
      objects: () => [certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })), keySecret(KEY_SECRET, rsa)],
      writes: [`delete Secret ${KEY_SECRET}`],
      requeueAfterMs: 0,
    },
    {
      name: 'a key Secret with no readable key: deleted and made again',
      objects: () => [certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })), keySecret(KEY_SECRET, 'not a key')],
      writes: [`delete Secret ${KEY_SECRET}`],
      requeueAfterMs: 0,
    },
    {
      name: 'rotationPolicy Always and an unrecorded key Secret holding the current key (left over): deleted, so the key rotates',
      objects: () => [certificate(issuing()), issuedSecret(current), keySecret(KEY_SECRET, current.key)],
      writes: [`delete Secret ${KEY_SECRET}`],
      requeueAfterMs: 0,
    },
    {
      name: 'rotationPolicy changed from Never to Always while issuing: the recorded key (a copy of the current one) stays, the request made with it goes on',
      objects: () => [certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })), issuedSecret(current), keySecret(KEY_SECRET, current.key)],
      writes: [],
    },
    {
      name: 'named by the trigger and created: no status write of its own, the Generated Event',
      objects: () => [certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET }))],
      writes: [`create Secret ${KEY_SECRET}`],
      events: ['Generated'],
    },
    {
      name: 'rotationPolicy Always, named in status but the key Secret is older than the Issuing condition and holds the current key (left over): deleted',
      objects: () => [
        certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })),
        issuedSecret(current),
        created(keySecret(KEY_SECRET, current.key), ISSUING_SINCE - 60_000),
      ],
      writes: [`delete Secret ${KEY_SECRET}`],
      requeueAfterMs: 0,
    },
    {
      name: 'named in status and created after the Issuing condition began: kept (made for this issuance)',
      objects: () => [certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })), created(keySecret(KEY_SECRET, ecdsa), ISSUING_SINCE + 1000)],
      writes: [],
    },
    {
      name: 'rotationPolicy Always, named in status, and a create collides with an unlabelled Secret holding the current key: deleted',
      objects: () => [certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })), issuedSecret(current), ownedKeySecret(KEY_SECRET, current.key, false)],
      writes: [`create Secret ${KEY_SECRET}`, `delete Secret ${KEY_SECRET}`],
      requeueAfterMs: 0,
    },
    {
      name: 'rotationPolicy Never and an unrecorded key Secret holding the current key: kept and recorded',
      objects: () => [certificate(issuing(), never), issuedSecret(current), keySecret(KEY_SECRET, current.key)],
      writes: [`replace Certificate/status ${NAME}`],
    },
  ];

  certificateTable(cases, createKeyManagerController);

  test('a key Secret stripped of its labels: adopted (labels put back), so later passes, after the read is forgotten, make no colliding create', async () => {
    const w = fakeWorker([certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })), ownedKeySecret(KEY_SECRET, ecdsa, false)]);
    const ctrl = createKeyManagerController(w.ctx);
    await ctrl.sync(`${NS}/${NAME}`);
    w.settle();
    // Passes long after the first (status updates during an ACME issuance take minutes): a remembered read has expired.
    const later = Date.now() + 60_000;
    mock.method(Date, 'now', () => later);
    try {
      const before = w.writes.length;
      await ctrl.sync(`${NS}/${NAME}`);
      await ctrl.sync(`${NS}/${NAME}`);
      assert.deepEqual(writeLines(w.writes.slice(before)), [], 'no create colliding with the Secret on each pass');
    } finally {
      mock.restoreAll();
    }
    const s = w.stored<V1Secret>(Resources.Secret, NS, KEY_SECRET)!;
    assert.equal(s.metadata?.labels?.['controller.cert-manager.io/fao'], 'true', 'back in the managed Secrets cache');
    assert.equal(s.metadata?.labels?.['cert-manager.io/next-private-key'], 'true');
    assert.equal(storedKey(w), ecdsa, 'the key is kept');
  });

  test('a Secret of that name it does not control: the retries read it and make no key until the name is free', async () => {
    const w = fakeWorker([certificate(issuing({ nextPrivateKeySecretName: KEY_SECRET })), keySecret(KEY_SECRET, ecdsa, false)]);
    const ctrl = createKeyManagerController(w.ctx);
    const retryIn = async () => (await ctrl.sync(`${NS}/${NAME}`))?.requeueAfterMs;
    const creates = () => w.writes.filter((x) => x.verb === 'create').length;
    assert.equal(await retryIn(), 60_000, 'looked at again in a minute');
    assert.equal(creates(), 1, 'the first look finds it by a create (it is not cached)');
    assert.equal(await retryIn(), 60_000, 'a pass seconds later (the GET still remembered) does not take it for ours either');
    // The retries, a minute apart: the remembered GET has expired.
    let now = Date.now();
    mock.method(Date, 'now', () => now);
    try {
      for (let i = 0; i < 2; i++) {
        now += 61_000;
        assert.equal(await retryIn(), 60_000);
      }
    } finally {
      mock.restoreAll();
    }
    assert.equal(creates(), 1, 'each retry reads the Secret: no new private key, no create');
    assert.equal(storedKey(w), ecdsa, 'left as it was');
    assert.deepEqual(
      w.events.map((e) => e.reason),
      Array(4).fill('NextKeySecretNotOwned'),
      'the Warning each time',
    );
    // The user deletes it: the next retry makes the key and records it.
    await w.ctx.client.delete(Resources.Secret, NS, KEY_SECRET);
    assert.equal(await retryIn(), undefined);
    assert.deepEqual(writeLines(w.writes.slice(-1)), [`create Secret ${KEY_SECRET}`]);
    assert.notEqual(storedKey(w), ecdsa, 'a new key of its own');
    assert.equal(keyKind(storedKey(w)!), 'ECDSA 256');
  });

  test('the Certificate changed since the cache read: the status write conflicts, and the retry records the key Secret already made', async () => {
    const w = fakeWorker([certificate(issuing())]);
    w.changedElsewhere(certificate(issuing(), { labels: { team: 'a' } }));
    const ctrl = createKeyManagerController(w.ctx);
    assert.deepEqual(await ctrl.sync(`${NS}/${NAME}`), { requeueAfterMs: CONFLICT_RETRY_MS }, 'a conflict: tried again shortly');
    assert.deepEqual(writeLines(w.writes), [`create Secret ${KEY_SECRET}`, `replace Certificate/status ${NAME}`]);
    const key = storedKey(w);
    w.settle();
    await ctrl.sync(`${NS}/${NAME}`);
    assert.deepEqual(writeLines(w.writes.slice(2)), [`replace Certificate/status ${NAME}`], 'only the status write, no second key');
    assert.equal(recorded(w), KEY_SECRET);
    assert.equal(storedKey(w), key, 'the key made before the conflict is the one used');
  });
});
