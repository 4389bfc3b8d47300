// Transparent TLS: an Ingress without a tls block gets one (hosts from its rules, Secret
// "<ingress-name>-tls") and the default issuer annotation, so plain Ingresses get HTTPS.
// The user's own tls blocks and issuer annotations are never touched.
import type { KubernetesObject } from '@kubernetes/client-node';
import { IngressAnnotations } from '../../api/constants.ts';
import { parseIssuerRef, type IssuerRef } from '../config.ts';
import { dnsNameProblem } from '../rules/names.ts';
import { asArr, asObj, asStr, metaOf } from '../rules/read.ts';

/** Namespace annotation naming the issuer for transparent TLS: "ClusterIssuer.letsencrypt-prod" or "Issuer.name". */
export const DEFAULT_ISSUER_ANNOTATION = 'certgate.io/default-issuer';
/** Ingress annotation "false" opts one Ingress out of transparent TLS. */
export const TRANSPARENT_TLS_OPT_OUT = 'certgate.io/transparent-tls';

export type TransparentTlsOutcome =
  | { changed: true; object: unknown; secretName: string; addedIssuer?: IssuerRef }
  | { changed: false; reason?: string };

/** The issuer for transparent TLS in a namespace: its annotation, else the cluster default. */
export function defaultIssuerFor(namespace: KubernetesObject | undefined, clusterDefault: IssuerRef | undefined): IssuerRef | { error: string } | undefined {
  const text = namespace ? metaOf(namespace).annotations[DEFAULT_ISSUER_ANNOTATION] : undefined;
  if (text === undefined) return clusterDefault;
  try {
    return parseIssuerRef(text);
  } catch {
    return { error: `namespace annotation ${DEFAULT_ISSUER_ANNOTATION}="${text}" is not Issuer.NAME or ClusterIssuer.NAME` };
  }
}

export function secretNameFor(ingressName: string): string {
  return `${ingressName.slice(0, 253 - 4).replace(/[.-]+$/, '')}-tls`;
}

export function addTransparentTls(ingress: unknown, issuer: IssuerRef | { error: string } | undefined): TransparentTlsOutcome {
  const meta = metaOf(ingress);
  const spec = asObj(asObj(ingress)?.spec);
  if (!spec || asArr(spec.tls).length > 0 || spec.tls !== undefined && !Array.isArray(spec.tls)) return { changed: false };
  if (meta.annotations[TRANSPARENT_TLS_OPT_OUT] === 'false') return { changed: false };
  const name = asStr(asObj(asObj(ingress)?.metadata)?.name);
  if (!name) return { changed: false, reason: 'transparent TLS needs metadata.name to derive the Secret name; set a name instead of generateName' };
  const hosts = [...new Set(asArr(spec.rules).map((r) => asStr(asObj(r)?.host)).filter((h): h is string => !!h && !dnsNameProblem(h)))];
  if (hosts.length === 0) return { changed: false };
  if (issuer && 'error' in issuer) return { changed: false, reason: `transparent TLS skipped: ${issuer.error}` };
  const hasIssuer = meta.annotations[IngressAnnotations.Issuer] || meta.annotations[IngressAnnotations.ClusterIssuer];
  if (!issuer && !hasIssuer) return { changed: false, reason: `transparent TLS skipped: no default issuer; set --default-issuer or the namespace annotation ${DEFAULT_ISSUER_ANNOTATION}` };

  const copy = structuredClone(ingress) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  const secretName = secretNameFor(name);
  copy.spec.tls = [{ hosts, secretName }];
  if (!hasIssuer && issuer) {
    const key = issuer.kind === 'ClusterIssuer' ? IngressAnnotations.ClusterIssuer : IngressAnnotations.Issuer;
    copy.metadata.annotations = { ...(asObj(copy.metadata.annotations) ?? {}), [key]: issuer.name };
  }
  return { changed: true, object: copy, secretName, addedIssuer: hasIssuer ? undefined : issuer };
}
