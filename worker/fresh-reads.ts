// Reads that must see this worker's own writes, served from the cache whenever it already holds
// them. The Order and Challenge controllers decide from status they wrote themselves (the ACME
// order URL, a challenge already accepted) and must not act on a cache that lags behind those
// writes. After each write they record the object the server answered; a read returns the cached
// object when nothing of ours is outstanding or the watch has delivered our write (same
// resourceVersion), and a live GET otherwise, so a reconcile that follows its own write's watch
// event costs no request.
import type { KubernetesObject, WatchedCache } from '../lib/kube/client.ts';

export interface FreshReader<T extends KubernetesObject> {
  get(namespace: string, name: string): Promise<T | undefined>;
  /** Record what a write of ours returned (the server's object, with its new resourceVersion). */
  wrote(obj: T | undefined): void;
  /** Read live whatever the cache holds (a decision that must not repeat, e.g. creating an ACME order). */
  live(namespace: string, name: string): Promise<T | undefined>;
}

/**
 * Whether the cache's version includes our write. resourceVersions are opaque to clients; equality
 * is always right, and numeric order (what kube-apiserver's etcd revisions and the embedded server
 * give) also clears a write the watch skipped over after a relist.
 */
function atOrAfter(seen: string | undefined, written: string): boolean {
  if (seen === written) return true;
  return !!seen && /^\d+$/.test(seen) && /^\d+$/.test(written) && BigInt(seen) > BigInt(written);
}

const keyOf = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ''}/${name ?? ''}`;

export function createFreshReader<T extends KubernetesObject>(cache: WatchedCache<T>, live: (namespace: string, name: string) => Promise<T | undefined>): FreshReader<T> {
  // key -> resourceVersion of our latest write that the cache has not shown yet
  const outstanding = new Map<string, string>();
  const caughtUp = (obj: T) => {
    const key = keyOf(obj.metadata?.namespace, obj.metadata?.name);
    const pending = outstanding.get(key);
    if (pending !== undefined && atOrAfter(obj.metadata?.resourceVersion, pending)) outstanding.delete(key);
  };
  cache.on('add', caughtUp);
  cache.on('update', caughtUp);
  cache.on('delete', (obj: T) => outstanding.delete(keyOf(obj.metadata?.namespace, obj.metadata?.name)));
  return {
    async get(namespace, name) {
      const key = keyOf(namespace, name);
      const cached = cache.get(name, namespace);
      const pending = outstanding.get(key);
      if (pending === undefined) return cached;
      if (cached && atOrAfter(cached.metadata?.resourceVersion, pending)) {
        outstanding.delete(key);
        return cached;
      }
      return live(namespace, name);
    },
    wrote(obj) {
      const rv = obj?.metadata?.resourceVersion;
      if (rv) outstanding.set(keyOf(obj.metadata?.namespace, obj.metadata?.name), rv);
    },
    live,
  };
}
