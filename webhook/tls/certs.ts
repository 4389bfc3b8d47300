// The webhook's own PKI: a small ECDSA P-256 CA and a serving certificate for the Service names.
// Made with @peculiar/x509 over node's WebCrypto; no private key ever leaves this module except
// as PEM in the returned bundle (stored only in the webhook's Secret).
import { createPrivateKey, KeyObject, X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface ServingBundle {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA this one replaced, still trusted in caBundle until retireAt (its key is never kept). */
  readonly previousCa?: RetiringCa;
}

export interface RetiringCa {
  readonly certPem: string;
  readonly retireAt: Date;
}

export const CA_VALIDITY_MS = 10 * 365 * 24 * 3_600_000;
export const CA_COMMON_NAME = 'certgate-webhook-ca';
export const BACKDATE_MS = 5 * 60_000; // tolerate clock skew between replicas and the API server

/** The names a serving certificate needs: <svc>.<ns>.svc, <svc>.<ns>.svc.cluster.local, plus extras (IPs allowed). */
export function servingNames(serviceName: string, namespace: string, extra: ReadonlyArray<string> = []): string[] {
  return [...new Set([`${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`, ...extra])];
}

function serial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  return Buffer.from(bytes).toString('hex');
}

async function keyPem(key: CryptoKey): Promise<string> {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return crypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

export async function createCa(now: Date, commonName = CA_COMMON_NAME): Promise<{ caCertPem: string; caKeyPem: string }> {
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_MS),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { caCertPem: cert.toString('pem'), caKeyPem: await keyPem(keys.privateKey) };
}

export async function createServingCert(
  ca: { caCertPem: string; caKeyPem: string },
  names: ReadonlyArray<string>,
  now: Date,
  validityMs: number,
): Promise<{ certPem: string; keyPem: string }> {
  const caCert = new x509.X509Certificate(ca.caCertPem);
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0]}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + validityMs),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.caKeyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n }))),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

interface CertFacts {
  notBefore: Date;
  notAfter: Date;
  names: string[];
  serial: string;
}

/** Validity and SANs of a PEM certificate (node's own parser). Throws on garbage. */
export function certFacts(pem: string): CertFacts {
  const c = new NodeX509(pem);
  const names = (c.subjectAltName ?? '')
    .split(', ')
    .filter(Boolean)
    .map((n) => n.replace(/^(DNS|IP Address):/, ''));
  return { notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo), names, serial: c.serialNumber };
}

/** Whether the serving certificate was signed by the CA and its key matches. */
export function bundleIsConsistent(b: ServingBundle): boolean {
  try {
    const leaf = new NodeX509(b.certPem);
    const ca = new NodeX509(b.caCertPem);
    return leaf.verify(ca.publicKey) && leaf.checkPrivateKey(createPrivateKey(b.keyPem)) && ca.checkPrivateKey(createPrivateKey(b.caKeyPem));
  } catch {
    return false;
  }
}
