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
export const APPLYSET_LABEL = 'applyset.kubernetes.io/part-of';

/**
 * The issuer an Ingress asks for; undefined when it is not annotated for certgate. Throws
 * IngressConfigError on conflicting annotations or an empty issuer name, with cert-manager's words.
 */
export function ingressIssuer(ingress: V1Ingress, defaultIssuer?: IssuerRef): IssuerRef | undefined {
  const a = ingress.metadata?.annotations ?? {};
  const A = IngressAnnotations;
  const has = (k: string) => Object.hasOwn(a, k);
  const tlsAcme = /^(1|t|T|true|TRUE|True)$/.test(a[A.TLSACME] ?? ''); // Go's strconv.ParseBool
  if (!has(A.Issuer) && !has(A.ClusterIssuer) && !tlsAcme) return undefined;
  const errors: string[] = [];
  let ref: IssuerRef | undefined = defaultIssuer && { ...defaultIssuer };
  if (has(A.Issuer)) ref = { name: a[A.Issuer], kind: 'Issuer', group: 'cert-manager.io' };
  if (has(A.ClusterIssuer)) ref = { name: a[A.ClusterIssuer], kind: 'ClusterIssuer', group: 'cert-manager.io' };
  if (ref && has(A.IssuerKind)) ref.kind = a[A.IssuerKind] as IssuerRef['kind'];
  if (ref && has(A.IssuerGroup)) ref.group = a[A.IssuerGroup] || 'cert-manager.io';
  if (!ref?.name) errors.push(tlsAcme && !defaultIssuer ? `${A.TLSACME} is set but the worker has no --default-issuer` : 'failed to determine issuer name to be used for ingress resource');
  if (has(A.Issuer) && has(A.ClusterIssuer)) errors.push(`both "${A.Issuer}" and "${A.ClusterIssuer}" may not be set; use one`);
  if (has(A.ClusterIssuer) && has(A.IssuerGroup)) errors.push(`both "${A.ClusterIssuer}" and "${A.IssuerGroup}" may not be set`);
  if (has(A.ClusterIssuer) && has(A.IssuerKind)) errors.push(`both "${A.ClusterIssuer}" and "${A.IssuerKind}" may not be set`);
  if (errors.length) throw new IngressConfigError(`Could not determine issuer for ingress due to bad annotations: ${errors.join(', ')}`);
  return ref;
}

/** Annotations for the Certificate that steer HTTP-01 solving, cert-manager's names (read by the ACME backend via the request). */
function solverAnnotations(ingress: V1Ingress): Record<string, string> {
  const a = ingress.metadata?.annotations ?? {};
  const C = CertificateAnnotations;
  const out: Record<string, string> = {};
  if (a[IngressAnnotations.HTTP01EditInPlace] === 'true') {
    out[C.HTTP01IngressNameOverride] = ingress.metadata!.name!;
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
    else return `spec.tls[${first.get(name)}].secretName: Invalid value: "${name}": this secret name must only appear in a single TLS entry but is also used in spec.tls[${i}].secretName`;
  }
  return undefined;
}

export interface DesiredCertificates {
  certificates: Certificate[];
  /** One message per tls entry left out (no hosts or no secretName); the others are still issued. */
  skipped: string[];
}

/**
 * The Certificates this Ingress asks for, named after their secretName. Throws IngressConfigError
 * for annotations certgate cannot use and for two tls entries sharing a secretName.
 */
/** A valid name close to the given one: lower case, other characters as "-". */
function suggestedName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 253) || 'web-tls';
}

export function desiredCertificates(ingress: V1Ingress, issuer: IssuerRef): DesiredCertificates {
  const namespace = ingress.metadata!.namespace!;
  const tls = ingress.spec?.tls ?? [];
  const duplicate = duplicateSecretName(tls);
  if (duplicate) throw new IngressConfigError(duplicate);
  const { spec: shared, altNames, ipSans } = annotationSpec(ingress.metadata?.annotations ?? {});
  const labels = { ...(ingress.metadata?.labels ?? {}) };
  delete labels[APPLYSET_LABEL];
  const annotations = solverAnnotations(ingress);
  const certificates: Certificate[] = [];
  const skipped: string[] = [];
  for (const [i, entry] of tls.entries()) {
    const missing = [!entry.hosts?.length && `spec.tls[${i}].hosts: Required value`, !entry.secretName && `spec.tls[${i}].secretName: Required value`].filter(Boolean);
    if (missing.length) {
      skipped.push(`Skipped a TLS block: ${missing.length > 1 ? `[${missing.join(', ')}]` : missing[0]}`);
      continue;
    }
    // The Certificate is named after the Secret: a name the API server refuses (Web_TLS) would fail
    // on every pass with nothing on the Ingress. Said once, as a BadConfig Event, with the fix.
    const badName = subdomainProblem(entry.secretName!);
    if (badName) {
      skipped.push(`Skipped a TLS block: spec.tls[${i}].secretName "${entry.secretName}" is not a valid Secret or Certificate name: it ${badName}; rename it (for example "${suggestedName(entry.secretName!)}")`);
      continue;
    }
    const hosts = [...new Set(entry.hosts!.filter(Boolean))];
    const dnsNames = [...hosts.filter((h) => !isIP(h)), ...altNames];
    const ipAddresses = [...hosts.filter((h) => isIP(h)), ...ipSans];
    certificates.push({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: {
        name: entry.secretName,
        namespace,
        labels: { ...labels },
        ...(Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
        ownerReferences: [{ apiVersion: apiVersionOf(Resources.Ingress), kind: 'Ingress', name: ingress.metadata!.name!, uid: ingress.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        ...structuredClone(shared),
        ...(dnsNames.length ? { dnsNames } : {}),
        ...(ipAddresses.length ? { ipAddresses } : {}),
        secretName: entry.secretName!,
        issuerRef: { name: issuer.name, kind: issuer.kind, group: issuer.group },
      },
    });
  }
  return { certificates, skipped };
}
