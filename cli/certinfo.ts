// Display fields of an X.509 certificate for the CLI's output. The parsing and the checks
// (key matches, chain order, verification) come from lib/pki; this only shapes them for people.
import type { KeyObject, X509Certificate } from 'node:crypto';
import { describePrivateKey, inspectCertificate } from '../lib/pki/index.ts';

export interface CertificateSummary {
  subject: string;
  commonName?: string;
  dnsNames: string[];
  ipAddresses: string[];
  uris: string[];
  emailAddresses: string[];
  issuer: string;
  serialNumber: string; // lower-case hex
  notBefore: string; // ISO 8601
  notAfter: string;
  isCA: boolean;
  publicKey: string; // "RSA 2048", "ECDSA 256", "Ed25519"
  fingerprintSha256: string;
}

/** One line per RDN in node's format becomes "CN=a, O=b". */
export function oneLineDn(dn: string | undefined): string {
  return (dn ?? '').split('\n').filter(Boolean).join(', ');
}

/** "RSA 2048", "ECDSA 256", "Ed25519", or the raw type when unsupported. */
export function describeKey(key: KeyObject): string {
  try {
    const d = describePrivateKey(key);
    return d.size ? `${d.algorithm} ${d.size}` : d.algorithm;
  } catch {
    return key.asymmetricKeyType ?? 'unknown';
  }
}

export function serialOf(cert: X509Certificate): string {
  return cert.serialNumber.toLowerCase();
}

export function summarize(cert: X509Certificate): CertificateSummary {
  const info = inspectCertificate(cert);
  return {
    subject: oneLineDn(info.subject),
    commonName: info.names.commonName,
    dnsNames: info.names.dnsNames,
    ipAddresses: info.names.ipAddresses,
    uris: info.names.uris,
    emailAddresses: info.names.emailAddresses,
    issuer: oneLineDn(info.issuer),
    serialNumber: serialOf(cert),
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    isCA: info.isCA,
    publicKey: describeKey(cert.publicKey),
    fingerprintSha256: info.fingerprint256,
  };
}

export const decodeBase64 = (v: string | undefined): string => (v ? Buffer.from(v, 'base64').toString('utf8') : '');
