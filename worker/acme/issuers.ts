// Resolves an issuerRef to the ACME issuer spec and the namespace its Secrets live in
// (the Issuer's own namespace, or the cluster-resource namespace for a ClusterIssuer).
import { Resources } from '../../api/resources.ts';
import type { ACMEIssuer, ClusterIssuer, Issuer, IssuerReference } from '../../api/types.generated.ts';
import type { WorkerContext } from '../issuance/backend.ts';

export interface ResolvedAcmeIssuer {
  issuer: Issuer | ClusterIssuer;
  acme: ACMEIssuer;
  resourceNamespace: string;
}

/** A problem the user must fix in the issuer; not worth fast retries. */
export class IssuerConfigError extends Error {
  override name = 'IssuerConfigError';
}

export async function resolveAcmeIssuer(ctx: WorkerContext, ref: IssuerReference, namespace: string): Promise<ResolvedAcmeIssuer> {
  const cluster = ref.kind === 'ClusterIssuer';
  const issuer = cluster
    ? (ctx.caches.clusterIssuers.get(ref.name) ?? (await ctx.client.get<ClusterIssuer>(Resources.ClusterIssuer, undefined, ref.name)))
    : (ctx.caches.issuers.get(ref.name, namespace) ?? (await ctx.client.get<Issuer>(Resources.Issuer, namespace, ref.name)));
  const where = cluster ? `ClusterIssuer ${ref.name}` : `Issuer ${namespace}/${ref.name}`;
  if (!issuer) throw new IssuerConfigError(`${where} not found`);
  // The direct read (for an issuer the cache has not seen yet) must not reach past --cluster-issuer-selector.
  if (cluster && !matchesLabel(issuer, ctx.config.clusterIssuerSelector)) throw new IssuerConfigError(`${where} is not selected by this worker's --cluster-issuer-selector ${ctx.config.clusterIssuerSelector}`);
  if (!issuer.spec?.acme) throw new IssuerConfigError(`${where} is not an ACME issuer`);
  return { issuer, acme: issuer.spec.acme, resourceNamespace: cluster ? ctx.config.clusterResourceNamespace : namespace };
}

/** Whether obj carries the "key=value" label; true when there is no selector. */
function matchesLabel(obj: Issuer | ClusterIssuer, selector: string | undefined): boolean {
  if (!selector) return true;
  const eq = selector.indexOf('=');
  return obj.metadata?.labels?.[selector.slice(0, eq)] === selector.slice(eq + 1);
}
