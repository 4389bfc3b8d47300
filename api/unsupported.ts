// cert-manager fields that certgate keeps in its CRD schemas (so the API server does not silently
// prune them) but does not implement. The admission webhook rejects objects that set them.
// Paths use "." for properties and "[]" for every element of a list.
import type { CertgateResource } from './types.generated.ts';

export type CrdKind = CertgateResource['kind'];

interface UnsupportedField {
  /** Field path, e.g. "spec.acme.solvers[].dns01.route53". */
  readonly path: string;
  /** One line shown to the user: what certgate does instead, or why it is missing. */
  readonly reason: string;
  /** Values that match certgate's behaviour and so are accepted (e.g. a feature flag set to false). */
  readonly harmlessValues?: readonly unknown[];
  /** Refused even when empty ({}): setting it at all asks for something certgate does not have (an issuer type). */
  readonly refuseEmpty?: boolean;
}

// Every DNS-01 provider of cert-manager is implemented (worker/acme/challenges/dns01/).
function solverFields(prefix: string): UnsupportedField[] {
  return [
    {
      path: `${prefix}.dns01.azureDNS.zoneType`,
      reason: 'Azure Private DNS zones are not implemented; certgate writes to public Azure DNS zones (AzurePublicZone)',
      harmlessValues: ['AzurePublicZone'],
    },
    {
      path: `${prefix}.dns01.nameservers`,
      reason: "per-solver propagation-check nameservers are not implemented; certgate checks the zone's authoritative servers",
    },
    ...['ingress', 'gatewayHTTPRoute'].map((route) => ({
      path: `${prefix}.http01.${route}.serviceType`,
      reason:
        "no NodePort solver Service is made (HTTP-01 goes through an ExternalName alias of certgate's ClusterIP solver Service); leave it out or set ClusterIP",
      harmlessValues: ['', 'ClusterIP'],
    })),
    {
      path: `${prefix}.waitInsteadOfSelfCheck`,
      reason:
        'certgate always checks a challenge itself before asking the CA to validate it, so a broken route shows in status instead of a failed authorization',
    },
  ];
}

const ISSUER_FIELDS: readonly UnsupportedField[] = [
  { path: 'spec.vault', reason: 'the Vault issuer is not implemented; use acme, ca or selfSigned', refuseEmpty: true },
  { path: 'spec.venafi', reason: 'the Venafi issuer is not implemented; use acme, ca or selfSigned', refuseEmpty: true },
  {
    path: 'spec.acme.renewalInformationSource',
    reason: 'certgate always asks for renewal information when the CA offers it (ARI); None is not implemented',
    harmlessValues: ['ARI'],
  },
  { path: 'spec.acme.enableDurationFeature', reason: 'certgate does not send notAfter to the ACME server', harmlessValues: [false] },
  ...solverFields('spec.acme.solvers[]'),
  { path: 'spec.ca.crlDistributionPoints', reason: 'CRL distribution points are not added to issued certificates' },
  { path: 'spec.ca.ocspServers', reason: 'OCSP server URLs are not added to issued certificates' },
  { path: 'spec.ca.issuingCertificateURLs', reason: 'AIA issuing certificate URLs are not added to issued certificates' },
  { path: 'spec.selfSigned.crlDistributionPoints', reason: 'CRL distribution points are not added to issued certificates' },
];

export const UNSUPPORTED_FIELDS: Readonly<Record<CrdKind, readonly UnsupportedField[]>> = Object.freeze({
  Certificate: [
    { path: 'spec.keystores', reason: 'JKS and PKCS#12 keystores are not written; the Secret holds PEM tls.crt, tls.key and ca.crt' },
    { path: 'spec.additionalOutputFormats', reason: 'DER and CombinedPEM outputs are not written; the Secret holds PEM tls.crt, tls.key and ca.crt' },
    { path: 'spec.literalSubject', reason: 'literal RFC 4514 subjects are not supported; use commonName and subject' },
    { path: 'spec.nameConstraints', reason: 'name constraints are not supported' },
    { path: 'spec.otherNames', reason: 'otherName SANs are not supported; use dnsNames, ipAddresses, uris or emailAddresses' },
    { path: 'spec.signatureAlgorithm', reason: 'the signature algorithm follows privateKey.algorithm and cannot be chosen' },
    { path: 'spec.encodeUsagesInRequest', reason: 'certgate decides itself whether usages are encoded in the CSR' },
    { path: 'spec.renewal.windows', reason: 'renewal windows (cron) are not implemented; certgate renews at renewBefore / renewBeforePercentage' },
  ],
  Issuer: ISSUER_FIELDS,
  ClusterIssuer: ISSUER_FIELDS,
  CertificateRequest: [],
  Order: [],
  Challenge: solverFields('spec.solver'),
});

interface UnsupportedFieldUse {
  /** Concrete path in the object, e.g. "spec.acme.solvers[1].dns01.route53". */
  readonly path: string;
  readonly reason: string;
}

/** True for values that say nothing: absent, null, [] and {}. */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** Values found at path ("a.b[].c") in obj, with their concrete paths. */
function lookup(obj: unknown, path: string): Array<{ path: string; value: unknown }> {
  let found: Array<{ path: string; value: unknown }> = [{ path: '', value: obj }];
  for (const segment of path.split('.')) {
    const isList = segment.endsWith('[]');
    const name = isList ? segment.slice(0, -2) : segment;
    const next: typeof found = [];
    for (const { path: at, value } of found) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const child = (value as Record<string, unknown>)[name];
      const childPath = at ? `${at}.${name}` : name;
      if (!isList) next.push({ path: childPath, value: child });
      else if (Array.isArray(child)) child.forEach((item, i) => next.push({ path: `${childPath}[${i}]`, value: item }));
    }
    found = next;
  }
  return found;
}

/** Every unsupported field the object sets, in the order of UNSUPPORTED_FIELDS. Pure, for the webhook. */
export function findUnsupportedFields(kind: CrdKind, obj: unknown): UnsupportedFieldUse[] {
  const fields = UNSUPPORTED_FIELDS[kind];
  if (!fields) throw new Error(`unknown kind ${kind}`);
  const uses: UnsupportedFieldUse[] = [];
  for (const field of fields) {
    for (const { path, value } of lookup(obj, field.path)) {
      if (value === undefined || value === null || (isEmpty(value) && !field.refuseEmpty)) continue;
      if (field.harmlessValues?.includes(value)) continue;
      uses.push({ path, reason: field.reason });
    }
  }
  return uses;
}
