// Transparent TLS, the decision shared by the webhook (at admission) and the worker's ingress shim
// (for Ingresses that already exist): an Ingress without a tls block gets one (hosts from its
// rules, Secret "<ingress-name>-tls") and the default issuer annotation, so plain Ingresses get
// HTTPS. The user's own tls blocks and issuer annotations are never touched. Pure functions; the
// objects may be untrusted (the webhook sees them before schema validation), so every read is
// defensive and nothing here throws on shape.
import type { KubernetesObject } from '@kubernetes/client-node';
import { IngressAnnotations, Labels, LabelValues } from '../api/constants.ts';
import { dnsNameProblem } from './identity-syntax.ts';
import { asArr, asObj, asStr, metaOf, type Obj } from './untrusted.ts';

/** Namespace annotation naming the issuer for transparent TLS: "ClusterIssuer.letsencrypt-prod" or "Issuer.name". */
const DEFAULT_ISSUER_ANNOTATION = 'certgate.io/default-issuer';
/** Ingress annotation "false" opts one Ingress out of transparent TLS. */
export const TRANSPARENT_TLS_OPT_OUT = 'certgate.io/transparent-tls';
/** Namespace label: "enforce" turns transparent TLS on there, "off" keeps the cluster-wide switch out. */
const NAMESPACE_TLS_LABEL = Labels.NamespaceTLS;

/** An issuer reference as transparent TLS writes it (webhook and worker types both fit). */
export interface TransparentTlsIssuer {
  readonly kind: 'Issuer' | 'ClusterIssuer';
  readonly name: string;
}

export type TransparentTlsOutcome =
  { changed: true; object: unknown; secretName: string; hosts: string[]; addedIssuer?: TransparentTlsIssuer } | { changed: false; reason?: string };

/** Why transparent TLS left an object alone that names no issuer when no default is known. */
export const NO_DEFAULT_ISSUER = `transparent TLS skipped: no default issuer; set --default-issuer or the namespace annotation ${DEFAULT_ISSUER_ANNOTATION}`;

const ISSUER_REF = /^(Issuer|ClusterIssuer)[/.]([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/;

/** "ClusterIssuer/letsencrypt-prod" (flag) or "ClusterIssuer.letsencrypt-prod" (namespace annotation); undefined when it is neither. */
function parseTransparentTlsIssuer(text: string): TransparentTlsIssuer | undefined {
  const m = ISSUER_REF.exec(text.trim());
  return m ? Object.freeze({ kind: m[1] as TransparentTlsIssuer['kind'], name: m[2] }) : undefined;
}

/**
 * Why transparent TLS applies to Ingresses in this namespace (a sentence for Events), or
 * undefined when it does not: the namespace is labelled certgate.io/tls=enforce, or it is on
 * cluster-wide and the namespace is not labelled off.
 */
export function transparentTlsApplies(namespace: KubernetesObject | undefined, clusterWide: boolean): string | undefined {
  const label = namespace ? metaOf(namespace).labels[NAMESPACE_TLS_LABEL] : undefined;
  if (label === 'enforce') return `namespace "${namespace!.metadata?.name ?? ''}" is labelled ${NAMESPACE_TLS_LABEL}=enforce`;
  if (clusterWide && label !== 'off') return 'transparent TLS is on cluster-wide (--transparent-tls)';
  return undefined;
}

/** The issuer for transparent TLS in a namespace: its annotation, else the cluster default. */
export function defaultIssuerFor<I extends TransparentTlsIssuer>(
  namespace: KubernetesObject | undefined,
  clusterDefault: I | undefined,
): I | TransparentTlsIssuer | { error: string } | undefined {
  const text = namespace ? metaOf(namespace).annotations[DEFAULT_ISSUER_ANNOTATION] : undefined;
  if (text === undefined) return clusterDefault;
  return parseTransparentTlsIssuer(text) ?? { error: `namespace annotation ${DEFAULT_ISSUER_ANNOTATION}="${text}" is not Issuer.NAME or ClusterIssuer.NAME` };
}

export function secretNameFor(ingressName: string): string {
  return `${ingressName.slice(0, 253 - 4).replace(/[.-]+$/, '')}-tls`;
}

export function addTransparentTls(ingress: unknown, issuer: TransparentTlsIssuer | { error: string } | undefined): TransparentTlsOutcome {
  const spec = asObj(asObj(ingress)?.spec);
  if (!spec || asArr(spec.tls).length > 0 || (spec.tls !== undefined && !Array.isArray(spec.tls))) return { changed: false };
  const { labels, annotations } = metaOf(ingress);
  if (annotations[TRANSPARENT_TLS_OPT_OUT] === 'false') return { changed: false };
  // cert-manager's HTTP-01 solver Ingresses serve the challenge over plain HTTP; a Certificate for
  // one would start another challenge with its own solver Ingress.
  if (labels[Labels.HTTP01Solver] === LabelValues.True) return { changed: false };
  const name = asStr(asObj(asObj(ingress)?.metadata)?.name);
  if (!name) return { changed: false, reason: 'transparent TLS needs metadata.name to derive the Secret name; set a name instead of generateName' };
  const hosts = [
    ...new Set(
      asArr(spec.rules)
        .map((r) => asStr(asObj(r)?.host))
        .filter((h): h is string => !!h && dnsNameProblem(h) === undefined),
    ),
  ];
  if (hosts.length === 0) return { changed: false };
  if (issuer && 'error' in issuer) return { changed: false, reason: `transparent TLS skipped: ${issuer.error}` };
  const hasIssuer = annotations[IngressAnnotations.Issuer] || annotations[IngressAnnotations.ClusterIssuer];
  if (!issuer && !hasIssuer) return { changed: false, reason: NO_DEFAULT_ISSUER };

  const copy = structuredClone(ingress) as { metadata: Obj; spec: Obj };
  const secretName = secretNameFor(name);
  copy.spec.tls = [{ hosts, secretName }];
  const addedIssuer = hasIssuer ? undefined : issuer;
  if (addedIssuer) copy.metadata.annotations = { ...(asObj(copy.metadata.annotations) ?? {}), [issuerAnnotation(addedIssuer)]: addedIssuer.name };
  return { changed: true, object: copy, secretName, hosts, addedIssuer };
}

/** The annotation transparent TLS sets for an issuer (cert-manager.io/issuer or cluster-issuer). */
export function issuerAnnotation(issuer: TransparentTlsIssuer): string {
  return issuer.kind === 'ClusterIssuer' ? IngressAnnotations.ClusterIssuer : IngressAnnotations.Issuer;
}
