// The identity a certificate is requested for (common name and subjectAltNames), read from and
// written to CSRs and certificates, and compared order-insensitively.
import { isIPv4, isIPv6 } from 'node:net';
import { x509 } from './webcrypto.ts';

export interface CertificateNames {
  commonName?: string;
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  emailAddresses: string[];
}

export function emptyNames(): CertificateNames {
  return { dnsNames: [], ipAddresses: [], uris: [], emailAddresses: [] };
}

/** Canonical text of an IP address so "::1" and "0:0:0:0:0:0:0:1" compare equal. Throws on a non-IP. */
export function canonicalIp(ip: string): string {
  if (isIPv4(ip))
    return ip
      .split('.')
      .map((p) => String(Number(p)))
      .join('.');
  if (!isIPv6(ip)) throw new Error(`"${ip}" is not an IP address`);
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + `${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const full = groups.map((g) => parseInt(g, 16).toString(16));
  return full.join(':');
}

export const SAN_OID = '2.5.29.17';

const sortedUnique = (xs: string[]) => [...new Set(xs)].sort();

/** Names in a canonical form: lower-case DNS names, canonical IPs, sorted and de-duplicated. */
function normaliseNames(n: CertificateNames): CertificateNames {
  return {
    commonName: n.commonName || undefined,
    dnsNames: sortedUnique(n.dnsNames.map((d) => d.toLowerCase())),
    ipAddresses: sortedUnique(n.ipAddresses.map(canonicalIp)),
    uris: sortedUnique(n.uris),
    emailAddresses: sortedUnique(n.emailAddresses),
  };
}

const NAME_LISTS = ['dnsNames', 'ipAddresses', 'uris', 'emailAddresses'] as const;
type NameList = (typeof NAME_LISTS)[number];

const sameList = (a: string[], b: string[]) => a.join(',') === b.join(',');

/**
 * Differences between what was requested and what an issued certificate holds; empty when they match.
 * The common name and the DNS names are compared as one set, as cert-manager's check of a stored
 * certificate does: CAs move names between them (Let's Encrypt's tlsserver and shortlived profiles
 * leave the common name out, other CAs copy it into the DNS names). A name missing from both, or one
 * nobody asked for, still differs.
 */
export function diffNames(requested: CertificateNames, actual: CertificateNames): string[] {
  const want = normaliseNames(requested);
  const got = normaliseNames(actual);
  const out: string[] = [];
  const wantedHosts = hostNames(want);
  const gotHosts = hostNames(got);
  const missing = (name: string | undefined, from: Set<string>) => name !== undefined && !from.has(name.toLowerCase());
  if (missing(want.commonName, gotHosts) || missing(got.commonName, wantedHosts))
    out.push(`commonName is "${got.commonName ?? ''}", want "${want.commonName ?? ''}"`);
  if (want.dnsNames.some((d) => !gotHosts.has(d)) || got.dnsNames.some((d) => !wantedHosts.has(d)))
    out.push(`dnsNames are [${got.dnsNames.join(', ')}], want [${want.dnsNames.join(', ')}]`);
  for (const field of NAME_LISTS) {
    if (field !== 'dnsNames' && !sameList(want[field], got[field])) out.push(`${field} are [${got[field].join(', ')}], want [${want[field].join(', ')}]`);
  }
  return out;
}

/** The DNS names and the common name, lower-cased: the set diffNames compares. */
function hostNames(n: CertificateNames): Set<string> {
  return new Set(n.commonName ? [...n.dnsNames, n.commonName.toLowerCase()] : n.dnsNames);
}

/** The subjectAltName lists (dnsNames, ipAddresses, uris, emailAddresses) that differ, compared as diffNames does. */
export function differingNameLists(requested: CertificateNames, actual: CertificateNames): NameList[] {
  const want = normaliseNames(requested);
  const got = normaliseNames(actual);
  return NAME_LISTS.filter((field) => !sameList(want[field], got[field]));
}

/** subjectAltName GeneralNames for the names (DNS, IP, URI, email). */
export function subjectAltNames(n: CertificateNames): x509.JsonGeneralName[] {
  return [
    ...n.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...n.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
    ...n.uris.map((value) => ({ type: 'url' as const, value })),
    ...n.emailAddresses.map((value) => ({ type: 'email' as const, value })),
  ];
}

/** A copy whose lists the caller may change (for values shared through a memo). */
export function copyNames(n: CertificateNames): CertificateNames {
  return { ...n, dnsNames: [...n.dnsNames], ipAddresses: [...n.ipAddresses], uris: [...n.uris], emailAddresses: [...n.emailAddresses] };
}

/** Reads names from a parsed certificate or CSR (@peculiar/x509 objects). */
export function namesOf(obj: x509.X509Certificate | x509.Pkcs10CertificateRequest): CertificateNames {
  const raw = obj.getExtension(SAN_OID);
  // A CSR's extensions come decoded already (the SAN as its own class): no second decoding then.
  const san = raw instanceof x509.SubjectAlternativeNameExtension ? raw : raw ? new x509.SubjectAlternativeNameExtension(raw.rawData) : undefined;
  return namesFrom(obj.subjectName, san?.names);
}

/**
 * A certificate read for its names: only its subjectAltName extension is decoded. x509's own
 * getExtension decodes every extension of the certificate first, most of the cost of reading names.
 */
class CertificateNamesReader extends x509.X509Certificate {
  names(): CertificateNames {
    const san = this.asn.tbsCertificate.extensions?.find((e) => e.extnID === SAN_OID);
    return namesFrom(this.subjectName, san ? new x509.GeneralNames(san.extnValue.buffer) : undefined);
  }
}

/** The names of a DER certificate. */
export function certificateNames(der: Buffer<ArrayBuffer>): CertificateNames {
  return new CertificateNamesReader(der).names();
}

function namesFrom(subject: x509.Name, sans: x509.GeneralNames | undefined): CertificateNames {
  const names = emptyNames();
  const cn = subject.getField('CN');
  if (cn.length) names.commonName = cn[0];
  for (const gn of sans?.toJSON() ?? []) {
    if (gn.type === 'dns') names.dnsNames.push(gn.value);
    else if (gn.type === 'ip') names.ipAddresses.push(gn.value);
    else if (gn.type === 'url') names.uris.push(gn.value);
    else if (gn.type === 'email') names.emailAddresses.push(gn.value);
  }
  return names;
}
