// Pure translation of an annotated Ingress into the Certificates it asks for, with cert-manager's
// ingress-shim semantics: one Certificate per tls[] secretName (hosts as dnsNames, IP hosts as
// ipAddresses), the issuer from cert-manager.io/issuer or cluster-issuer (or kubernetes.io/tls-acme
// + the default issuer), and the annotations translated in annotations.ts. A tls entry without
// hosts or secretName is skipped with a warning (the others are still issued); two entries sharing
// a secretName make the whole Ingress unusable, as in cert-manager.
import { isIP } from 'node:net';
import type { V1Ingress, V1IngressTLS } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { CertificateAnnotations, IngressAnnotations } from '../../api/constants.ts';
import { apiVersionOf, Resources } from '../../api/resources.ts';
import type { IssuerRef } from '../config.ts';
import { annotationSpec, IngressConfigError } from './annotations.ts';
import { subdomainProblem } from '../../lib/kube-name-syntax.ts';

export { IngressConfigError } from './annotations.ts';

/** kubectl's ApplySet label: copied to the Certificate it would make kubectl prune it (cert-manager#7306). */
const APPLYSET_LABEL = 'applyset.kubernetes.io/part-of';

/**
 * The issuer an Ingress asks for; undefined when it is not annotated for certgate. Throws
 * IngressConfigError on conflicting annotations or an empty issuer name, with cert-manager's words.
 */
export function ingressIssuer(ingress: V1Ingress, defaultIssuer?: IssuerRef): IssuerRef | undefined {
  return shimIssuer(ingress.metadata?.annotations ?? {}, defaultIssuer, { tlsAcme: true });
}

/**
 * The issuer an annotated Ingress or Gateway asks for (cert-manager's issuerForIngressLike).
 * kubernetes.io/tls-acme counts only for Ingresses, as in cert-manager.
 */
export function shimIssuer(a: Record<string, string>, defaultIssuer: IssuerRef | undefined, opts: { tlsAcme: boolean }): IssuerRef | undefined {
  const A = IngressAnnotations;
  const has = (k: string) => Object.hasOwn(a, k);
  const tlsAcme = opts.tlsAcme && /^(1|t|T|true|TRUE|True)$/.test(a[A.TLSACME] ?? ''); // Go's strconv.ParseBool
  if (!has(A.Issuer) && !has(A.ClusterIssuer) && !tlsAcme) return undefined;
  const errors: string[] = [];
  let ref: IssuerRef | undefined = defaultIssuer && { ...defaultIssuer };
  if (has(A.Issuer)) ref = { name: a[A.Issuer], kind: 'Issuer', group: 'cert-manager.io' };
  if (has(A.ClusterIssuer)) ref = { name: a[A.ClusterIssuer], kind: 'ClusterIssuer', group: 'cert-manager.io' };
  if (ref && has(A.IssuerKind)) ref.kind = a[A.IssuerKind] as IssuerRef['kind'];
  if (ref && has(A.IssuerGroup)) ref.group = a[A.IssuerGroup] || 'cert-manager.io';
  if (!ref?.name)
    errors.push(
      tlsAcme && !defaultIssuer
        ? `${A.TLSACME} is set but the worker has no --default-issuer`
        : 'failed to determine issuer name to be used for ingress resource',
    );
  if (has(A.Issuer) && has(A.ClusterIssuer)) errors.push(`both "${A.Issuer}" and "${A.ClusterIssuer}" may not be set; use one`);
  if (has(A.ClusterIssuer) && has(A.IssuerGroup)) errors.push(`both "${A.ClusterIssuer}" and "${A.IssuerGroup}" may not be set`);
  if (has(A.ClusterIssuer) && has(A.IssuerKind)) errors.push(`both "${A.ClusterIssuer}" and "${A.IssuerKind}" may not be set`);
  if (errors.length) throw new IngressConfigError(`Could not determine issuer for ingress due to bad annotations: ${errors.join(', ')}`);
  return ref;
}

/**
 * Annotations for the Certificate that steer HTTP-01 solving, cert-manager's names (read by the
 * ACME backend via the request), from the annotations of the Ingress or Gateway named `name`.
 */
export function solverAnnotations(a: Record<string, string>, name: string): Record<string, string> {
  const C = CertificateAnnotations;
  const out: Record<string, string> = {};
  if (a[IngressAnnotations.HTTP01EditInPlace] === 'true') {
    out[C.HTTP01IngressNameOverride] = name;
    // As cert-manager: controllers that serve one certificate per Ingress (ingress-gce) need a Secret before the real one exists.
    out[C.IssueTemporaryCertificate] = 'true';
  }
  if (a[IngressAnnotations.HTTP01IngressClass]) out[C.HTTP01IngressClassOverride] = a[IngressAnnotations.HTTP01IngressClass];
  if (a[IngressAnnotations.HTTP01IngressClassName]) out[C.HTTP01IngressClassNameOverride] = a[IngressAnnotations.HTTP01IngressClassName];
  return out;
}

/** cert-manager's message for two tls entries sharing a secretName (the first pair found). */
function duplicateSecretName(tls: V1IngressTLS[]): string | undefined {
  const first = new Map<string, number>();
  for (const [i, entry] of tls.entries()) {
    const name = entry.secretName ?? '';
    if (!first.has(name)) first.set(name, i);
    else
      return `spec.tls[${first.get(name)}].secretName: Invalid value: "${name}": this secret name must only appear in a single TLS entry but is also used in spec.tls[${i}].secretName`;
  }
  return undefined;
}

export interface DesiredCertificates {
  certificates: Certificate[];
  /** One message per tls entry left out (no hosts or no secretName); the others are still issued. */
  skipped: string[];
}

/** A valid name close to the given one: lower case, other characters as "-". */
function suggestedName(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 253) || 'web-tls'
  );
}

/** Why `secretName` cannot name a Certificate, with a valid name to use instead; undefined when it can. */
export function secretNameProblem(secretName: string): string | undefined {
  const problem = subdomainProblem(secretName);
  return problem && `"${secretName}" is not a valid Secret or Certificate name: it ${problem}; rename it (for example "${suggestedName(secretName)}")`;
}

/** What every Certificate of one annotated object shares: owner, labels, annotations, spec parts from its annotations, issuer. */
interface ShimCertificateBase {
  owner: { apiVersion: string; kind: string; name: string; uid: string; namespace: string };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  annotationParts: ReturnType<typeof annotationSpec>;
  issuer: IssuerRef;
}

/** The base for an annotated object: its labels without the ApplySet one, its annotations translated. */
export function shimCertificateBase(
  owner: ShimCertificateBase['owner'],
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> },
  annotations: Record<string, string>,
  issuer: IssuerRef,
): ShimCertificateBase {
  const labels = { ...(metadata.labels ?? {}) };
  delete labels[APPLYSET_LABEL];
  return { owner, labels, annotations, annotationParts: annotationSpec(metadata.annotations ?? {}), issuer };
}

/** The Certificate for one Secret: hosts (de-duplicated, first seen first) as dnsNames, IP hosts as ipAddresses, plus alt-names and ip-sans. */
export function shimCertificate(base: ShimCertificateBase, secretName: string, hosts: readonly string[]): Certificate {
  const { spec: shared, altNames, ipSans } = base.annotationParts;
  const unique = [...new Set(hosts.filter(Boolean))];
  const dnsNames = [...unique.filter((h) => !isIP(h)), ...altNames];
  const ipAddresses = [...unique.filter((h) => isIP(h)), ...ipSans];
  const { apiVersion, kind, name, uid, namespace } = base.owner;
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: secretName,
      namespace,
      labels: { ...base.labels },
      ...(Object.keys(base.annotations).length ? { annotations: { ...base.annotations } } : {}),
      ownerReferences: [{ apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      ...structuredClone(shared),
      ...(dnsNames.length ? { dnsNames } : {}),
      ...(ipAddresses.length ? { ipAddresses } : {}),
      secretName,
      issuerRef: { name: base.issuer.name, kind: base.issuer.kind, group: base.issuer.group },
    },
  };
}

/**
 * The Certificates this Ingress asks for, named after their secretName. Throws IngressConfigError
 * for annotations certgate cannot use and for two tls entries sharing a secretName.
 */

export function desiredCertificates(ingress: V1Ingress, issuer: IssuerRef): DesiredCertificates {
  const tls = ingress.spec?.tls ?? [];
  const duplicate = duplicateSecretName(tls);
  if (duplicate) throw new IngressConfigError(duplicate);
  const m = ingress.metadata!;
  const owner = { apiVersion: apiVersionOf(Resources.Ingress), kind: 'Ingress', name: m.name!, uid: m.uid!, namespace: m.namespace! };
  const base = shimCertificateBase(owner, m, solverAnnotations(m.annotations ?? {}, m.name!), issuer);
  const certificates: Certificate[] = [];
  const skipped: string[] = [];
  for (const [i, entry] of tls.entries()) {
    const missing = [!entry.hosts?.length && `spec.tls[${i}].hosts: Required value`, !entry.secretName && `spec.tls[${i}].secretName: Required value`].filter(
      Boolean,
    );
    if (missing.length) {
      skipped.push(`Skipped a TLS block: ${missing.length > 1 ? `[${missing.join(', ')}]` : missing[0]}`);
      continue;
    }
    // The Certificate is named after the Secret: a name the API server refuses (Web_TLS) would fail
    // on every pass with nothing on the Ingress. Said once, as a BadConfig Event, with the fix.
    const badName = secretNameProblem(entry.secretName!);
    if (badName) {
      skipped.push(`Skipped a TLS block: spec.tls[${i}].secretName ${badName}`);
      continue;
    }
    certificates.push(shimCertificate(base, entry.secretName!, entry.hosts!));
  }
  return { certificates, skipped };
}
