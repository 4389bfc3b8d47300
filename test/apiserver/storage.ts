// Object storage with one global resourceVersion counter (like etcd's revision), a bounded
// history of changes for watch resumption, and fan-out to live watchers.
export type KObj = Record<string, any>;
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  rv: number;
  resource: string;
  obj: KObj;
  prev?: KObj;
}
type Listener = (e: StoreEvent) => void;

const objKey = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;
const byKey = (a: KObj, b: KObj): number => {
  const ka = objKey(a.metadata.namespace, a.metadata.name);
  const kb = objKey(b.metadata.namespace, b.metadata.name);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

export class Storage {
  private rv = 1;
  private objects = new Map<string, Map<string, KObj>>(); // resource key -> ns/name -> object
  private history: StoreEvent[] = [];
  private listeners = new Set<Listener>();
  /** oldest resourceVersion a watch can still resume from */
  private compactedRv = 1;
  /** resource -> the resourceVersion its watch cache started at (a CRD's types: when the CRD was created) */
  private watchCacheStart = new Map<string, number>();
  /** resource -> resourceVersion of its latest change since this server started (what its watch cache last processed) */
  private lastEvent = new Map<string, number>();

  constructor(private historyWindow = 1000) {}

  currentRv(): number {
    return this.rv;
  }
  oldestRv(): number {
    return this.compactedRv;
  }
  setHistoryWindow(n: number): void {
    this.historyWindow = n;
    this.compact();
  }

  get(resource: string, namespace: string | undefined, name: string): KObj | undefined {
    const o = this.objects.get(resource)?.get(objKey(namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  /** The stored object itself, not a copy: for reads that only look (existence, labels, owners). Never change it. */
  peek(resource: string, namespace: string | undefined, name: string): Readonly<KObj> | undefined {
    return this.objects.get(resource)?.get(objKey(namespace, name));
  }

  /** Objects of a resource (optionally one namespace and a filter), sorted by namespace/name, as copies. */
  list(resource: string, namespace?: string, filter?: (o: Readonly<KObj>) => boolean): KObj[] {
    const items: KObj[] = [];
    for (const o of this.objects.get(resource)?.values() ?? []) {
      if (namespace !== undefined && (o.metadata?.namespace ?? '') !== namespace) continue;
      if (filter && !filter(o)) continue;
      items.push(o);
    }
    return items.sort(byKey).map((o) => structuredClone(o));
  }

  /** Read-only view of every stored object without copying (background controllers scan often). */
  *scan(): Generator<{ resource: string; obj: Readonly<KObj> }> {
    for (const [resource, bucket] of this.objects) for (const obj of bucket.values()) yield { resource, obj };
  }

  resources(): string[] {
    return [...this.objects.keys()];
  }

  /** Store a new or changed object: assigns the next resourceVersion and notifies watchers. */
  put(resource: string, obj: KObj): KObj {
    const stored = structuredClone(obj);
    const bucket = this.objects.get(resource) ?? new Map<string, KObj>();
    this.objects.set(resource, bucket);
    const key = objKey(stored.metadata.namespace, stored.metadata.name);
    const prev = bucket.get(key);
    const type: EventType = prev ? 'MODIFIED' : 'ADDED';
    stored.metadata.resourceVersion = String(++this.rv);
    bucket.set(key, stored);
    this.record({ type, rv: this.rv, resource, obj: stored, prev });
    return structuredClone(stored);
  }

  /** Remove an object; the DELETED event carries a fresh resourceVersion like etcd's delete revision. */
  remove(resource: string, namespace: string | undefined, name: string): KObj | undefined {
    const bucket = this.objects.get(resource);
    const key = objKey(namespace, name);
    const old = bucket?.get(key);
    if (!bucket || !old) return undefined;
    bucket.delete(key);
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.rv);
    this.record({ type: 'DELETED', rv: this.rv, resource, obj: gone, prev: old });
    return structuredClone(gone);
  }

  /**
   * The real server serves watches from a per-resource watch cache filled by a list at the moment
   * the resource began to be served: a watch from any older resourceVersion gets 410, however much
   * history the store itself still has. Called when a CRD starts serving its types.
   */
  startWatchCache(resource: string): void {
    if (!this.watchCacheStart.has(resource)) this.watchCacheStart.set(resource, this.rv);
  }
  dropWatchCache(resource: string): void {
    this.watchCacheStart.delete(resource);
  }

  /** The oldest resourceVersion a watch of this resource can start from. */
  oldestWatchableRv(resource: string): number {
    return Math.max(this.compactedRv, this.watchCacheStart.get(resource) ?? 0);
  }

  /** Changes after `rv` for a resource, or 'expired' when history (or the resource's watch cache) no longer reaches back that far. */
  eventsSince(resource: string, rv: number): StoreEvent[] | 'expired' {
    if (rv < this.oldestWatchableRv(resource)) return 'expired';
    return this.history.filter((e) => e.rv > rv && e.resource === resource);
  }

  /** The objects of a resource as they were at `rv` (undoing later history), or 'expired'. */
  listAt(resource: string, rv: number, namespace?: string): KObj[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    const state = new Map(this.list(resource).map((o) => [objKey(o.metadata.namespace, o.metadata.name), o]));
    for (const e of [...this.history].reverse()) {
      if (e.rv <= rv) break;
      if (e.resource !== resource) continue;
      const key = objKey(e.obj.metadata.namespace, e.obj.metadata.name);
      if (e.type === 'ADDED') state.delete(key);
      else if (e.prev) state.set(key, structuredClone(e.prev));
    }
    return [...state.values()].filter((o) => namespace === undefined || (o.metadata.namespace ?? '') === namespace).sort(byKey);
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The version of the latest change to a resource since the server started, undefined before the first. */
  lastEventRv(resource: string): number | undefined {
    return this.lastEvent.get(resource);
  }

  private record(e: StoreEvent): void {
    this.lastEvent.set(e.resource, e.rv);
    this.history.push(e);
    this.compact();
    for (const l of [...this.listeners]) l(e);
  }

  private compact(): void {
    const excess = this.history.length - this.historyWindow;
    if (excess > 0) {
      const dropped = this.history.splice(0, excess);
      this.compactedRv = dropped[dropped.length - 1].rv;
    }
  }

  /** Forget all history (tests use this to force 410 Gone on any older resourceVersion). */
  compactAll(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  snapshot(): { rv: number; objects: Record<string, KObj[]> } {
    const objects: Record<string, KObj[]> = {};
    for (const [res, bucket] of this.objects) objects[res] = [...bucket.values()];
    return { rv: this.rv, objects };
  }

  load(snap: { rv: number; objects: Record<string, KObj[]> }): void {
    this.rv = snap.rv;
    this.compactedRv = snap.rv;
    this.history = [];
    this.objects.clear();
    for (const [res, items] of Object.entries(snap.objects)) {
      this.objects.set(res, new Map(items.map((o) => [objKey(o.metadata.namespace, o.metadata.name), o])));
    }
  }
}
