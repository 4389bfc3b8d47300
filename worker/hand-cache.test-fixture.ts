// A WatchedCache driven by hand for unit tests: emit() plays the role of the watch.
import type { KubernetesObject, WatchedCache } from '../lib/kube/client.ts';

export type Obj = KubernetesObject & { spec?: { secretName?: string } };

/** A cache driven by hand: emit() plays the role of the watch. */
export function handCache<T extends Obj = Obj>(initial: T[] = []) {
  const objects = new Map(initial.map((o) => [`${o.metadata!.namespace}/${o.metadata!.name}`, o]));
  const handlers: Record<string, Array<(o: T) => void>> = { add: [], update: [], delete: [] };
  const cache = {
    get: (name: string, namespace?: string) => objects.get(`${namespace}/${name}`),
    list: () => [...objects.values()],
    on: (verb: string, cb: (o: T) => void) => handlers[verb]?.push(cb),
  } as unknown as WatchedCache<T>;
  const emit = (verb: 'add' | 'update' | 'delete', o: T) => {
    const key = `${o.metadata!.namespace}/${o.metadata!.name}`;
    if (verb === 'delete') objects.delete(key);
    else objects.set(key, o);
    for (const h of handlers[verb]) h(o);
  };
  return { cache, emit };
}
