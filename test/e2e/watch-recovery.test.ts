// The worker, the webhook and the solver running together through what a real cluster does to
// watches: the API server restarting on the same address (same state), and a watch gap ending in
// 410 Expired (the server's history compacted while watches were refused). After each, every
// process's caches must match the API server and each process must act on objects made since.
// Embedded API server only: a real one cannot be restarted or compacted from a test.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import type { KubeClient, WatchedCache } from '../../lib/kube/client.ts';
import { startApiServer, type EmbeddedApiServer, type StartOptions } from '../apiserver/index.ts';
import { defaultWebhookConfig } from '../../webhook/config.ts';
import { runWebhook, type RunningWebhook } from '../../webhook/main.ts';
import { startSolver, type SolverHandle } from '../../solver/main.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { freePort } from '../services/ports.ts';
import { realClusterKubeconfig, runName } from './cluster.ts';
import { CLUSTER_RESOURCE_NAMESPACE, launchWorker } from './issuance-helpers.ts';
import { cacheDrift } from './cache-truth.ts';
import { clientFor } from '../fixtures.ts';

const NS = runName('watch-recovery');
const WEBHOOK_NS = runName('watch-recovery-wh');
const STALE_AFTER = '1s'; // so /readyz turns 503 quickly while the server is away

// Every wait below has a ceiling, each probe its own timeout, and after() a limit, so a process that
// stops answering fails the test with its name instead of holding the file until the runner's limit.
const PROBE_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 60_000;
const skipReason = realClusterKubeconfig() ? 'needs the embedded API server (restart, compaction)' : false;

describe('caches survive API server restarts and 410 Expired in the worker, webhook and solver', { skip: skipReason, timeout: 600_000 }, () => {
  let dir: string;
  let server: EmbeddedApiServer;
  let client: KubeClient;
  let worker: RunningWorker;
  let webhook: RunningWebhook;
  let solver: SolverHandle;
  const requests: string[] = [];
  const options = (port?: number): StartOptions => ({ dir, statePath: join(dir, 'state.json'), port, onRequest: (m, u) => requests.push(`${m} ${u}`) });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certgate-watch-recovery-'));
    server = await startApiServer(options());
    client = clientFor(server.kubeconfigPath);
    for (const name of [NS, WEBHOOK_NS, CLUSTER_RESOURCE_NAMESPACE])
      await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await client.create(Resources.Issuer, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'selfsigned', namespace: NS },
      spec: { selfSigned: {} },
    } as KubernetesObject);
    worker = await launchWorker(server.kubeconfigPath, NS, ['--cache-stale-after', STALE_AFTER]);
    const port = await freePort();
    webhook = await runWebhook(
      defaultWebhookConfig({
        kubeconfig: server.kubeconfigPath,
        listen: { host: '127.0.0.1', port },
        tlsExtraSans: ['127.0.0.1'],
        namespace: WEBHOOK_NS,
        webhookConfig: runName('watch-recovery'),
        tlsSecret: 'webhook-tls',
        cacheStaleAfterMs: 1000,
      }),
      { client },
    );
    solver = await startSolver({ client, listen: '127.0.0.1:0', namespace: NS, cacheStaleAfterMs: 1000 });
    await until(async () => (await readiness()).every((r) => r.status === 200), 'every process ready');
  });

  after(async () => {
    const stopping = { worker: worker?.stop(), webhook: webhook?.stop(), solver: solver?.stop() };
    const pending = new Set(Object.keys(stopping));
    for (const [who, p] of Object.entries(stopping)) void p?.finally(() => pending.delete(who));
    await withCeiling(Promise.allSettled(Object.values(stopping)), STOP_TIMEOUT_MS, () => `stop() of ${[...pending].join(', ')}`);
    await withCeiling(server?.stop() ?? Promise.resolve(), STOP_TIMEOUT_MS, () => 'the API server stop()');
    rmSync(dir, { recursive: true, force: true });
  });

  /** /readyz of the worker, the webhook and the solver. */
  async function readiness(): Promise<Array<{ who: string; status: number; body: string }>> {
    const plain = async (who: string, url: string) =>
      fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).then(
        async (r) => ({ who, status: r.status, body: await r.text() }),
        (e) => ({ who, status: 0, body: String(e) }),
      );
    return Promise.all([
      plain('worker', `http://127.0.0.1:${worker.healthPort}/readyz`),
      plain('solver', `${solver.server.url}/readyz`),
      // Kubelet probes do not verify the serving certificate either.
      new Promise<{ who: string; status: number; body: string }>((resolve) => {
        const req = https.get(`${webhook.server.url}/readyz`, { rejectUnauthorized: false, timeout: PROBE_TIMEOUT_MS }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ who: 'webhook', status: res.statusCode ?? 0, body }));
        });
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', (e) => resolve({ who: 'webhook', status: 0, body: String(e) }));
      }),
    ]);
  }

  /** Every cache of every process against the API server, as "process: difference" lines. */
  async function drift(): Promise<string[]> {
    const caches = worker.caches();
    assert.ok(caches, 'the worker leads and runs its caches');
    const checks: Array<[string, ResourceDescriptor, WatchedCache<KubernetesObject>, { namespace?: string; labelSelector?: string }]> = [
      ['worker', Resources.Certificate, caches.certificates, { namespace: NS }],
      ['worker', Resources.CertificateRequest, caches.certificateRequests, { namespace: NS }],
      ['worker', Resources.Challenge, caches.challenges, { namespace: NS }],
      ['worker', Resources.Ingress, caches.ingresses, { namespace: NS }],
      ['worker', Resources.Secret, caches.secrets, { namespace: NS, labelSelector: 'controller.cert-manager.io/fao=true' }],
      ['webhook', Resources.Ingress, webhook.view.caches.ingresses, {}],
      ['webhook', Resources.Certificate, webhook.view.caches.certificates, {}],
      ['webhook', Resources.Issuer, webhook.view.caches.issuers, {}],
      ['solver', Resources.Challenge, solver.challenges, { namespace: NS }],
    ];
    const out: string[] = [];
    for (const [who, r, cache, opts] of checks) for (const d of await cacheDrift(client, r, cache, opts)) out.push(`${who}: ${d}`);
    return out;
  }

  test('after a restart on the same port, /readyz reports the outage, then every process sees a new Challenge, Ingress and Certificate', async () => {
    const port = Number(new URL(server.url).port);
    await withCeiling(server.stop(), STOP_TIMEOUT_MS, () => 'the API server stop()');
    await until(async () => (await readiness()).every((r) => r.status === 503), 'every /readyz to report stale caches while the API server is away');
    for (const r of await readiness()) assert.match(r.body, /not ready: caches not synced or without a working watch for over 1 s: /, r.who);
    server = await startApiServer(options(port));
    await until(async () => (await readiness()).every((r) => r.status === 200), 'every /readyz back to 200');
    await until(
      () =>
        client.list(Resources.Namespace).then(
          () => true,
          () => false,
        ),
      'the fixture client to reach the new server',
    );

    await client.create(Resources.Challenge, challenge('after-restart', 'tokenAfterRestart', 'key-1'));
    await client.create(Resources.Ingress, ingress('after-restart'));
    await client.create(Resources.Certificate, certificate('after-restart', 'restart.example.test'));
    // Each process acts on what it sees: the solver answers the token, the worker issues the certificate.
    await until(async () => (await token('tokenAfterRestart')).body === 'key-1', 'the solver to answer the new token');
    await until(async () => (await secretNames('after-restart-tls'))?.includes('restart.example.test'), 'the worker to issue the new Certificate');
    await until(
      () =>
        webhook.view.ingresses(NS).some((o) => o.metadata?.name === 'after-restart') &&
        webhook.view.certificates(NS).some((o) => o.metadata?.name === 'after-restart'),
      'the webhook to see the new Ingress and Certificate',
    );
    await until(async () => (await drift()).length === 0, 'every cache to match the API server', drift);
  });

  test('a watch gap ending in 410 Expired: objects changed, created and deleted in the gap end up right in every cache', async () => {
    await client.create(Resources.Challenge, challenge('changed', 'tokenChanged', 'old-key'));
    await client.create(Resources.Challenge, challenge('deleted', 'tokenDeleted', 'key-d'));
    await client.create(Resources.Ingress, ingress('deleted'));
    await client.create(Resources.Ingress, ingress('changed'));
    await client.create(Resources.Certificate, certificate('changed', 'before.example.test'));
    await client.create(Resources.Certificate, certificate('deleted', 'deleted.example.test'));
    await until(
      async () => (await token('tokenDeleted')).status === 200 && (await secretNames('changed-tls'))?.includes('before.example.test'),
      'the fixtures served and issued',
    );
    await until(async () => (await drift()).length === 0, 'caches in step before the gap', drift);

    const release = server.holdWatches(); // every watch ends; new ones get 429 until release()
    await until(async () => (await readiness()).every((r) => r.status === 503), 'every /readyz to report the watch gap');
    await client.patch(Resources.Challenge, NS, 'changed', { spec: { key: 'new-key' } });
    await client.delete(Resources.Challenge, NS, 'deleted');
    await client.create(Resources.Challenge, challenge('created', 'tokenCreated', 'key-c'));
    await client.delete(Resources.Ingress, NS, 'deleted');
    await client.patch(Resources.Ingress, NS, 'changed', { metadata: { labels: { changed: 'yes' } } });
    await client.patch(Resources.Certificate, NS, 'changed', { spec: { dnsNames: ['after.example.test'] } });
    await client.delete(Resources.Certificate, NS, 'deleted');
    server.compactHistory(); // every process's resourceVersion is now too old: only a relist recovers
    const mark = requests.length;
    release();

    await until(async () => (await drift()).length === 0, 'every cache to match the API server after the relist', drift);
    const relisted = (path: string) => requests.slice(mark).some((r) => r.startsWith(`GET ${path}`) && !r.includes('watch=true'));
    assert.ok(relisted('/apis/networking.k8s.io/v1/ingresses'), 'the webhook relisted Ingresses');
    assert.ok(relisted(`/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`), 'the worker relisted Ingresses');
    assert.ok(relisted(`/apis/acme.cert-manager.io/v1/namespaces/${NS}/challenges`), 'Challenges relisted');
    assert.deepEqual(await token('tokenChanged'), { status: 200, body: 'new-key' });
    assert.deepEqual(await token('tokenCreated'), { status: 200, body: 'key-c' });
    assert.equal((await token('tokenDeleted')).status, 404);
    assert.equal(webhook.view.ingresses(NS).find((o) => o.metadata?.name === 'changed')?.metadata?.labels?.changed, 'yes');
    assert.ok(!webhook.view.ingresses(NS).some((o) => o.metadata?.name === 'deleted'));
    await until(async () => (await secretNames('changed-tls'))?.includes('after.example.test'), 'the worker to reissue the Certificate changed in the gap');
    await until(async () => (await readiness()).every((r) => r.status === 200), 'every /readyz back to 200');
  });

  const token = (t: string) =>
    fetch(`${solver.server.url}/.well-known/acme-challenge/${t}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).then(async (r) => ({
      status: r.status,
      body: await r.text(),
    }));

  /** The DNS names in the certificate of a Secret, or undefined while it has none. */
  async function secretNames(name: string): Promise<string[] | undefined> {
    const s = await client.get<{ data?: Record<string, string> } & KubernetesObject>(Resources.Secret, NS, name);
    const pem = s?.data?.['tls.crt'];
    if (!pem) return undefined;
    return new X509Certificate(Buffer.from(pem, 'base64')).subjectAltName?.split(', ').map((n) => n.replace(/^DNS:/, ''));
  }
});

const challenge = (name: string, token: string, key: string) =>
  ({
    apiVersion: 'acme.cert-manager.io/v1',
    kind: 'Challenge',
    metadata: { name, namespace: NS },
    spec: {
      authorizationURL: 'https://ca.test/authz/1',
      dnsName: 'a.example.test',
      issuerRef: { name: 'no-such-issuer' },
      key,
      solver: { http01: { ingress: {} } },
      token,
      type: 'HTTP-01',
      url: 'https://ca.test/chal/1',
    },
  }) as KubernetesObject;

const ingress = (name: string) =>
  ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: NS },
    spec: {
      rules: [
        { host: `${name}.example.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
      ],
    },
  }) as KubernetesObject;

const certificate = (name: string, dnsName: string) =>
  ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: NS },
    spec: { secretName: `${name}-tls`, dnsNames: [dnsName], issuerRef: { name: 'selfsigned' }, privateKey: { algorithm: 'ECDSA', size: 256 } },
  }) as KubernetesObject;

/** Polls check() until it is truthy; a check that never settles counts against the same ceiling. */
async function until(check: () => Promise<unknown> | unknown, what: string, explain?: () => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const fail = async () =>
    assert.fail(
      `timed out waiting for ${what}${explain ? `: ${JSON.stringify(await withCeiling(explain(), PROBE_TIMEOUT_MS, () => 'explain()').catch(String))}` : ''}`,
    );
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return fail();
    const ok = await withCeiling(Promise.resolve(check()), left, () => `a check while waiting for ${what}`).catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) return fail();
    await sleep(50);
  }
}

/** p, or a failure naming what did not settle within ms. */
async function withCeiling<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const ceiling = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what()} did not settle within ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([p, ceiling]);
  } finally {
    clearTimeout(timer);
  }
}
