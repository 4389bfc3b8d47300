// Signs certificates from CSRs: the SelfSigned issuer (signed by the CSR's own key) and the CA
// issuer (signed by a CA key pair). Validity, usages and isCA come from the CertificateRequest.
import { createPublicKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { rememberCertificateNames } from './certificate.ts';
import { parseCsr } from './csr.ts';
import { samePublicKey } from './keys.ts';
import { usageExtensions } from './usages.ts';
import { nodeCrypto, nodeSigningKeys, x509 } from './webcrypto.ts';

interface SignOptions {
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

/** What signing needs of a signer key, derived once per key: a CA signs thousands of requests with one. */
interface SignerMaterial {
  keys: ReturnType<typeof nodeSigningKeys>;
  authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}
const signerMaterial = new WeakMap<KeyObject, Promise<SignerMaterial>>();

function materialOf(signerKey: KeyObject): Promise<SignerMaterial> {
  let material = signerMaterial.get(signerKey);
  if (!material) {
    const spki = createPublicKey(signerKey).export({ format: 'der', type: 'spki' });
    material = Promise.all([nodeSigningKeys(signerKey), x509.AuthorityKeyIdentifierExtension.create(new x509.PublicKey(spki))]).then(
      ([keys, authorityKeyId]) => ({ keys, authorityKeyId }),
    );
    signerMaterial.set(signerKey, material);
    material.catch(() => signerMaterial.delete(signerKey));
  }
  return material;
}

/** The parsed CA certificate and its subject Name, by PEM (a few CAs, each signing many requests). */
const issuerCertificates = new Map<string, { cert: X509Certificate; name: ArrayBuffer }>();
const MAX_ISSUER_CERTIFICATES = 32;

function issuerCertificateOf(pem: string): { cert: X509Certificate; name: ArrayBuffer } {
  let known = issuerCertificates.get(pem);
  if (!known) {
    known = { cert: new X509Certificate(pem), name: new x509.X509Certificate(pem).subjectName.toArrayBuffer() };
    if (issuerCertificates.size >= MAX_ISSUER_CERTIFICATES) issuerCertificates.clear();
    issuerCertificates.set(pem, known);
  }
  return known;
}

/** Returns the PEM certificate. Throws SigningError when the request cannot be signed as asked. */
export async function signCertificate(opts: SignOptions): Promise<string> {
  const csr = await parseCsr(opts.csr);
  const now = opts.now ?? new Date();
  const notBefore = new Date(Math.floor((now.getTime() - (opts.backdateMs ?? 0)) / 1000) * 1000);
  const notAfter = new Date(Math.floor((now.getTime() + opts.durationMs) / 1000) * 1000);
  let issuerName: ArrayBuffer = csr.subjectDer;
  if (opts.signerCertificatePem) {
    const issuer = issuerCertificateOf(opts.signerCertificatePem);
    if (!issuer.cert.ca) throw new SigningError('the signing certificate is not a CA (basicConstraints CA:FALSE)');
    if (!samePublicKey(issuer.cert.publicKey, opts.signerKey)) throw new SigningError('the CA private key does not match the CA certificate');
    issuerName = issuer.name;
    // A leaf must not outlive its CA.
    const caNotAfter = new Date(issuer.cert.validTo);
    if (caNotAfter <= now) throw new SigningError(`the CA certificate expired at ${caNotAfter.toISOString()}`);
    if (notAfter > caNotAfter) notAfter.setTime(caNotAfter.getTime());
  } else if (!samePublicKey(csr.publicKey, opts.signerKey)) {
    throw new SigningError('a self-signed certificate must be signed with the key of its request');
  }
  const { keys: signer, authorityKeyId } = await materialOf(opts.signerKey);
  const subjectPublicKey = csr.publicKey.export({ format: 'der', type: 'spki' });
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!opts.isCA, undefined, true),
    ...usageExtensions(opts.usages, opts.isCA),
    await x509.SubjectKeyIdentifierExtension.create(new x509.PublicKey(subjectPublicKey), false, nodeCrypto),
  ];
  if (csr.subjectAltNameDer) extensions.push(new x509.SubjectAlternativeNameExtension(csr.subjectAltNameDer));
  extensions.push(authorityKeyId);
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialHex(),
      subject: new x509.Name(csr.subjectDer),
      issuer: new x509.Name(issuerName),
      notBefore,
      notAfter,
      publicKey: subjectPublicKey,
      signingKey: signer.privateKey,
      signingAlgorithm: signer.algorithm,
      extensions,
    },
    nodeCrypto,
  );
  // Subject and subjectAltName are the CSR's bytes: the Secret writer and readiness find the names without parsing.
  rememberCertificateNames(cert.rawData, csr.names);
  return cert.toString('pem') + '\n';
}

/** A positive 128-bit serial number as hex (first bit cleared, never zero). */
function serialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01;
  return b.toString('hex');
}
