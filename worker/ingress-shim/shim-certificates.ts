// The Certificates a shim's plan for one Ingress or Gateway can touch, from indexes instead of a list
// of the namespace (O(1) per object however many Certificates there are): the ones it controls, and
// the ones named like the Secrets it asks for (a shim names a Certificate after its Secret).
import type { Certificate } from '../../api/types.generated.ts';
import { cacheIndex } from '../cache-index.ts';
import type { WorkerContext } from '../context.ts';

const SHIM_KINDS = new Set(['Ingress', 'Gateway']);

const certificatesByShimOwner = (ctx: WorkerContext) =>
  cacheIndex(ctx.caches.certificates, 'shimOwner', (c: Certificate) =>
    (c.metadata.ownerReferences ?? []).filter((r) => r.controller && SHIM_KINDS.has(r.kind)).map((r) => `${r.kind}/${c.metadata.namespace}/${r.name}`),
  );

export function shimCertificates(
  ctx: WorkerContext,
  owner: { kind: 'Ingress' | 'Gateway'; namespace: string; name: string },
  secretNames: Iterable<string | undefined>,
): Certificate[] {
  const found = new Map<string, Certificate>();
  for (const c of certificatesByShimOwner(ctx).get(`${owner.kind}/${owner.namespace}/${owner.name}`)) found.set(c.metadata.name!, c);
  for (const secretName of secretNames) {
    const c = secretName ? ctx.caches.certificates.get(secretName, owner.namespace) : undefined;
    if (c) found.set(c.metadata.name!, c);
  }
  return [...found.values()];
}
