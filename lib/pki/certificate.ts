// X.509 certificate parsing and checks with node:crypto's X509Certificate: leaf details, chain
// order, verification to a CA bundle, key match and requested names. Used by the Secret writer
// before every write, by the readiness checks, and by the CLI (inspect, import).
import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import { certificateNames, copyNames, diffNames, type CertificateNames } from './certificate-names.ts';
import { RecentValues } from '../recent-values.ts';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

class InvalidCertificateError extends Error {
  override name = 'InvalidCertificateError';
}

/** The PEM blocks of every CERTIFICATE in text, in order. */
export function splitPemCertificates(pem: string): string[] {
  return (pem.match(PEM_CERT) ?? []).map((b) => b + '\n');
}

// The Secret writer, readiness, trigger and upkeep passes each parse the same tls.crt (about half
// a millisecond per certificate): recent chains by their PEM text (X509Certificate is immutable).
// A few hundred cover the issuances in flight; a refusal is not remembered.
const recentChains = new RecentValues<string, readonly X509Certificate[]>(256);

/** Parses a PEM bundle (leaf first). Throws InvalidCertificateError when empty or malformed. */
export function parseCertificateChain(pem: string | Buffer): X509Certificate[] {
  const text = Buffer.isBuffer(pem) ? pem.toString('utf8') : pem;
  return [...recentChains.get(text, () => decodeChain(text))];
}

function decodeChain(text: string): X509Certificate[] {
  const blocks = splitPemCertificates(text);
  if (blocks.length === 0) throw new InvalidCertificateError('no PEM certificate found');
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new InvalidCertificateError(`certificate ${i + 1} of the chain cannot be parsed: ${(e as Error).message}`);
    }
  });
}

export interface CertificateInfo {
  serialNumber: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  isCA: boolean;
  names: CertificateNames;
  fingerprint256: string;
}

// Reading the names takes an asn1js parse (about a millisecond; node's X509Certificate does not
// expose them as data), and the readiness, trigger, upkeep and Secret-writing passes each inspect the same
// certificate: the names of recent certificates, by SHA-256 fingerprint.
const recentNames = new RecentValues<string, CertificateNames>(4096);

/** Records the names of a certificate this process just signed (DER): they are the CSR's, copied byte for byte, and need no parse. */
export function rememberCertificateNames(der: ArrayBuffer, names: CertificateNames): void {
  const fingerprint256 = createHash('sha256')
    .update(Buffer.from(der))
    .digest('hex')
    .toUpperCase()
    .replace(/..(?!$)/g, '$&:');
  recentNames.get(fingerprint256, () => copyNames(names));
}

/** Details of one certificate (the first in pem). */
export function inspectCertificate(pem: string | X509Certificate): CertificateInfo {
  const cert = typeof pem === 'string' ? parseCertificateChain(pem)[0] : pem;
  return {
    serialNumber: cert.serialNumber,
    subject: cert.subject,
    issuer: cert.issuer,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    isCA: cert.ca,
    names: copyNames(recentNames.get(cert.fingerprint256, () => certificateNames(cert.raw))),
    fingerprint256: cert.fingerprint256,
  };
}

/** Whether the certificate's public key belongs to the private key. */
export function certificateMatchesKey(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

/** undefined when each certificate is issued and signed by the next one; otherwise what is wrong. */
export function chainOrderProblem(chain: X509Certificate[]): string | undefined {
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) {
      return `certificate ${i + 1} of the chain (${chain[i].subject}) is not signed by certificate ${i + 2} (${chain[i + 1].subject})`;
    }
  }
  return undefined;
}

/** Whether the chain (leaf first) leads to one of the CA certificates in caPem. */
export function chainVerifiesTo(chain: X509Certificate[], caPem: string): boolean {
  if (chainOrderProblem(chain)) return false;
  const last = chain[chain.length - 1];
  const roots = splitPemCertificates(caPem).map((b) => new X509Certificate(b));
  return roots.some((root) => root.fingerprint256 === last.fingerprint256 || (last.checkIssued(root) && last.verify(root.publicKey)));
}

interface KeyPairCheckInput {
  certificatePem: string;
  privateKey: KeyObject;
  requested?: CertificateNames;
  caPem?: string;
  now?: Date;
}

/** Everything wrong with a certificate + key pair; an empty list means it can be stored and served. */
export function keyPairProblems(input: KeyPairCheckInput): string[] {
  let chain: X509Certificate[];
  try {
    chain = parseCertificateChain(input.certificatePem);
  } catch (e) {
    return [(e as Error).message];
  }
  const problems: string[] = [];
  const leaf = chain[0];
  if (!certificateMatchesKey(leaf, input.privateKey)) problems.push('the certificate does not match the private key');
  const order = chainOrderProblem(chain);
  if (order) problems.push(order);
  if (input.requested) problems.push(...diffNames(input.requested, inspectCertificate(leaf).names));
  if (input.caPem && !order && !chainVerifiesTo(chain, input.caPem)) problems.push('the chain does not verify to the CA certificate');
  const now = input.now ?? new Date();
  if (new Date(leaf.validTo) <= now) problems.push(`the certificate expired at ${new Date(leaf.validTo).toISOString()}`);
  return problems;
}
