// Finding the issuer a request refers to, and the backend that handles its type.
import type { ClusterIssuer, Issuer, IssuerReference } from '../../api/types.generated.ts';
import type { IssuerBackend, WorkerContext } from './backend.ts';

export interface IssuerBackends {
  selfSigned: IssuerBackend;
  ca: IssuerBackend;
  acme?: IssuerBackend;
}

export interface ResolvedIssuer {
  issuer: Issuer | ClusterIssuer;
  kind: 'Issuer' | 'ClusterIssuer';
  resourceNamespace: string;
}

/** Whether certgate handles this issuerRef (cert-manager.io group); other groups belong to external issuers. */
export function isOurIssuerRef(ref: IssuerReference): boolean {
  return !ref.group || ref.group === 'cert-manager.io';
}

export function resolveIssuer(ctx: WorkerContext, ref: IssuerReference, namespace: string): ResolvedIssuer | undefined {
  if (ref.kind === 'ClusterIssuer') {
    const issuer = ctx.caches.clusterIssuers.get(ref.name);
    return issuer && { issuer, kind: 'ClusterIssuer', resourceNamespace: ctx.config.clusterResourceNamespace };
  }
  const issuer = ctx.caches.issuers.get(ref.name, namespace);
  return issuer && { issuer, kind: 'Issuer', resourceNamespace: namespace };
}

export function issuerType(issuer: Issuer | ClusterIssuer): keyof IssuerBackends | undefined {
  const s = issuer.spec;
  if (s.acme) return 'acme';
  if (s.ca) return 'ca';
  if (s.selfSigned) return 'selfSigned';
  return undefined;
}

export function backendFor(backends: IssuerBackends, issuer: Issuer | ClusterIssuer): IssuerBackend | undefined {
  const t = issuerType(issuer);
  return t ? backends[t] : undefined;
}
