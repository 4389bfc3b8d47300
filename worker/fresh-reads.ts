// Reads that must see this worker's own writes, without a request. Controllers decide from status
// they wrote themselves (the ACME order URL, a challenge already accepted, Issuing=True) and must not
// act on a cache that lags behind those writes. After each write they record the object the server
// answered; a read returns the cached object when nothing of ours is outstanding or the watch has
// delivered our write (same or later resourceVersion), and the server's answer to our write
// otherwise: it is what a GET right after the write would have returned, and anything newer reaches
// the cache through the watch and re-queues the key. So a reconcile right after its own write (or
// another controller's write of the same object) costs no request and no 409.
import type { KubernetesObject, WatchedCache } from '../lib/kube/client.ts';
import { withoutFieldOwnership } from '../lib/kube/informer.ts';

export interface FreshReader<T extends KubernetesObject> {
  /** The newest of the cache's object and our last write of it. */
  get(namespace: string | undefined, name: string): T | undefined;
  /** Record what a write of ours returned (the server's object, with its new resourceVersion), and tell onWrite's listeners. */
  wrote(obj: T | undefined): void;
  /**
   * Calls listener with each object we wrote, right after the write: the controllers that act next
   * are queued then, not when the watch brings the write back (which, with thousands of objects in
   * flight, waits behind every event before it).
   */
  onWrite(listener: (obj: T) => void): void;
  /** Calls onWrite's listeners for obj as it is: its pipeline moved without a write of it (an object it owns was created). */
  notify(obj: T): void;
  /**
   * Whether a watch event brings back exactly the version our last write of the object answered:
   * onWrite's listeners had it then, so it is no news (a cache handler may skip it).
   */
  isEcho(obj: T): boolean;
  /** Read live whatever the cache holds (a decision that must not repeat, e.g. creating an ACME order). */
  live(namespace: string, name: string): Promise<T | undefined>;
  /** How many objects have a write of ours the cache has not shown yet (for tests). */
  held(): number;
}

/**
 * Whether the cache's version includes our write. resourceVersions are opaque to clients; equality
 * is always right, and numeric order (what kube-apiserver's etcd revisions and the embedded server
 * give) also clears a write the watch skipped over after a relist.
 */
export function atOrAfter(seen: string | undefined, written: string): boolean {
  if (seen === written) return true;
  return !!seen && /^\d+$/.test(seen) && /^\d+$/.test(written) && BigInt(seen) > BigInt(written);
}

const keyOf = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ''}/${name ?? ''}`;

export function createFreshReader<T extends KubernetesObject>(
  cache: WatchedCache<T>,
  live: (namespace: string, name: string) => Promise<T | undefined>,
): FreshReader<T> {
  // key -> the server's answer to our latest write that the cache has not shown yet
  const outstanding = new Map<string, T>();
  const listeners: Array<(obj: T) => void> = [];
  // key -> the resourceVersion of our latest write, until the cache shows it (isEcho)
  const announced = new Map<string, string>();
  const caughtUp = (obj: T) => {
    const key = keyOf(obj.metadata?.namespace, obj.metadata?.name);
    const pending = outstanding.get(key);
    if (pending && atOrAfter(obj.metadata?.resourceVersion, pending.metadata!.resourceVersion!)) outstanding.delete(key);
    const written = announced.get(key);
    // Forgotten once every handler of this event asked isEcho (they run in the same turn).
    if (written !== undefined && atOrAfter(obj.metadata?.resourceVersion, written))
      queueMicrotask(() => {
        if (announced.get(key) === written) announced.delete(key);
      });
  };
  cache.on('add', caughtUp);
  cache.on('update', caughtUp);
  cache.on('delete', (obj: T) => {
    const key = keyOf(obj.metadata?.namespace, obj.metadata?.name);
    outstanding.delete(key);
    announced.delete(key);
  });
  const notify = (obj: T) => {
    for (const listener of listeners) listener(obj);
  };
  return {
    get(namespace, name) {
      const key = keyOf(namespace, name);
      const cached = cache.get(name, namespace);
      const pending = outstanding.get(key);
      if (!pending) return cached;
      if (cached && atOrAfter(cached.metadata?.resourceVersion, pending.metadata!.resourceVersion!)) {
        outstanding.delete(key);
        return cached;
      }
      return pending;
    },
    wrote(obj) {
      if (!obj?.metadata?.resourceVersion) return;
      const key = keyOf(obj.metadata.namespace, obj.metadata.name);
      const cached = cache.get(obj.metadata.name!, obj.metadata.namespace);
      if (cached && atOrAfter(cached.metadata?.resourceVersion, obj.metadata.resourceVersion)) {
        // The watch brought this version before the write's answer: the cache says it already, and
        // entries made now would stay until the object's next event (for most, none comes).
        outstanding.delete(key);
        announced.delete(key);
      } else {
        // Held beside the cache, so without field ownership as the cache holds its objects.
        outstanding.set(key, withoutFieldOwnership(obj));
        announced.set(key, obj.metadata.resourceVersion);
      }
      notify(obj);
    },
    isEcho: (obj) => {
      const rv = obj.metadata?.resourceVersion;
      return rv !== undefined && announced.get(keyOf(obj.metadata?.namespace, obj.metadata?.name)) === rv;
    },
    onWrite: (listener) => void listeners.push(listener),
    notify,
    live,
    held: () => new Set([...outstanding.keys(), ...announced.keys()]).size,
  };
}

const shared = new WeakMap<WatchedCache<any>, FreshReader<any>>();

/** The one fresh reader of a cache, shared by every controller that writes its objects (each sees the others' writes). */
export function freshReaderFor<T extends KubernetesObject>(
  cache: WatchedCache<T>,
  live: (namespace: string, name: string) => Promise<T | undefined>,
): FreshReader<T> {
  let reader = shared.get(cache) as FreshReader<T> | undefined;
  if (!reader) shared.set(cache, (reader = createFreshReader(cache, live)));
  return reader;
}
