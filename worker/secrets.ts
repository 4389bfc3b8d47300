// Reading Secrets without caching every Secret in the cluster: managed Secrets (label
// controller.cert-manager.io/fao=true) come from the cache, others by a direct GET.
// A Certificate's own Secret does not exist until it is issued, and five controllers read it on
// every pass: with `managed`, a GET that found nothing is remembered for a few seconds (or until the
// cache sees the Secret, since certgate labels what it writes), so those passes cost no request.
// Decisions that must not act on a stale answer read with `fresh`.
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import type { WatchedCache } from '../lib/kube/client.ts';
import type { WorkerContext } from './context.ts';

export const ABSENT_SECRET_TTL_MS = 5_000;

/** Per managed-Secret cache: "namespace/name" -> until when it is known to be absent. */
const absentByCache = new WeakMap<WatchedCache<V1Secret>, Map<string, number>>();

function absentSecrets(cache: WatchedCache<V1Secret>): Map<string, number> {
  let absent = absentByCache.get(cache);
  if (!absent) {
    const known = (absent = new Map());
    absentByCache.set(cache, known);
    cache.on('add', (s: V1Secret) => known.delete(`${s.metadata?.namespace}/${s.metadata?.name}`));
  }
  return absent;
}

export async function readSecret(
  ctx: Pick<WorkerContext, 'caches' | 'client'>,
  namespace: string,
  name: string,
  opts: { fresh?: boolean; managed?: boolean } = {},
): Promise<V1Secret | undefined> {
  const key = `${namespace}/${name}`;
  const absent = absentSecrets(ctx.caches.secrets);
  if (!opts.fresh) {
    const cached = ctx.caches.secrets.get(name, namespace);
    if (cached) return cached;
    if (opts.managed && (absent.get(key) ?? 0) > Date.now()) return undefined;
  }
  const secret = await ctx.client.get<V1Secret>(Resources.Secret, namespace, name);
  if (secret) absent.delete(key);
  else if (absent.size < 100_000) absent.set(key, Date.now() + ABSENT_SECRET_TTL_MS);
  return secret;
}

export function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const v = secret?.data?.[key];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
