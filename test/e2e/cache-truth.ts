// Compares a process's watch cache with what the API server holds right now: the e2e watch tests
// and the soak (scripts/soak.ts) use it to prove that caches ended up right after restarts and 410s.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceDescriptor } from '../../api/resources.ts';
import type { KubeClient, ListOptions, WatchedCache } from '../../lib/kube/client.ts';

/** Differences between the cache and a fresh list ("missing x", "extra y", "stale z"); empty when equal. */
export async function cacheDrift(
  client: KubeClient,
  r: ResourceDescriptor,
  cache: Pick<WatchedCache<KubernetesObject>, 'list'>,
  opts: ListOptions = {},
): Promise<string[]> {
  const key = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
  const truth = new Map((await client.list(r, opts)).items.map((o) => [key(o), o.metadata?.resourceVersion]));
  const cached = new Map(cache.list(opts.namespace).map((o) => [key(o), o.metadata?.resourceVersion]));
  const drift: string[] = [];
  for (const [k, rv] of truth) {
    if (!cached.has(k)) drift.push(`${r.kind} ${k}: missing from the cache`);
    else if (cached.get(k) !== rv) drift.push(`${r.kind} ${k}: cache has resourceVersion ${cached.get(k)}, server ${rv}`);
  }
  for (const k of cached.keys()) if (!truth.has(k)) drift.push(`${r.kind} ${k}: in the cache, gone from the server`);
  return drift;
}
