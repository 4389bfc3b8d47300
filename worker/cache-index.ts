// Secondary indexes over a watched cache (client-go's Indexer): objects by a key derived from them,
// kept current from the cache's events. Handlers find "the Certificates that use Secret X" or "the
// CertificateRequests of Certificate Y" without listing a namespace, which made every event cost
// O(objects in the namespace). One index per (cache, name), shared by the controllers that ask.
import type { KubernetesObject, WatchedCache } from '../lib/kube/client.ts';

export interface CacheIndex<T extends KubernetesObject> {
  /** The cached objects whose keys include `key`. */
  get(key: string): T[];
}

const indexes = new WeakMap<object, Map<string, CacheIndex<any>>>();
const objectKey = (o: KubernetesObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

/** The index `name` of cache, created (and filled from what the cache holds) on first use. */
export function cacheIndex<T extends KubernetesObject>(cache: WatchedCache<T>, name: string, keysOf: (obj: T) => string[]): CacheIndex<T> {
  let byName = indexes.get(cache);
  if (!byName) indexes.set(cache, (byName = new Map()));
  const existing = byName.get(name);
  if (existing) return existing;

  const buckets = new Map<string, Map<string, T>>();
  const keysByObject = new Map<string, string[]>();
  const remove = (obj: T) => {
    const id = objectKey(obj);
    for (const k of keysByObject.get(id) ?? []) {
      const bucket = buckets.get(k);
      bucket?.delete(id);
      if (bucket?.size === 0) buckets.delete(k);
    }
    keysByObject.delete(id);
  };
  const put = (obj: T) => {
    remove(obj);
    const id = objectKey(obj);
    const keys = [...new Set(keysOf(obj))];
    if (keys.length === 0) return;
    keysByObject.set(id, keys);
    for (const k of keys) {
      let bucket = buckets.get(k);
      if (!bucket) buckets.set(k, (bucket = new Map()));
      bucket.set(id, obj);
    }
  };
  cache.on('add', put);
  cache.on('update', put);
  cache.on('delete', remove);
  for (const obj of cache.list()) put(obj);
  const index: CacheIndex<T> = { get: (key) => [...(buckets.get(key)?.values() ?? [])] };
  byName.set(name, index);
  return index;
}
