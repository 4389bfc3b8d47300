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

  // key -> the one object with that key (most keys name one object: a Map for each would cost
  // about 200 bytes per cached object), or a Map id -> object once several share it
  const buckets = new Map<string, T | Map<string, T>>();
  // id -> its one key, or its keys
  const keysByObject = new Map<string, string | string[]>();
  const removeFromBucket = (k: string, id: string) => {
    const bucket = buckets.get(k);
    if (bucket instanceof Map) {
      bucket.delete(id);
      if (bucket.size === 1) buckets.set(k, bucket.values().next().value!);
    } else if (bucket && objectKey(bucket) === id) buckets.delete(k);
  };
  const addToBucket = (k: string, id: string, obj: T) => {
    const bucket = buckets.get(k);
    if (bucket instanceof Map) bucket.set(id, obj);
    else if (bucket && objectKey(bucket) !== id)
      buckets.set(
        k,
        new Map([
          [objectKey(bucket), bucket],
          [id, obj],
        ]),
      );
    else buckets.set(k, obj);
  };
  const remove = (obj: T) => {
    const id = objectKey(obj);
    const keys = keysByObject.get(id);
    if (keys === undefined) return;
    for (const k of typeof keys === 'string' ? [keys] : keys) removeFromBucket(k, id);
    keysByObject.delete(id);
  };
  const put = (obj: T) => {
    remove(obj);
    const id = objectKey(obj);
    const keys = [...new Set(keysOf(obj))];
    if (keys.length === 0) return;
    keysByObject.set(id, keys.length === 1 ? keys[0] : keys);
    for (const k of keys) addToBucket(k, id, obj);
  };
  cache.on('add', put);
  cache.on('update', put);
  cache.on('delete', remove);
  for (const obj of cache.list()) put(obj);
  const index: CacheIndex<T> = {
    get: (key) => {
      const bucket = buckets.get(key);
      return bucket instanceof Map ? [...bucket.values()] : bucket ? [bucket] : [];
    },
  };
  byName.set(name, index);
  return index;
}
