// A WorkerContext built from plain objects, for controller table tests (cert-manager's
// trigger_controller_test.go shape): caches filled from the objects given, a ManualClock, an
// in-memory API client that records every write, and an Event recorder that keeps the Events.
// Writes change the client's store, not the caches: as in a cluster, a controller sees its own
// writes only when the watch brings them (call settle() to play that part). As the API server and
// worker/caches.ts: a replace with a stale resourceVersion fails with 409 Conflict, and the Secrets
// cache holds only Secrets labelled controller.cert-manager.io/fao=true (others are read by a GET).
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { Labels, LabelValues } from '../../api/constants.ts';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import { ManualClock } from '../../lib/clock.ts';
import type { EventRecorder } from '../../lib/events.ts';
import { KubeApiError, type KubeClient, type WatchedCache } from '../../lib/kube/client.ts';
import { log } from '../../lib/log.ts';
import { createWorkerMetrics } from '../../lib/metrics/worker.ts';
import type { WorkerConfig } from '../../worker/config.ts';
import type { WorkerCaches, WorkerContext } from '../../worker/context.ts';
import { testWorkerConfig } from '../e2e/issuance-helpers.ts';
import { ApiError } from '../apiserver/errors.ts';
import { jsonPatch, mergePatch } from '../apiserver/patch.ts';

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
  /** A cache of any kind outside WorkerCaches (e.g. Gateways), filled like the others. */
  cacheOf<T extends KubernetesObject>(kind: string): WatchedCache<T>;
  /** Another client's write (not recorded) that the watches have not delivered yet: the server has it, the caches do not. */
  changedElsewhere(obj: KubernetesObject): void;
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

export interface FakeWorkerOptions {
  config?: Partial<WorkerConfig>;
  now?: string;
  /** The API server's answer to a write it refuses (an admission denial, an outage): the error to throw, or undefined to accept it. */
  refuse?: (write: RecordedWrite) => Error | undefined;
}

/**
 * The fake worker: `objects` are in the API server and in the caches (Secrets only when labelled
 * controller.cert-manager.io/fao=true, as the managed Secrets cache); `config` overrides testWorkerConfig's values.
 */
export function fakeWorker(objects: KubernetesObject[], opts: FakeWorkerOptions = {}): FakeWorker {
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
  const watched = (o: KubernetesObject) => o.kind !== 'Secret' || o.metadata?.labels?.[Labels.ControllerFAO] === LabelValues.True;
  const settle = () => {
    for (const kind of new Set([...Object.keys(CACHE_OF), ...store.keys()])) cached.set(kind, [...kindStore(kind).values()].filter(watched).map(clone));
  };
  settle();
  const caches = Object.fromEntries(
    Object.entries(CACHE_OF).map(([kind, field]) => [field, staticCache(() => (cached.get(kind) ?? []) as any)]),
  ) as unknown as WorkerCaches;

  const writes: RecordedWrite[] = [];
  const record = (w: RecordedWrite) => {
    writes.push(w);
    const refused = opts.refuse?.(w);
    if (refused) throw refused;
  };
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
      record({ verb: 'create', kind: r.kind, namespace: obj.metadata?.namespace, name: obj.metadata!.name!, body: clone(obj) });
      if (kindStore(r.kind).has(keyOf(obj.metadata?.namespace, obj.metadata!.name!)))
        throw new KubeApiError(409, 'AlreadyExists', `${r.kind} "${obj.metadata!.name}" already exists`, {});
      return put({ ...obj, kind: r.kind });
    },
    async replace(r: ResourceDescriptor, obj: KubernetesObject, o: { subresource?: string } = {}) {
      record({
        verb: 'replace',
        kind: r.kind,
        namespace: obj.metadata?.namespace,
        name: obj.metadata!.name!,
        subresource: o.subresource,
        body: clone(obj),
      });
      const current = kindStore(r.kind).get(keyOf(obj.metadata?.namespace, obj.metadata!.name!));
      if (!current) throw notFound(r.kind, obj.metadata!.name!);
      if (obj.metadata?.resourceVersion && obj.metadata.resourceVersion !== current.metadata?.resourceVersion)
        throw new KubeApiError(409, 'Conflict', `Operation cannot be fulfilled on ${r.kind} "${obj.metadata.name}": the object has been modified`, {});
      return put({ ...obj, kind: r.kind });
    },
    async replaceStatus(r: ResourceDescriptor, obj: KubernetesObject) {
      return client.replace(r, obj, { subresource: 'status' });
    },
    async patch(r: ResourceDescriptor, namespace: string | undefined, name: string, patch: unknown, o: { subresource?: string; type?: string } = {}) {
      record({ verb: 'patch', kind: r.kind, namespace, name, subresource: o.subresource, body: clone(patch) });
      const current = kindStore(r.kind).get(keyOf(namespace, name));
      if (!current) throw notFound(r.kind, name);
      if (o.type !== 'json') return put(mergePatch(current, patch));
      try {
        return put(jsonPatch(current, patch));
      } catch (e) {
        if (e instanceof ApiError) throw new KubeApiError(e.code, e.reason, e.message, {}); // a failed `test` op: 422, as kube-apiserver
        throw e;
      }
    },
    async delete(r: ResourceDescriptor, namespace: string | undefined, name: string) {
      record({ verb: 'delete', kind: r.kind, namespace, name });
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
    cacheOf: <T extends KubernetesObject>(kind: string) => staticCache<T>(() => (cached.get(kind) ?? []) as T[]),
    changedElsewhere: (obj) => void put(obj),
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
