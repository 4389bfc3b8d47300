// Whether a CertificateRequest still asks for the certificate a Certificate's spec describes
// (cert-manager's RequestMatchesSpec). One notion of "matches" for two callers: the trigger, on the
// request that made the current certificate (a difference re-issues: RequestChanged), and the
// request manager, on the request in flight (a difference replaces it).
// Compared by meaning, not by spelling, so the request cert-manager made for an unchanged
// Certificate still matches after a migration: usages left empty (the defaults) or written as
// aliases, a duration left unset or written "2160h0m0s", subject values in a multi-valued RDN or as
// PrintableString, names in another order or case.
import type { Certificate, CertificateRequest, KeyUsage } from '../../api/types.generated.ts';
import { DEFAULT_DURATION_MS } from '../../api/defaults.ts';
import { parseDuration } from '../../api/duration.ts';
import { SUBJECT_ATTRIBUTES, differingNameLists, readCsr } from '../../lib/pki/index.ts';
import { usageBits } from '../../lib/pki/usages.ts';
import { issuerGroupOf } from '../issuer-ref.ts';
import { requestedNames } from './spec-fields.ts';

interface RequestComparison {
  /** The Certificate spec fields the request no longer matches, in cert-manager's order ("spec.usages"). */
  fields: string[];
  /** Set when the request's CSR cannot be read; its names and subject were then not compared. */
  unreadableCsr?: string;
}

type Spec = Certificate['spec'];

/** The subject attributes the spec decides, with the spec field each comes from, in cert-manager's order. */
const A = SUBJECT_ATTRIBUTES;
const SUBJECT_FIELDS: ReadonlyArray<[field: string, attribute: string, values: (s: Spec) => Array<string | undefined> | undefined]> = [
  ['spec.commonName', 'CN', (s) => [s.commonName]],
  ['spec.subject.serialNumber', A.serialNumber, (s) => [s.subject?.serialNumber]],
  ['spec.subject.organizations', A.organizations, (s) => s.subject?.organizations],
  ['spec.subject.countries', A.countries, (s) => s.subject?.countries],
  ['spec.subject.localities', A.localities, (s) => s.subject?.localities],
  ['spec.subject.organizationalUnits', A.organizationalUnits, (s) => s.subject?.organizationalUnits],
  ['spec.subject.postalCodes', A.postalCodes, (s) => s.subject?.postalCodes],
  ['spec.subject.provinces', A.provinces, (s) => s.subject?.provinces],
  ['spec.subject.streetAddresses', A.streetAddresses, (s) => s.subject?.streetAddresses],
];

/** Equal as multisets, empty values left out (Go writes an empty list entry, certgate does not). */
function sameValues(a: Array<string | undefined>, b: Array<string | undefined>): boolean {
  const canonical = (xs: Array<string | undefined>) => JSON.stringify(xs.filter(Boolean).sort());
  return canonical(a) === canonical(b);
}

/** Usages as the certificate gets them: the defaults when none are given, aliases ("signing", "s/mime") as what they mean. */
function usagesKey(usages: readonly KeyUsage[] | undefined): string {
  const bits = usageBits(usages ?? [], false);
  return JSON.stringify([bits.keyUsage, [...new Set(bits.extKeyUsages)].sort(), [...new Set(bits.unknown)].sort()]);
}

/** A duration in ms, or the text itself when it does not parse (then only the same text matches). */
function durationValue(text: string): number | string {
  try {
    return parseDuration(text);
  } catch {
    return text;
  }
}

/**
 * A request without a duration matches any (cert-manager leaves it unset when the spec does, and
 * the issuer then decides); a Certificate without one asks for certgate's default, 90 days.
 */
function durationDiffers(spec: Spec, cr: CertificateRequest): boolean {
  if (cr.spec.duration === undefined) return false;
  const want = spec.duration === undefined ? DEFAULT_DURATION_MS : durationValue(spec.duration);
  return durationValue(cr.spec.duration) !== want;
}

/** The spec fields `cr` no longer matches; no fields when it asks for what the Certificate does. */
export function requestMismatches(cert: Certificate, cr: CertificateRequest): RequestComparison {
  const spec = cert.spec;
  const fields: string[] = [];
  // Read once per CSR text (lib/pki): the trigger compares the current request on every pass and the request manager the one in flight.
  const csr = readCsr(cr.spec.request);
  if (!(csr instanceof Error)) {
    const lists = new Set<string>(differingNameLists(requestedNames(cert), csr.names));
    for (const list of ['ipAddresses', 'uris', 'emailAddresses', 'dnsNames']) if (lists.has(list)) fields.push(`spec.${list}`);
    for (const [field, attribute, values] of SUBJECT_FIELDS) if (!sameValues(values(spec) ?? [], csr.subjectFields.get(attribute)!)) fields.push(field);
  }
  if (!!cr.spec.isCA !== !!spec.isCA) fields.push('spec.isCA');
  if (usagesKey(cr.spec.usages) !== usagesKey(spec.usages)) fields.push('spec.usages');
  if (durationDiffers(spec, cr)) fields.push('spec.duration');
  const ref = spec.issuerRef;
  const crRef = cr.spec.issuerRef ?? { name: '' }; // required by the schema; a hand-made object may still lack it
  if (crRef.name !== ref.name || (crRef.kind || 'Issuer') !== (ref.kind || 'Issuer') || issuerGroupOf(crRef) !== issuerGroupOf(ref))
    fields.push('spec.issuerRef');
  return csr instanceof Error ? { fields, unreadableCsr: `not a PEM certificate request: ${csr.message}` } : { fields };
}
