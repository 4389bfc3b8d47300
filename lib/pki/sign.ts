// Signs certificates from CSRs: the SelfSigned issuer (signed by the CSR's own key) and the CA
// issuer (signed by a CA key pair). Validity, usages and isCA come from the CertificateRequest.
import { createPublicKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { parseCsr } from './csr.ts';
import { samePublicKey } from './keys.ts';
import { SAN_OID } from './certificate-names.ts';
import { usageExtensions } from './usages.ts';
import { toCryptoKeyPair, x509 } from './webcrypto.ts';

export interface SignOptions {
  /** PEM CSR (or its base64). */
  csr: string;
  durationMs: number;
  isCA?: boolean;
  usages?: readonly string[];
  /** Signing key: the CA's key, or for a self-signed certificate the key of the CSR. */
  signerKey: KeyObject;
  /** The CA certificate (PEM); undefined signs a self-signed certificate (issuer = subject). */
  signerCertificatePem?: string;
  now?: Date;
  /** Move notBefore back a little so clocks slightly behind still accept the certificate. */
  backdateMs?: number;
}

export class SigningError extends Error {
  override name = 'SigningError';
}

/** Returns the PEM certificate. Throws SigningError when the request cannot be signed as asked. */
export async function signCertificate(opts: SignOptions): Promise<string> {
  const csr = await parseCsr(opts.csr);
  const now = opts.now ?? new Date();
  const notBefore = new Date(Math.floor((now.getTime() - (opts.backdateMs ?? 0)) / 1000) * 1000);
  const notAfter = new Date(Math.floor((now.getTime() + opts.durationMs) / 1000) * 1000);
  let issuerName: ArrayBuffer = csr.subjectDer;
  let issuerCert: X509Certificate | undefined;
  if (opts.signerCertificatePem) {
    issuerCert = new X509Certificate(opts.signerCertificatePem);
    if (!issuerCert.ca) throw new SigningError('the signing certificate is not a CA (basicConstraints CA:FALSE)');
    if (!samePublicKey(issuerCert.publicKey, opts.signerKey)) throw new SigningError('the CA private key does not match the CA certificate');
    issuerName = new x509.X509Certificate(opts.signerCertificatePem).subjectName.toArrayBuffer();
    // A leaf must not outlive its CA.
    const caNotAfter = new Date(issuerCert.validTo);
    if (caNotAfter <= now) throw new SigningError(`the CA certificate expired at ${caNotAfter.toISOString()}`);
    if (notAfter > caNotAfter) notAfter.setTime(caNotAfter.getTime());
  } else if (!samePublicKey(csr.publicKey, opts.signerKey)) {
    throw new SigningError('a self-signed certificate must be signed with the key of its request');
  }
  const signer = await toCryptoKeyPair(opts.signerKey);
  const subjectPublicKey = csr.publicKey.export({ format: 'der', type: 'spki' });
  const san = await sanExtensionFromCsr(opts.csr);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!opts.isCA, undefined, true),
    ...usageExtensions(opts.usages, opts.isCA),
    await x509.SubjectKeyIdentifierExtension.create(new x509.PublicKey(subjectPublicKey)),
  ];
  if (san) extensions.push(san);
  const signerSpki = createPublicKey(opts.signerKey).export({ format: 'der', type: 'spki' });
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(new x509.PublicKey(signerSpki)));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex(),
    subject: new x509.Name(csr.subjectDer),
    issuer: new x509.Name(issuerName),
    notBefore,
    notAfter,
    publicKey: subjectPublicKey,
    signingKey: signer.privateKey,
    signingAlgorithm: signer.algorithm,
    extensions,
  });
  return cert.toString('pem') + '\n';
}

/** A positive 128-bit serial number as hex (first bit cleared, never zero). */
function serialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b.toString('hex');
}

async function sanExtensionFromCsr(pem: string): Promise<x509.Extension | undefined> {
  const text = pem.includes('-----BEGIN') ? pem : Buffer.from(pem, 'base64').toString('utf8');
  const csr = new x509.Pkcs10CertificateRequest(text);
  const raw = csr.getExtension(SAN_OID);
  return raw ? new x509.SubjectAlternativeNameExtension(raw.rawData) : undefined;
}
