// cert-manager's Ingress annotations turned into Certificate spec fields, with cert-manager's
// parsing and limits (pkg/controller/certificate-shim/helper.go): a bad value is an
// IngressConfigError naming the annotation, and the Ingress gets no Certificate until it is fixed.
import { isIP } from 'node:net';
import type { CertificateSpec, KeyUsage } from '../../api/types.generated.ts';
import { IngressAnnotations } from '../../api/constants.ts';
import { parseDuration } from '../../api/duration.ts';
import { isKnownUsage } from '../../lib/pki/usages.ts';

export class IngressConfigError extends Error {
  override name = 'IngressConfigError';
}

const A = IngressAnnotations;
const MIN_DURATION_MS = 3_600_000; // cert-manager's MinimumCertificateDuration
const MIN_RENEW_BEFORE_MS = 300_000; // cert-manager's MinimumRenewBefore
const MAX_COMMON_NAME_BYTES = 64;

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * One CSV record, as cert-manager splits subject annotations: commas separate values, a value in
 * double quotes may hold commas, and "" inside quotes is one quote. Handwritten because it is one
 * line of CSV, not worth a dependency.
 */
function splitCsvRecord(annotation: string, value: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (value[i] === ' ') i++;
    let field = '';
    if (value[i] === '"') {
      i++;
      for (;;) {
        if (i >= value.length) throw new IngressConfigError(`${annotation}: unterminated quote in ${JSON.stringify(value)}`);
        if (value[i] === '"' && value[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (value[i] === '"') break;
        else field += value[i++];
      }
      i++;
      if (i < value.length && value[i] !== ',') throw new IngressConfigError(`${annotation}: text after a closing quote in ${JSON.stringify(value)}`);
    } else {
      const end = value.indexOf(',', i);
      field = value.slice(i, end < 0 ? value.length : end);
      if (field.includes('"')) throw new IngressConfigError(`${annotation}: a quote inside an unquoted value in ${JSON.stringify(value)}`);
      i = end < 0 ? value.length : end;
    }
    out.push(field);
    if (i >= value.length) return out;
    i++; // the comma
  }
}

function duration(annotation: string, value: string, minMs: number, field: string): string {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (e) {
    throw new IngressConfigError(`${annotation}: ${(e as Error).message}`);
  }
  if (ms < minMs) throw new IngressConfigError(`${annotation}: ${field} must be at least ${minMs / 60_000}m`);
  return value;
}

function integer(annotation: string, value: string, what: string, ok: (n: number) => boolean): number {
  const n = Number(value);
  if (!/^[+-]?\d+$/.test(value.trim()) || !ok(n)) throw new IngressConfigError(`${annotation}: "${value}" is not ${what}`);
  return n;
}

/** cert-manager.io/secret-template: JSON with only `annotations` and `labels`, no cert-manager.io/ annotation. */
function parseSecretTemplate(value: string): CertificateSpec['secretTemplate'] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    throw new IngressConfigError(`${A.SecretTemplate}: not JSON: ${(e as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new IngressConfigError(`${A.SecretTemplate}: must be a JSON object with "annotations" and/or "labels"`);
  const template: { annotations?: Record<string, string>; labels?: Record<string, string> } = {};
  for (const [key, map] of Object.entries(parsed)) {
    if (key !== 'annotations' && key !== 'labels')
      throw new IngressConfigError(`${A.SecretTemplate}: unknown field "${key}" (only "annotations" and "labels")`);
    if (map === null) continue;
    if (typeof map !== 'object' || Array.isArray(map) || Object.values(map).some((v) => typeof v !== 'string')) {
      throw new IngressConfigError(`${A.SecretTemplate}: "${key}" must map names to string values`);
    }
    template[key] = map as Record<string, string>;
  }
  const reserved = Object.keys(template.annotations ?? {}).find((k) => k.startsWith('cert-manager.io/'));
  if (reserved) throw new IngressConfigError(`${A.SecretTemplate}: secretTemplate must not have cert-manager.io/ annotations: "${reserved}"`);
  const some = (m?: Record<string, string>) => !!m && Object.keys(m).length > 0;
  return some(template.annotations) || some(template.labels) ? template : undefined;
}

function privateKey(a: Record<string, string>): CertificateSpec['privateKey'] | undefined {
  const pk: NonNullable<CertificateSpec['privateKey']> = {};
  const algorithm = a[A.PrivateKeyAlgorithm];
  if (algorithm !== undefined) {
    if (!['RSA', 'ECDSA', 'Ed25519'].includes(algorithm)) throw new IngressConfigError(`${A.PrivateKeyAlgorithm}: "${algorithm}" is not RSA, ECDSA or Ed25519`);
    pk.algorithm = algorithm as 'RSA' | 'ECDSA' | 'Ed25519';
  }
  const encoding = a[A.PrivateKeyEncoding];
  if (encoding !== undefined) {
    if (encoding !== 'PKCS1' && encoding !== 'PKCS8') throw new IngressConfigError(`${A.PrivateKeyEncoding}: "${encoding}" is not PKCS1 or PKCS8`);
    pk.encoding = encoding;
  }
  if (a[A.PrivateKeySize] !== undefined) {
    const size = integer(A.PrivateKeySize, a[A.PrivateKeySize], 'a key size', (n) => n > 0);
    const algo = pk.algorithm ?? 'RSA';
    if (algo === 'RSA' && (size < 2048 || size > 8192)) throw new IngressConfigError(`${A.PrivateKeySize}: ${size} is not an RSA key size (2048 to 8192)`);
    if (algo === 'ECDSA' && ![256, 384, 521].includes(size))
      throw new IngressConfigError(`${A.PrivateKeySize}: ${size} is not an ECDSA key size (256, 384 or 521)`);
    pk.size = size;
  }
  const rotation = a[A.PrivateKeyRotationPolicy];
  if (rotation !== undefined) {
    if (rotation !== 'Always' && rotation !== 'Never') throw new IngressConfigError(`${A.PrivateKeyRotationPolicy}: "${rotation}" is not Always or Never`);
    pk.rotationPolicy = rotation;
  }
  return Object.keys(pk).length ? pk : undefined;
}

function subject(a: Record<string, string>): CertificateSpec['subject'] | undefined {
  const s: NonNullable<CertificateSpec['subject']> = {};
  const fields: Array<[string, 'organizations' | 'organizationalUnits' | 'countries' | 'provinces' | 'localities' | 'postalCodes' | 'streetAddresses']> = [
    [A.SubjectOrganizations, 'organizations'],
    [A.SubjectOrganizationalUnits, 'organizationalUnits'],
    [A.SubjectCountries, 'countries'],
    [A.SubjectProvinces, 'provinces'],
    [A.SubjectLocalities, 'localities'],
    [A.SubjectPostalCodes, 'postalCodes'],
    [A.SubjectStreetAddresses, 'streetAddresses'],
  ];
  for (const [annotation, field] of fields) if (a[annotation] !== undefined) s[field] = splitCsvRecord(annotation, a[annotation]);
  if (a[A.SubjectSerialNumber] !== undefined) s.serialNumber = a[A.SubjectSerialNumber];
  return Object.keys(s).length ? s : undefined;
}

/**
 * The spec fields every Certificate of this Ingress shares, from its annotations. alt-names and
 * ip-sans come back apart: they are added to each tls entry's own hosts.
 */
export function annotationSpec(a: Record<string, string>): { spec: Partial<CertificateSpec>; altNames: string[]; ipSans: string[] } {
  const spec: Partial<CertificateSpec> = {};
  const cn = a[A.CommonName];
  if (cn !== undefined) {
    if (Buffer.byteLength(cn) > MAX_COMMON_NAME_BYTES)
      throw new IngressConfigError(`${A.CommonName}: common name may not be more than ${MAX_COMMON_NAME_BYTES} bytes`);
    if (cn) spec.commonName = cn;
  }
  const ipSans = list(a[A.IPSANs]);
  const badIp = ipSans.find((ip) => !isIP(ip));
  if (badIp) throw new IngressConfigError(`${A.IPSANs}: "${badIp}" is not a valid IP address`);
  const emails = list(a[A.EmailSANs]);
  const badEmail = emails.find((e) => !/^[^\s@<>"]+@[^\s@<>"]+$/.test(e));
  if (badEmail) throw new IngressConfigError(`${A.EmailSANs}: "${badEmail}" is not a valid email address`);
  if (emails.length) spec.emailAddresses = emails;
  const sub = subject(a);
  if (sub) spec.subject = sub;
  if (a[A.Duration] !== undefined) spec.duration = duration(A.Duration, a[A.Duration], MIN_DURATION_MS, 'duration');
  if (a[A.RenewBefore] !== undefined) spec.renewBefore = duration(A.RenewBefore, a[A.RenewBefore], MIN_RENEW_BEFORE_MS, 'renewBefore');
  if (a[A.RenewBeforePercentage] !== undefined)
    spec.renewBeforePercentage = integer(A.RenewBeforePercentage, a[A.RenewBeforePercentage], 'an integer from 1 to 99', (n) => n >= 1 && n <= 99);
  if (a[A.Usages] !== undefined) {
    const usages = a[A.Usages].split(',').map((u) => u.trim());
    const bad = usages.find((u) => !isKnownUsage(u));
    if (bad !== undefined) throw new IngressConfigError(`${A.Usages}: invalid key usage name "${bad}"`);
    spec.usages = usages as KeyUsage[];
  }
  if (a[A.RevisionHistoryLimit] !== undefined)
    spec.revisionHistoryLimit = integer(A.RevisionHistoryLimit, a[A.RevisionHistoryLimit], 'a positive integer', (n) => n >= 1);
  const pk = privateKey(a);
  if (pk) spec.privateKey = pk;
  if (a[A.SecretTemplate] !== undefined) {
    const template = parseSecretTemplate(a[A.SecretTemplate]);
    if (template) spec.secretTemplate = template;
  }
  return { spec, altNames: list(a[A.AltNames]), ipSans };
}
