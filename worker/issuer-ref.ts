// What an issuerRef points at, written once for every controller: whether certgate handles it,
// the issuer object it names, and the namespace that holds that issuer's Secrets (the Issuer's
// own namespace, or --cluster-resource-namespace for a ClusterIssuer).
import { Resources } from '../api/resources.ts';
import type { ACMEIssuer, ClusterIssuer, Issuer, IssuerReference } from '../api/types.generated.ts';
import type { WorkerConfig } from './config.ts';
import type { WorkerContext } from './context.ts';

interface ResolvedIssuer {
  issuer: Issuer | ClusterIssuer;
  kind: 'Issuer' | 'ClusterIssuer';
  /** Where the issuer's Secrets live: resourceNamespaceFor(). */
  resourceNamespace: string;
}

interface ResolvedAcmeIssuer extends ResolvedIssuer {
  acme: ACMEIssuer;
}

/** A problem the user must fix in the issuer; not worth fast retries. */
export class IssuerConfigError extends Error {
  override name = 'IssuerConfigError';
}

/** The API group of an issuerRef; empty means cert-manager.io. */
export function issuerGroupOf(ref: { group?: string }): string {
  return ref.group || 'cert-manager.io';
}

/** Whether certgate handles this issuerRef (cert-manager.io group); other groups belong to external issuers. */
export function isOurIssuerRef(ref: { group?: string }): boolean {
  return issuerGroupOf(ref) === 'cert-manager.io';
}

/** The namespace holding the Secrets of the issuer `ref` names, seen from an object in `namespace`. */
export function resourceNamespaceFor(config: Pick<WorkerConfig, 'clusterResourceNamespace'>, ref: { kind?: string }, namespace: string): string {
  return ref.kind === 'ClusterIssuer' ? config.clusterResourceNamespace : namespace;
}

/** The issuer from the caches, or undefined while the cache has not seen it (its add event brings the caller back). */
export function resolveIssuer(ctx: Pick<WorkerContext, 'caches' | 'config'>, ref: IssuerReference, namespace: string): ResolvedIssuer | undefined {
  const cluster = ref.kind === 'ClusterIssuer';
  const issuer = cluster ? ctx.caches.clusterIssuers.get(ref.name) : ctx.caches.issuers.get(ref.name, namespace);
  return issuer && { issuer, kind: cluster ? 'ClusterIssuer' : 'Issuer', resourceNamespace: resourceNamespaceFor(ctx.config, ref, namespace) };
}

/**
 * The ACME issuer for an Order, Challenge or renewal check: from the cache, else a direct read
 * (the Order may be newer than the cache's copy of its issuer). Throws IssuerConfigError when the
 * issuer is missing, not selected by this worker or not ACME.
 */
export async function resolveAcmeIssuer(
  ctx: Pick<WorkerContext, 'caches' | 'config' | 'client'>,
  ref: IssuerReference,
  namespace: string,
): Promise<ResolvedAcmeIssuer> {
  const cluster = ref.kind === 'ClusterIssuer';
  const issuer =
    resolveIssuer(ctx, ref, namespace)?.issuer ??
    (cluster
      ? await ctx.client.get<ClusterIssuer>(Resources.ClusterIssuer, undefined, ref.name)
      : await ctx.client.get<Issuer>(Resources.Issuer, namespace, ref.name));
  const where = cluster ? `ClusterIssuer ${ref.name}` : `Issuer ${namespace}/${ref.name}`;
  if (!issuer) throw new IssuerConfigError(`${where} not found`);
  // The direct read (for an issuer the cache has not seen yet) must not reach past --cluster-issuer-selector.
  if (cluster && !matchesLabel(issuer, ctx.config.clusterIssuerSelector))
    throw new IssuerConfigError(`${where} is not selected by this worker's --cluster-issuer-selector ${ctx.config.clusterIssuerSelector}`);
  if (!issuer.spec?.acme) throw new IssuerConfigError(`${where} is not an ACME issuer`);
  return { issuer, kind: cluster ? 'ClusterIssuer' : 'Issuer', acme: issuer.spec.acme, resourceNamespace: resourceNamespaceFor(ctx.config, ref, namespace) };
}

/** Whether obj carries the "key=value" label; true when there is no selector. */
function matchesLabel(obj: Issuer | ClusterIssuer, selector: string | undefined): boolean {
  if (!selector) return true;
  const eq = selector.indexOf('=');
  return obj.metadata?.labels?.[selector.slice(0, eq)] === selector.slice(eq + 1);
}
