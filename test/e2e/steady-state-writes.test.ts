// A worker in steady state writes nothing: over 50 Ready Certificates it makes no API writes for a
// minute, which begins with the labels of every Certificate changing (waking every certificate
// controller). The embedded API server returns custom resources with keys sorted, as
// the real one does, so a comparison that depends on key order would show up here as writes.
// Counted two ways: changes seen by watches of the namespace (both paths), and on the embedded
// server every write request at all (a no-op write makes no watch event but is still a write).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Watch, type KubernetesObject } from '@kubernetes/client-node';
import { Resources, resourcePath, type ResourceDescriptor } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import { loadKubeConfig } from '../../lib/kube/client.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { TRIGGER_CONTROLLER } from '../../worker/certificates/trigger.ts';
import { KEY_MANAGER_CONTROLLER } from '../../worker/certificates/keymanager.ts';
import { REQUEST_MANAGER_CONTROLLER } from '../../worker/certificates/requestmanager.ts';
import { ISSUING_CONTROLLER } from '../../worker/certificates/issuing.ts';
import { READINESS_CONTROLLER } from '../../worker/certificates/readiness.ts';
import { runName } from './cluster.ts';
import { selfSignedFleet, type WorkerFleet } from './issuance-helpers.ts';
import { waitFor } from '../fixtures.ts';

const NS = runName('steady-writes');
const CERTIFICATES = 50;
const QUIET_MS = 60_000;
// What a worker could write in the namespace.
const WATCHED: ResourceDescriptor[] = [Resources.Certificate, Resources.CertificateRequest, Resources.Secret, Resources.Event, Resources.Issuer];
const CERTIFICATE_CONTROLLERS = [TRIGGER_CONTROLLER, KEY_MANAGER_CONTROLLER, REQUEST_MANAGER_CONTROLLER, ISSUING_CONTROLLER, READINESS_CONTROLLER];

describe('a steady-state worker makes no writes', { timeout: 900_000 }, () => {
  let fleet: WorkerFleet;
  let worker: RunningWorker;
  const writeRequests: string[] = []; // embedded server only

  before(async () => {
    fleet = await selfSignedFleet(NS, {
      onRequest: (method, url) => {
        if (method !== 'GET' && !url.includes('/leases')) writeRequests.push(`${method} ${url}`);
      },
    });
    worker = await fleet.launch([], {});
    for (let i = 0; i < CERTIFICATES; i++) {
      await fleet.client.create(Resources.Certificate, {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: `steady-${i}`, namespace: NS },
        spec: {
          secretName: `steady-${i}-tls`,
          dnsNames: [`steady-${i}.example.test`],
          issuerRef: { name: 'selfsigned' },
          privateKey: { algorithm: 'ECDSA', size: 256 },
        },
      } as KubernetesObject);
    }
    // The positive sign that the worker has processed everything: every Certificate issued to the
    // end (revision 1, no next private key left, its "Issuing" Event recorded) and exported as
    // Ready by the worker's own metrics, which the readiness controller sets last.
    await waitFor(`all ${CERTIFICATES} Certificates issued to the end`, async () => (await unfinished()).length === 0, {
      timeoutMs: 240_000,
      everyMs: 250,
      explain: unfinished,
    });
    await waitFor('the worker to export every Certificate as Ready', async () => (await readyInMetrics()) === CERTIFICATES, {
      timeoutMs: 120_000,
      everyMs: 250,
    });
  });

  after(async () => {
    await fleet?.stop();
  });

  // One quiet minute that begins with the label change: the test's own label patches (field
  // manager certgate-e2e) are the only writes allowed in it.
  test(`over ${CERTIFICATES} Ready Certificates: no writes for a minute, also after the labels of every Certificate changed`, async () => {
    const from = (await fleet.client.list(Resources.Certificate, { namespace: NS })).metadata!.resourceVersion!;
    const requestsBefore = writeRequests.length;
    const counting = watchChanges(from, QUIET_MS);
    const syncsBefore = await syncCalls();
    const ours = new Set<string>();
    for (let i = 0; i < CERTIFICATES; i++) {
      const patched = await fleet.client.patch<Certificate>(Resources.Certificate, NS, `steady-${i}`, {
        metadata: { labels: { team: 'payments', rollout: 'b' } },
      });
      ours.add(`MODIFIED Certificate steady-${i} ${patched.metadata!.resourceVersion}`);
    }
    // Every certificate controller reconciled every relabelled Certificate inside the window.
    await waitFor(
      'each certificate controller to reconcile every relabelled Certificate',
      async () => {
        const now = await syncCalls();
        return CERTIFICATE_CONTROLLERS.every((c) => (now.get(c) ?? 0) - (syncsBefore.get(c) ?? 0) >= CERTIFICATES);
      },
      { timeoutMs: QUIET_MS / 2, everyMs: 250 },
    );
    const changes = (await counting).filter((c) => !ours.has(c));
    assert.deepEqual(changes, [], "changes in the namespace during the quiet minute, besides the test's label patches");
    if (fleet.cluster.embedded) {
      const writes = writeRequests.slice(requestsBefore).filter((r) => !r.includes('fieldManager=certgate-e2e'));
      assert.deepEqual(writes, [], "write requests during the quiet minute, besides the test's");
      assert.equal(writeRequests.length - requestsBefore, CERTIFICATES, 'the label patches were counted: the count works');
    }
  });

  async function watchChanges(fromRv: string, durationMs: number): Promise<string[]> {
    const kc = loadKubeConfig({ kubeconfig: fleet.cluster.kubeconfigPath });
    const seen: string[] = [];
    const controllers = await Promise.all(
      WATCHED.map((r) =>
        new Watch(kc).watch(
          resourcePath(r, NS),
          { resourceVersion: fromRv, allowWatchBookmarks: true, timeoutSeconds: Math.ceil(durationMs / 1000) + 30 },
          (type, obj) => {
            if (type !== 'BOOKMARK') seen.push(`${type} ${r.kind} ${obj?.metadata?.name ?? JSON.stringify(obj)} ${obj?.metadata?.resourceVersion}`);
          },
          (err) => {
            if (err && (err as Error).name !== 'AbortError') seen.push(`watch of ${r.plural} ended: ${String(err)}`);
          },
        ),
      ),
    );
    await sleep(durationMs); // the quiet period is the measurement itself, not a wait for something
    for (const c of controllers) c.abort();
    return seen;
  }

  /** Certificates not yet issued to the end, with what is missing. */
  async function unfinished(): Promise<string[]> {
    const certs = (await fleet.client.list<Certificate>(Resources.Certificate, { namespace: NS })).items;
    const secrets = (await fleet.client.list(Resources.Secret, { namespace: NS })).items.map((s) => s.metadata!.name!);
    const issuedEvents = new Set(
      (await fleet.client.list<KubernetesObject & { reason?: string; involvedObject?: { name?: string } }>(Resources.Event, { namespace: NS })).items
        .filter((e) => e.reason === 'Issuing')
        .map((e) => e.involvedObject?.name),
    );
    const out: string[] = [];
    if (certs.length !== CERTIFICATES) out.push(`${certs.length} Certificates`);
    for (const c of certs) {
      const name = c.metadata!.name!;
      if (!c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) out.push(`${name}: not Ready`);
      if (c.status?.revision !== 1 || c.status.nextPrivateKeySecretName) out.push(`${name}: issuance not finished`);
      if (!issuedEvents.has(name)) out.push(`${name}: no Issuing Event yet`);
      if (secrets.some((s) => s.startsWith(`${name}-next-key-`))) out.push(`${name}: next private key Secret still there`);
    }
    return out;
  }

  async function metricsText(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text();
  }

  async function readyInMetrics(): Promise<number> {
    return (await metricsText())
      .split('\n')
      .filter(
        (l) => l.startsWith('certmanager_certificate_ready_status{') && l.includes(`namespace="${NS}"`) && l.includes('condition="True"') && l.endsWith(' 1'),
      ).length;
  }

  async function syncCalls(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const m of (await metricsText()).matchAll(/^certmanager_controller_sync_call_count\{controller="([^"]+)"\} (\d+)/gm)) out.set(m[1], Number(m[2]));
    return out;
  }
});
