// A WorkerContext built from plain objects, for controller table tests (cert-manager's
// trigger_controller_test.go shape): caches filled from the objects given, a ManualClock, an
// in-memory API client that records every write, and an Event recorder that keeps the Events.
// Writes change the client's store, not the caches: as in a cluster, a controller sees its own
// writes only when the watch brings them (call settle() to play that part).
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import { ManualClock } from '../../lib/clock.ts';
import type { EventRecorder } from '../../lib/events.ts';
import { KubeApiError, type KubeClient, type WatchedCache } from '../../lib/kube/client.ts';
import { log } from '../../lib/log.ts';
import { createWorkerMetrics } from '../../lib/metrics/worker.ts';
import type { WorkerConfig } from '../../worker/config.ts';
import type { WorkerCaches, WorkerContext } from '../../worker/context.ts';
import { testWorkerConfig } from '../e2e/issuance-helpers.ts';

export interface RecordedWrite {
  verb: 'create' | 'replace' | 'patch' | 'delete';
  kind: string;
  namespace?: string;
  name: string;
  subresource?: string;
  /** The object sent (create, replace) or the patch. */
  body?: unknown;
}

export interface RecordedEvent {
  kind: string;
  name: string;
  type: string;
  reason: string;
  message: string;
}

export interface FakeWorker {
  ctx: WorkerContext;
  clock: ManualClock;
  writes: RecordedWrite[];
  events: RecordedEvent[];
  /** The object as the API server holds it now (after the controller's writes). */
  stored<T extends KubernetesObject>(r: ResourceDescriptor, namespace: string | undefined, name: string): T | undefined;
  /** Copies the store into the caches, as the watches would: the next pass sees its own writes. */
  settle(): void;
}

const CACHE_OF: Record<string, keyof WorkerCaches> = {
  Certificate: 'certificates',
  CertificateRequest: 'certificateRequests',
  Issuer: 'issuers',
  ClusterIssuer: 'clusterIssuers',
  Order: 'orders',
  Challenge: 'challenges',
  Secret: 'secrets',
  Ingress: 'ingresses',
  Namespace: 'namespaces',
};

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
const clone = <T>(o: T): T => structuredClone(o);

/** A cache holding exactly `objects`; on() handlers are kept but never called (table tests call sync()). */
function staticCache<T extends KubernetesObject>(objects: () => T[]): WatchedCache<T> {
  return {
    get: (name: string, namespace?: string) => objects().find((o) => o.metadata?.name === name && (o.metadata?.namespace ?? '') === (namespace ?? '')),
    list: (namespace?: string) => objects().filter((o) => namespace === undefined || o.metadata?.namespace === namespace),
    on: () => {},
    start: async () => {},
    stop: async () => {},
    synced: true,
    staleFor: () => 0,
  } as WatchedCache<T>;
}

/** Merge patch (RFC 7396): null deletes, objects merge, anything else replaces. */
function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * The fake worker: `objects` are in the API server and in the caches (Secrets too, as the managed
 * Secrets cache holds them); `config` overrides testWorkerConfig's values.
 */
export function fakeWorker(objects: KubernetesObject[], opts: { config?: Partial<WorkerConfig>; now?: string } = {}): FakeWorker {
  const clock = new ManualClock(opts.now ? Date.parse(opts.now) : Date.UTC(2026, 0, 1));
  const store = new Map<string, Map<string, KubernetesObject>>();
  const kindStore = (kind: string) => {
    let m = store.get(kind);
    if (!m) store.set(kind, (m = new Map()));
    return m;
  };
  let version = 100;
  let uid = 0;
  const put = (o: KubernetesObject) => {
    const copy = clone(o);
    copy.metadata = { ...copy.metadata, resourceVersion: String(++version), uid: copy.metadata?.uid ?? `uid-${++uid}` };
    kindStore(o.kind!).set(keyOf(o.metadata?.namespace, o.metadata!.name!), copy);
    return clone(copy);
  };
  for (const o of objects) put(o);

  const cached = new Map<string, KubernetesObject[]>();
  const settle = () => {
    for (const kind of Object.keys(CACHE_OF)) cached.set(kind, [...kindStore(kind).values()].map(clone));
  };
  settle();
  const caches = Object.fromEntries(
    Object.entries(CACHE_OF).map(([kind, field]) => [field, staticCache(() => (cached.get(kind) ?? []) as any)]),
  ) as unknown as WorkerCaches;

  const writes: RecordedWrite[] = [];
  const notFound = (kind: string, name: string) => new KubeApiError(404, 'NotFound', `${kind} "${name}" not found`, {});
  const client = {
    async get(r: ResourceDescriptor, namespace: string | undefined, name: string) {
      const o = kindStore(r.kind).get(keyOf(namespace, name));
      return o && clone(o);
    },
    async list(r: ResourceDescriptor, o: { namespace?: string } = {}) {
      return { items: [...kindStore(r.kind).values()].filter((x) => !o.namespace || x.metadata?.namespace === o.namespace).map(clone) };
    },
    async create(r: ResourceDescriptor, obj: KubernetesObject) {
      writes.push({ verb: 'create', kind: r.kind, namespace: obj.metadata?.namespace, name: obj.metadata!.name!, body: clone(obj) });
      if (kindStore(r.kind).has(keyOf(obj.metadata?.namespace, obj.metadata!.name!)))
        throw new KubeApiError(409, 'AlreadyExists', `${r.kind} "${obj.metadata!.name}" already exists`, {});
      return put({ ...obj, kind: r.kind });
    },
    async replace(r: ResourceDescriptor, obj: KubernetesObject, o: { subresource?: string } = {}) {
      writes.push({
        verb: 'replace',
        kind: r.kind,
        namespace: obj.metadata?.namespace,
        name: obj.metadata!.name!,
        subresource: o.subresource,
        body: clone(obj),
      });
      if (!kindStore(r.kind).has(keyOf(obj.metadata?.namespace, obj.metadata!.name!))) throw notFound(r.kind, obj.metadata!.name!);
      return put({ ...obj, kind: r.kind });
    },
    async replaceStatus(r: ResourceDescriptor, obj: KubernetesObject) {
      return client.replace(r, obj, { subresource: 'status' });
    },
    async patch(r: ResourceDescriptor, namespace: string | undefined, name: string, patch: unknown, o: { subresource?: string } = {}) {
      writes.push({ verb: 'patch', kind: r.kind, namespace, name, subresource: o.subresource, body: clone(patch) });
      const current = kindStore(r.kind).get(keyOf(namespace, name));
      if (!current) throw notFound(r.kind, name);
      return put(mergePatch(current, patch));
    },
    async delete(r: ResourceDescriptor, namespace: string | undefined, name: string) {
      writes.push({ verb: 'delete', kind: r.kind, namespace, name });
      return kindStore(r.kind).delete(keyOf(namespace, name));
    },
  };

  const events: RecordedEvent[] = [];
  const recorder: EventRecorder = {
    event: (obj, type, reason, message) => events.push({ kind: obj.kind ?? '', name: obj.metadata?.name ?? '', type, reason, message }),
    flush: async () => {},
  };

  const config = Object.freeze({ ...testWorkerConfig('table-test'), ...opts.config }) as WorkerConfig;
  const ctx: WorkerContext = {
    client: client as unknown as KubeClient,
    caches,
    recorder,
    clock,
    log: log.child({ test: 'table' }),
    config,
    metrics: createWorkerMetrics(),
  };
  return {
    ctx,
    clock,
    writes,
    events,
    stored: <T extends KubernetesObject>(r: ResourceDescriptor, namespace: string | undefined, name: string) =>
      kindStore(r.kind).get(keyOf(namespace, name)) as T | undefined,
    settle,
  };
}

/** A Secret as certgate writes it: managed label, tls.crt/tls.key (and ca.crt) base64-encoded. */
export function tlsSecret(
  namespace: string,
  name: string,
  pem: { cert: string; key: string; ca?: string },
  annotations: Record<string, string> = {},
): V1Secret {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace, labels: { 'controller.cert-manager.io/fao': 'true' }, annotations },
    data: { 'tls.crt': b64(pem.cert), 'tls.key': b64(pem.key), ...(pem.ca ? { 'ca.crt': b64(pem.ca) } : {}) },
  };
}

export { Resources };
