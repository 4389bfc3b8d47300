// Metrics across a leadership handover between two live in-process workers: only the leader
// exports per-Certificate and per-issuer series. The one that loses the Lease (it keeps running)
// drops them and keeps its process metrics and counters; leading again rebuilds them from its caches.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import { isConflict, type KubeClient } from '../../lib/kube/client.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { runName } from './cluster.ts';
import { CLUSTER_RESOURCE_NAMESPACE, fetchText, selfSignedFleet, type WorkerFleet } from './issuance-helpers.ts';
import { waitFor } from '../fixtures.ts';

const NS = runName('leader-metrics-e2e');
const LEASE = 'certgate-worker-metrics';
// A short renew deadline so the replica that lost the Lease stops within about a second.
const LEASE_ARGS = [
  '--leader-election-id',
  LEASE,
  '--leader-election-lease-duration',
  '10s',
  '--leader-election-renew-deadline',
  '1s',
  '--leader-election-retry-period',
  '200ms',
];
const OBJECT_SERIES = /^(certmanager_certificate_[a-z_]+|certgate_issuer_ready_status)\{/m;

interface Lease extends KubernetesObject {
  spec?: { holderIdentity?: string; renewTime?: string };
}

describe('metrics after losing leadership', { timeout: 180_000 }, () => {
  let fleet: WorkerFleet;
  let client: KubeClient;
  const scrape = (w: RunningWorker) => fetchText(`http://127.0.0.1:${w.metricsPort}/metrics`);
  const readyLine = new RegExp(
    `^certmanager_certificate_ready_status\\{name="web",namespace="${NS}",issuer_name="selfsigned",issuer_kind="Issuer",issuer_group="cert-manager\\.io",condition="True"\\} 1$`,
    'm',
  );
  const expirationLine = (text: string) => /^certmanager_certificate_expiration_timestamp_seconds\{name="web",[^}]*\} (\d+)$/m.exec(text)?.[1];
  const syncCount = (text: string) => Number(/^certmanager_controller_sync_call_count\{controller="certificates-readiness"\} (\d+)$/m.exec(text)?.[1] ?? NaN);

  /** Hands the Lease to `identity` as a live holder would hold it (retrying on the leader's concurrent renewals). */
  const handLeaseTo = (identity: string) =>
    waitFor(
      `Lease handed to ${identity}`,
      async () => {
        const lease = (await client.get<Lease>(Resources.Lease, CLUSTER_RESOURCE_NAMESPACE, LEASE))!;
        const renewTime = new Date().toISOString().replace('Z', '000Z');
        try {
          await client.replace(Resources.Lease, { ...lease, spec: { ...lease.spec, holderIdentity: identity, renewTime } } as Lease);
          return true;
        } catch (e) {
          if (isConflict(e)) return false;
          throw e;
        }
      },
      5000,
      20,
    );

  before(async () => {
    fleet = await selfSignedFleet(NS);
    client = fleet.client;
  });
  after(() => fleet?.stop());

  test('the replica that loses the Lease drops Certificate and issuer series, keeps process metrics and counters; leading again rebuilds them', async () => {
    const a = await fleet.launch(LEASE_ARGS, { identity: 'metrics-a' });
    await waitFor('metrics-a leads', async () => a.isLeader());
    const b = await fleet.launch(LEASE_ARGS, { identity: 'metrics-b' });

    await client.create(Resources.Certificate, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'web', namespace: NS },
      spec: { secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: 'selfsigned' }, privateKey: { algorithm: 'ECDSA' } },
    } as Certificate);
    const leading = await waitFor('metrics-a exports web as Ready', async () => {
      const text = await scrape(a);
      return readyLine.test(text) &&
        new RegExp(`^certgate_issuer_ready_status\\{name="selfsigned",namespace="${NS}",kind="Issuer",condition="True"\\} 1$`, 'm').test(text)
        ? text
        : undefined;
    });
    const expiration = expirationLine(leading);
    assert.ok(expiration && Number(expiration) > Date.now() / 1000, 'expiration timestamp in the future');
    assert.doesNotMatch(await scrape(b), OBJECT_SERIES, 'the standby never exported per-object series');

    // A live handover: metrics-b now holds the Lease while metrics-a keeps running.
    await handLeaseTo('metrics-b');
    await waitFor('metrics-b leads', async () => b.isLeader(), 30_000, 50);
    await waitFor('metrics-a stops leading', async () => !a.isLeader(), 30_000, 50);
    const follower = await waitFor(
      'metrics-a drops per-object series',
      async () => {
        const text = await scrape(a);
        return OBJECT_SERIES.test(text) ? undefined : text;
      },
      10_000,
      50,
    );
    assert.match(follower, /^process_cpu_user_seconds_total \d/m, 'process metrics stay');
    assert.match(follower, /^nodejs_heap_size_used_bytes \d/m, 'process metrics stay');
    assert.ok(syncCount(follower) >= syncCount(leading), 'counters keep their totals');
    // The new leader exports the same Certificate from its own caches: one replica, one set of series.
    const newLeader = await waitFor('metrics-b exports web', async () => {
      const text = await scrape(b);
      return readyLine.test(text) ? text : undefined;
    });
    assert.equal(expirationLine(newLeader), expiration);

    // Back to metrics-a: its series are rebuilt from the caches, and metrics-b drops its own.
    await handLeaseTo('metrics-a');
    await waitFor('metrics-a leads again', async () => a.isLeader(), 30_000, 50);
    const rebuilt = await waitFor('metrics-a exports web again', async () => {
      const text = await scrape(a);
      return readyLine.test(text) ? text : undefined;
    });
    assert.equal(expirationLine(rebuilt), expiration);
    await waitFor('metrics-b drops per-object series', async () => !OBJECT_SERIES.test(await scrape(b)), 30_000, 50);
  });
});
