// Pure translation of an annotated Ingress into the Certificates it asks for, with cert-manager's
// ingress-shim semantics: one Certificate per tls[] secretName (hosts as dnsNames), the issuer
// from cert-manager.io/issuer or cluster-issuer (or kubernetes.io/tls-acme + the default issuer),
// and the common-name, duration, renew-before, private-key-*, usages ... annotations.
import type { V1Ingress } from '@kubernetes/client-node';
import type { Certificate, CertificateSpec, KeyUsage } from '../../api/types.generated.ts';
import { IngressAnnotations } from '../../api/constants.ts';
import { parseDuration } from '../../api/duration.ts';
import { apiVersionOf, Resources } from '../../api/resources.ts';
import type { IssuerRef } from '../config.ts';

export const HTTP01_OVERRIDE_INGRESS_NAME = 'acme.cert-manager.io/http01-override-ingress-name';

export class IngressConfigError extends Error {
  override name = 'IngressConfigError';
}

/** The issuer an Ingress asks for; undefined when it is not annotated for certgate. Throws IngressConfigError on conflicting annotations. */
export function ingressIssuer(ingress: V1Ingress, defaultIssuer?: IssuerRef): IssuerRef | undefined {
  const a = ingress.metadata?.annotations ?? {};
  const issuer = a[IngressAnnotations.Issuer];
  const clusterIssuer = a[IngressAnnotations.ClusterIssuer];
  if (issuer && clusterIssuer) throw new IngressConfigError(`both ${IngressAnnotations.Issuer} and ${IngressAnnotations.ClusterIssuer} are set; use one`);
  const group = a[IngressAnnotations.IssuerGroup] || 'cert-manager.io';
  if (issuer) return { name: issuer, kind: (a[IngressAnnotations.IssuerKind] as IssuerRef['kind']) || 'Issuer', group };
  if (clusterIssuer) return { name: clusterIssuer, kind: 'ClusterIssuer', group };
  if (a[IngressAnnotations.TLSACME] === 'true') {
    if (!defaultIssuer) throw new IngressConfigError(`${IngressAnnotations.TLSACME} is set but the worker has no --default-issuer`);
    return defaultIssuer;
  }
  return undefined;
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function checkedDuration(annotation: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    parseDuration(value);
  } catch (e) {
    throw new IngressConfigError(`${annotation}: ${(e as Error).message}`);
  }
  return value;
}

/** The spec fields every Certificate of this Ingress shares, from its annotations. */
function annotationSpec(a: Record<string, string>): Partial<CertificateSpec> {
  const A = IngressAnnotations;
  const spec: Partial<CertificateSpec> = {};
  if (a[A.CommonName]) spec.commonName = a[A.CommonName];
  const emails = list(a[A.EmailSANs]);
  if (emails?.length) spec.emailAddresses = emails;
  const duration = checkedDuration(A.Duration, a[A.Duration]);
  if (duration) spec.duration = duration;
  const renewBefore = checkedDuration(A.RenewBefore, a[A.RenewBefore]);
  if (renewBefore) spec.renewBefore = renewBefore;
  if (a[A.RenewBeforePercentage] !== undefined) {
    const p = Number(a[A.RenewBeforePercentage]);
    if (!Number.isInteger(p) || p < 1 || p > 99) throw new IngressConfigError(`${A.RenewBeforePercentage}: "${a[A.RenewBeforePercentage]}" is not an integer from 1 to 99`);
    spec.renewBeforePercentage = p;
  }
  const usages = list(a[A.Usages]);
  if (usages?.length) spec.usages = usages as KeyUsage[];
  if (a[A.RevisionHistoryLimit] !== undefined) {
    const n = Number(a[A.RevisionHistoryLimit]);
    if (!Number.isInteger(n) || n < 1) throw new IngressConfigError(`${A.RevisionHistoryLimit}: "${a[A.RevisionHistoryLimit]}" is not a positive integer`);
    spec.revisionHistoryLimit = n;
  }
  const pk: NonNullable<CertificateSpec['privateKey']> = {};
  const algorithm = a[A.PrivateKeyAlgorithm];
  if (algorithm !== undefined) {
    if (!['RSA', 'ECDSA', 'Ed25519'].includes(algorithm)) throw new IngressConfigError(`${A.PrivateKeyAlgorithm}: "${algorithm}" is not RSA, ECDSA or Ed25519`);
    pk.algorithm = algorithm as 'RSA' | 'ECDSA' | 'Ed25519';
  }
  if (a[A.PrivateKeySize] !== undefined) {
    const size = Number(a[A.PrivateKeySize]);
    if (!Number.isInteger(size) || size <= 0) throw new IngressConfigError(`${A.PrivateKeySize}: "${a[A.PrivateKeySize]}" is not a key size`);
    pk.size = size;
  }
  const encoding = a[A.PrivateKeyEncoding];
  if (encoding !== undefined) {
    if (encoding !== 'PKCS1' && encoding !== 'PKCS8') throw new IngressConfigError(`${A.PrivateKeyEncoding}: "${encoding}" is not PKCS1 or PKCS8`);
    pk.encoding = encoding;
  }
  const rotation = a[A.PrivateKeyRotationPolicy];
  if (rotation !== undefined) {
    if (rotation !== 'Always' && rotation !== 'Never') throw new IngressConfigError(`${A.PrivateKeyRotationPolicy}: "${rotation}" is not Always or Never`);
    pk.rotationPolicy = rotation;
  }
  if (Object.keys(pk).length) spec.privateKey = pk;
  const subject: NonNullable<CertificateSpec['subject']> = {};
  const fields: Array<[string, keyof typeof subject]> = [
    [A.SubjectOrganizations, 'organizations'],
    [A.SubjectOrganizationalUnits, 'organizationalUnits'],
    [A.SubjectCountries, 'countries'],
    [A.SubjectProvinces, 'provinces'],
    [A.SubjectLocalities, 'localities'],
    [A.SubjectPostalCodes, 'postalCodes'],
    [A.SubjectStreetAddresses, 'streetAddresses'],
  ];
  for (const [ann, field] of fields) {
    const v = list(a[ann]);
    if (v?.length) (subject as Record<string, string[]>)[field] = v;
  }
  if (a[A.SubjectSerialNumber]) subject.serialNumber = a[A.SubjectSerialNumber];
  if (Object.keys(subject).length) spec.subject = subject;
  return spec;
}

/** Annotations for the Certificate that steer HTTP-01 solving (read by the ACME backend via the request). */
function solverAnnotations(ingress: V1Ingress): Record<string, string> {
  const a = ingress.metadata?.annotations ?? {};
  const out: Record<string, string> = {};
  if (a[IngressAnnotations.HTTP01EditInPlace] === 'true') out[HTTP01_OVERRIDE_INGRESS_NAME] = ingress.metadata!.name!;
  if (a[IngressAnnotations.HTTP01IngressClass]) out[IngressAnnotations.HTTP01IngressClass] = a[IngressAnnotations.HTTP01IngressClass];
  if (a[IngressAnnotations.HTTP01IngressClassName]) out[IngressAnnotations.HTTP01IngressClassName] = a[IngressAnnotations.HTTP01IngressClassName];
  return out;
}

/**
 * The Certificates this Ingress asks for, keyed by name (= secretName). Entries sharing a
 * secretName are merged. Throws IngressConfigError for annotations or tls entries certgate cannot use.
 */
export function desiredCertificates(ingress: V1Ingress, issuer: IssuerRef): Certificate[] {
  const namespace = ingress.metadata!.namespace!;
  const shared = annotationSpec(ingress.metadata?.annotations ?? {});
  const byName = new Map<string, string[]>();
  for (const [i, tls] of (ingress.spec?.tls ?? []).entries()) {
    if (!tls.secretName) throw new IngressConfigError(`TLS entry ${i} has no secretName`);
    const hosts = (tls.hosts ?? []).filter(Boolean);
    if (hosts.length === 0) throw new IngressConfigError(`TLS entry ${i} for secret "${tls.secretName}" has no hosts`);
    byName.set(tls.secretName, [...new Set([...(byName.get(tls.secretName) ?? []), ...hosts])]);
  }
  return [...byName].map(([secretName, hosts]) => ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: secretName,
      namespace,
      labels: { ...(ingress.metadata?.labels ?? {}) },
      annotations: solverAnnotations(ingress),
      ownerReferences: [{ apiVersion: apiVersionOf(Resources.Ingress), kind: 'Ingress', name: ingress.metadata!.name!, uid: ingress.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      ...shared,
      dnsNames: hosts,
      secretName,
      issuerRef: { name: issuer.name, kind: issuer.kind, group: issuer.group },
    },
  }));
}
