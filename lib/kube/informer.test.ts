// The informer against the embedded API server: relist after 410 (HTTP 200 then an ERROR event),
// resume without relisting after a watch ends, recovery after an API server restart on the same
// port, staleness while watches are refused, and the backoff's cap and jitter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import { startApiServer, type EmbeddedApiServer, type StartOptions } from '../../test/apiserver/index.ts';
import type { ResourceDescriptor } from '../../api/resources.ts';
import { KubeClient, loadKubeConfig, type WatchedCache } from './client.ts';
import { backoffDelay, DEFAULT_BACKOFF, Informer } from './informer.ts';

const ConfigMaps: ResourceDescriptor = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const NS = 'default';

let dir: string;
let server: EmbeddedApiServer;
let client: KubeClient;
const requests: string[] = [];
const serverOptions = (port?: number): StartOptions => ({
  dir,
  statePath: join(dir, 'state.json'),
  port,
  crdDir: null,
  onRequest: (m, u) => requests.push(`${m} ${u}`),
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certgate-informer-'));
  server = await startApiServer(serverOptions());
  client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }));
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** One retry for a request that met a keep-alive socket closed by the stopped server (the fixture's client, not the code under test). */
async function retryOnce<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') throw e;
    return fn();
  }
}

const cm = (name: string, value: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS }, data: { value } }) as KubernetesObject;
const valueOf = (c: WatchedCache<KubernetesObject>, name: string) => (c.get(name, NS) as { data?: { value?: string } } | undefined)?.data?.value;
const listsSince = (mark: number) => requests.slice(mark).filter((r) => r.startsWith('GET /api/v1/namespaces/default/configmaps') && !r.includes('watch=true'));

/** A started cache of the test's ConfigMaps with every event it delivered, as "verb:name:value". */
async function startCache(label: string) {
  const cache = client.cache<KubernetesObject>(ConfigMaps, { namespace: NS, labelSelector: `informer-test=${label}` });
  const events: string[] = [];
  for (const verb of ['add', 'update', 'delete'] as const) cache.on(verb, (o) => events.push(`${verb}:${o.metadata?.name}:${(o as any).data?.value}`));
  await cache.start();
  return { cache, events };
}
const labelled = (label: string, name: string, value: string) =>
  ({ ...cm(name, value), metadata: { name, namespace: NS, labels: { 'informer-test': label } } }) as KubernetesObject;

test('a watch answered with 410 Expired (HTTP 200, then an ERROR event) relists: changes and deletions made in the gap reach the cache as events', async () => {
  await client.create(ConfigMaps, labelled('gap', 'keep', 'v1'));
  await client.create(ConfigMaps, labelled('gap', 'drop', 'v1'));
  const { cache, events } = await startCache('gap');
  try {
    assert.deepEqual(events.sort(), ['add:drop:v1', 'add:keep:v1']);
    assert.equal(cache.synced, true);
    await until(() => cache.staleFor() === 0, 'the watch open');
    const release = server.holdWatches(); // watches end and are refused; lists and writes go on
    await until(() => cache.staleFor() > 0, 'the cache to notice it has no watch');
    await client.patch(ConfigMaps, NS, 'keep', { data: { value: 'v2' } });
    await client.delete(ConfigMaps, NS, 'drop');
    await client.create(ConfigMaps, labelled('gap', 'new', 'v1'));
    server.compactHistory(); // the cache's resourceVersion is now too old to resume from
    const mark = requests.length;
    release();
    await until(() => valueOf(cache, 'keep') === 'v2' && !cache.get('drop', NS) && !!cache.get('new', NS), 'the cache to match the server');
    assert.ok(listsSince(mark).length >= 1, 'recovered through a relist');
    assert.deepEqual(events.slice(2).sort(), ['add:new:v1', 'delete:drop:v1', 'update:keep:v2']);
    await until(() => cache.staleFor() === 0, 'a watch open again');
  } finally {
    await cache.stop();
  }
});

test('a watch that ends resumes from its resourceVersion without relisting', async () => {
  const { cache, events } = await startCache('resume');
  try {
    const mark = requests.length;
    server.closeWatches();
    await client.create(ConfigMaps, labelled('resume', 'after-close', 'v1'));
    await until(() => events.includes('add:after-close:v1'), 'the event after the watch ended');
    assert.deepEqual(listsSince(mark), [], 'no relist needed');
    const resumed = requests.slice(mark).filter((r) => r.includes('/configmaps?') && r.includes('watch=true'));
    assert.ok(resumed.length >= 1 && resumed.every((r) => /resourceVersion=\d+/.test(r)), resumed.join('\n'));
  } finally {
    await cache.stop();
  }
});

test('an API server restart on the same port (same state) is survived: objects created afterwards reach the cache', async () => {
  const { cache, events } = await startCache('restart');
  try {
    const port = Number(new URL(server.url).port);
    await server.stop();
    await until(() => cache.staleFor() > 0, 'the cache to notice the server is gone');
    server = await startApiServer(serverOptions(port));
    // The fixture's own client may hold a keep-alive socket the old server closed.
    await retryOnce(() => client.create(ConfigMaps, labelled('restart', 'after-restart', 'v1')));
    await until(() => events.includes('add:after-restart:v1'), 'the object created after the restart');
    await until(() => cache.staleFor() === 0, 'a watch open again');
  } finally {
    await cache.stop();
  }
});

test('cached objects leave out managedFields, and a write made from a cached copy keeps them on the server', async () => {
  await client.create(ConfigMaps, labelled('trim', 'owned', 'v1'));
  const { cache } = await startCache('trim');
  try {
    const cached = cache.get('owned', NS)!;
    assert.equal(cached.metadata?.managedFields, undefined, 'not cached');
    assert.deepEqual(Object.keys(cached.metadata!).sort(), ['creationTimestamp', 'labels', 'name', 'namespace', 'resourceVersion', 'uid']);
    const written = await client.replace(ConfigMaps, { ...cached, data: { value: 'v2' } } as KubernetesObject);
    assert.equal((written as { data?: { value?: string } }).data?.value, 'v2');
    const onServer = await client.get(ConfigMaps, NS, 'owned');
    assert.ok(onServer?.metadata?.managedFields?.length, "the server's field ownership survives a PUT without it");
  } finally {
    await cache.stop();
  }
});

test('start() resolves only once the first list succeeded, retrying while the API server is away', async () => {
  const port = Number(new URL(server.url).port);
  await client.create(ConfigMaps, labelled('late', 'there-before', 'v1'));
  await server.stop();
  const cache = client.cache<KubernetesObject>(ConfigMaps, { namespace: NS, labelSelector: 'informer-test=late' });
  let started = false;
  const starting = cache.start().then(() => (started = true));
  try {
    const errors: unknown[] = [];
    cache.on('error', (e) => errors.push(e));
    await until(() => errors.length >= 1, 'a failed list reported');
    assert.equal(started, false);
    assert.equal(cache.synced, false);
    server = await startApiServer(serverOptions(port));
    await starting;
    assert.equal(valueOf(cache, 'there-before'), 'v1');
  } finally {
    await cache.stop();
  }
});

test('backoff doubles from its initial delay up to the cap, with jitter in the upper half', () => {
  const p = DEFAULT_BACKOFF;
  assert.equal(
    backoffDelay(0, p, () => 0),
    p.initialMs / 2,
  );
  assert.equal(
    backoffDelay(0, p, () => 1),
    p.initialMs,
  );
  assert.equal(
    backoffDelay(3, p, () => 1),
    p.initialMs * 8,
  );
  assert.equal(
    backoffDelay(50, p, () => 1),
    p.maxMs,
  );
  assert.equal(
    backoffDelay(50, p, () => 0),
    p.maxMs / 2,
  );
  const spread = new Set(Array.from({ length: 20 }, () => backoffDelay(4, p)));
  assert.ok(spread.size > 1, 'jittered');
});

/** An informer over an empty list whose watches never answer (a connection stuck before the server's headers). */
function silentWatchInformer(opts: { watchOpenTimeoutMs?: number } = {}) {
  let watchCalls = 0;
  const errors: string[] = [];
  const informer = new Informer<KubernetesObject>({
    path: '/api/v1/namespaces/default/configmaps',
    list: async () => ({ apiVersion: 'v1', kind: 'ConfigMapList', items: [], metadata: { resourceVersion: '1' } }),
    watch: { watch: () => (watchCalls++, new Promise<AbortController>(() => {})) },
    backoff: { initialMs: 10, maxMs: 20 },
    ...opts,
  });
  informer.on('error', (e) => errors.push(String(e)));
  return { informer, errors, watchCalls: () => watchCalls };
}

test('stop() returns while a watch has not answered yet', { timeout: 60_000 }, async () => {
  const { informer, watchCalls } = silentWatchInformer();
  await informer.start();
  await until(() => watchCalls() >= 1, 'the watch to be started');
  await informer.stop(); // hung forever when stop() could only abort a watch that had answered
});

test('a watch that does not answer in time counts as failed and is started again', { timeout: 60_000 }, async () => {
  const { informer, errors, watchCalls } = silentWatchInformer({ watchOpenTimeoutMs: 50 });
  await informer.start();
  try {
    await until(() => watchCalls() >= 2, 'a second watch after the first one went unanswered');
    assert.match(errors[0] ?? '', /watch not answered in time/);
    await until(() => informer.staleFor() > 0, '/readyz to learn that no watch is open');
  } finally {
    await informer.stop();
  }
});
