// cert-manager's --enable-certificate-owner-ref (the chart's enableCertificateOwnerRef): the issued
// Secret gets a controller ownerReference to its Certificate, so deleting the Certificate deletes the
// Secret (and a reference removed by hand is put back without re-issuing); without the flag the
// Secret outlives its Certificate. Real worker on the API server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { secretOwnerReferences } from '../../worker/certificates/secret-writer.ts';
import { runName } from './cluster.ts';
import { selfSignedFleet, type WorkerFleet } from './issuance-helpers.ts';
import { certificate, waitFor } from '../fixtures.ts';

const NS = runName('owner-ref-e2e');

describe('--enable-certificate-owner-ref', { timeout: 240_000 }, () => {
  let fleet: WorkerFleet;
  let worker: RunningWorker | undefined;
  const secret = (name: string) => fleet.client.get<V1Secret>(Resources.Secret, NS, name);
  const issuedSecret = (name: string) => waitFor(`Secret ${name}`, async () => ((await secret(name))?.data?.['tls.crt'] ? secret(name) : undefined), 30_000);

  before(async () => {
    fleet = await selfSignedFleet(NS);
  });
  after(async () => {
    await fleet?.stop();
  });

  test('with the flag, the Secret is owned by its Certificate and goes with it', async () => {
    worker = await fleet.launch(['--no-leader-elect', '--enable-certificate-owner-ref'], {});
    const cert = await fleet.client.create<Certificate>(Resources.Certificate, certificate(NS, 'owned'));
    const s = await issuedSecret('owned-tls');
    assert.deepEqual(s.metadata?.ownerReferences, [
      { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: 'owned', uid: cert.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);

    // Removed by hand: put back without re-issuing (cert-manager's SecretOwnerRefMismatch), other owners kept.
    const keeper = await fleet.client.create<V1Secret>(Resources.Secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'keeper', namespace: NS } });
    const other = { apiVersion: 'v1', kind: 'Secret', name: 'keeper', uid: keeper.metadata!.uid! };
    await fleet.client.replace<V1Secret>(Resources.Secret, { ...s, metadata: { ...s.metadata, ownerReferences: [other] } });
    const restored = await waitFor(
      'the owner reference is put back',
      async () => {
        const now = await secret('owned-tls');
        return now?.metadata?.ownerReferences?.some((r) => r.uid === cert.metadata.uid) ? now : undefined;
      },
      30_000,
    );
    assert.deepEqual(restored.metadata?.ownerReferences, [
      other,
      { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: 'owned', uid: cert.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(restored.data?.['tls.crt'], s.data?.['tls.crt'], 'not re-issued');

    await fleet.client.replace<V1Secret>(Resources.Secret, {
      ...restored,
      metadata: { ...restored.metadata, ownerReferences: restored.metadata!.ownerReferences!.filter((r) => r.uid !== other.uid) },
    });
    await fleet.client.delete(Resources.Certificate, NS, 'owned');
    await waitFor('the garbage collector deletes the Secret', async () => !(await secret('owned-tls')), 30_000);
    await fleet.stopWorker(worker);
  });

  test('without it (the default), the Secret has no owner and outlives its Certificate', async () => {
    worker = await fleet.launch(['--no-leader-elect'], {});
    await fleet.client.create<Certificate>(Resources.Certificate, certificate(NS, 'kept'));
    const s = await issuedSecret('kept-tls');
    assert.equal(s.metadata?.ownerReferences, undefined);
    await fleet.client.delete(Resources.Certificate, NS, 'kept');
    await waitFor('the Certificate is gone', async () => !(await fleet.client.get(Resources.Certificate, NS, 'kept')));
    assert.ok(await secret('kept-tls'), 'the Secret stays');
    await fleet.stopWorker(worker);
  });

  test('at issuance a reference written earlier goes when the flag is off, and other owners stay', () => {
    const cert = { ...certificate(NS, 'c'), metadata: { name: 'c', namespace: NS, uid: 'u1' } } as Certificate;
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u2' };
    const mine = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', name: 'c', uid: 'u1', controller: true, blockOwnerDeletion: true };
    assert.deepEqual(secretOwnerReferences(cert, [mine, other], false), [other]);
    assert.equal(secretOwnerReferences(cert, [mine], false), undefined);
    assert.deepEqual(secretOwnerReferences(cert, [other, mine], true), [other, mine], 'no duplicate');
  });
});
