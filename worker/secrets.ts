// Reading Secrets without caching every Secret in the cluster: managed Secrets (label
// controller.cert-manager.io/fao=true) come from the cache, others by a direct GET.
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import type { WorkerContext } from './issuance/backend.ts';

export async function readSecret(ctx: Pick<WorkerContext, 'caches' | 'client'>, namespace: string, name: string, opts: { fresh?: boolean } = {}): Promise<V1Secret | undefined> {
  if (!opts.fresh) {
    const cached = ctx.caches.secrets.get(name, namespace);
    if (cached) return cached;
  }
  return ctx.client.get<V1Secret>(Resources.Secret, namespace, name);
}

export function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const v = secret?.data?.[key];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
