// Leader election between two in-process workers on one Lease: only the leader issues; stopping
// it releases the Lease and the standby takes over; a Lease held by a dead identity is taken over
// after the leaseDuration written in that Lease.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { runName } from './cluster.ts';
import { CLUSTER_RESOURCE_NAMESPACE, selfSignedFleet, type WorkerFleet } from './issuance-helpers.ts';
import { waitFor } from '../fixtures.ts';

const NS = runName('leader-e2e');
const LEASE_ARGS = ['--leader-election-lease-duration', '30s', '--leader-election-renew-deadline', '20s', '--leader-election-retry-period', '200ms'];

interface Lease extends KubernetesObject {
  spec?: { holderIdentity?: string; leaseTransitions?: number; renewTime?: string; leaseDurationSeconds?: number };
}

describe('leader election', { timeout: 180_000 }, () => {
  let fleet: WorkerFleet;
  let client: KubeClient;

  const lease = () => client.get<Lease>(Resources.Lease, CLUSTER_RESOURCE_NAMESPACE, 'certgate-worker');
  const readyCert = (name: string) =>
    waitFor(`Certificate ${name} Ready`, async () => {
      const c = await client.get<Certificate>(Resources.Certificate, NS, name);
      return c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? c : undefined;
    });
  const createCert = (name: string) =>
    client.create(Resources.Certificate, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name, namespace: NS },
      spec: { secretName: `${name}-tls`, dnsNames: [`${name}.example.test`], issuerRef: { name: 'selfsigned' }, privateKey: { algorithm: 'ECDSA' } },
    } as Certificate);

  before(async () => {
    fleet = await selfSignedFleet(NS);
    client = fleet.client;
  });
  after(() => fleet?.stop());

  test('one leader issues; on shutdown it releases the Lease and the other takes over', async () => {
    const a = await fleet.launch(LEASE_ARGS, { identity: 'worker-a' });
    await waitFor('worker-a leads', async () => a.isLeader());
    const b = await fleet.launch(LEASE_ARGS, { identity: 'worker-b' });
    assert.equal((await lease())?.spec?.holderIdentity, 'worker-a');

    await createCert('first');
    await readyCert('first');
    assert.equal(b.isLeader(), false, 'the standby never led while worker-a renewed');
    const standby = await fetch(`http://127.0.0.1:${b.healthPort}/readyz`);
    assert.equal(standby.status, 200, 'a standby is ready');

    await fleet.stopWorker(a);
    const stoppedAt = Date.now();
    // The lease lasts 30 s: a takeover well before that can only come from the release.
    await waitFor('worker-b leads', async () => b.isLeader(), 25_000, 50);
    assert.ok(Date.now() - stoppedAt < 25_000, 'released lease is taken at once, not after the 30s leaseDuration');
    const l = await lease();
    assert.equal(l?.spec?.holderIdentity, 'worker-b');
    assert.equal(l?.spec?.leaseTransitions, 0, 'a release is not a transition away from a live holder');

    await createCert('second');
    await readyCert('second');
    await fleet.stopWorker(b);
  });

  test('a Lease held by a dead identity is taken over after leaseDuration', async () => {
    const current = (await lease())!;
    const now = new Date().toISOString().replace('Z', '000Z');
    await client.replace(Resources.Lease, { ...current, spec: { ...current.spec, holderIdentity: 'ghost', leaseDurationSeconds: 2, renewTime: now } } as Lease);
    const c = await fleet.launch(LEASE_ARGS, { identity: 'worker-c' });
    const started = Date.now();
    await waitFor('worker-c takes over', async () => c.isLeader(), 30_000, 50);
    // Not before the ghost's lease ran out on worker-c's clock: a live-looking lease is not stolen.
    assert.ok(Date.now() - started >= 1900, 'waited for leaseDuration');
    const l = await lease();
    assert.equal(l?.spec?.holderIdentity, 'worker-c');
    assert.ok((l?.spec?.leaseTransitions ?? 0) >= 1, 'takeover counted as a transition');
    await createCert('third');
    await readyCert('third');
  });
});
