// Synchronous reading of a PKCS#10 CSR for the admission webhook, whose handlers are synchronous:
// parse, check the self-signature with node:crypto, and report the requested usages and CA flag.
// Its signature check and PEM-or-base64 reading serve the worker's parseCsr (csr.ts) too.
import { createPublicKey, verify, constants, type KeyObject } from 'node:crypto';
import { x509 } from './webcrypto.ts';

interface CsrFacts {
  /** KeyUsage flags when the CSR carries a KeyUsage extension. */
  keyUsage?: number;
  /** Extended key usage OIDs, in the CSR's order, when it carries the extension. */
  extKeyUsages?: string[];
  /** The CA flag when the CSR carries BasicConstraints. */
  isCA?: boolean;
}

/** Bytes of the first element inside the DER SEQUENCE at the start of der (the CSR's signed part). */
function firstInnerElement(der: Buffer): Buffer {
  const lengthAt = (at: number): [length: number, headerEnd: number] => {
    const first = der[at + 1];
    if (first < 0x80) return [first, at + 2];
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    let length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[at + 2 + i];
    return [length, at + 2 + n];
  };
  const [, innerStart] = lengthAt(0);
  const [innerLength, innerBody] = lengthAt(innerStart);
  const end = innerBody + innerLength;
  if (end > der.length) throw new Error('truncated DER');
  return der.subarray(innerStart, end);
}

/** Whether the CSR's self-signature verifies with `key`, checked by node:crypto (no WebCrypto key import). Throws for an algorithm node cannot check. */
export function signatureValid(csr: x509.Pkcs10CertificateRequest, key: KeyObject): boolean {
  const tbs = firstInnerElement(Buffer.from(csr.rawData));
  const signature = Buffer.from(csr.signature);
  const alg = csr.signatureAlgorithm as { name: string; hash?: { name: string }; saltLength?: number };
  const hash = alg.hash ? alg.hash.name.replace('-', '').toLowerCase() : null;
  if (alg.name === 'RSA-PSS') return verify(hash, tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength ?? 32 }, signature);
  if (alg.name === 'ECDSA') return verify(hash, tbs, { key, dsaEncoding: 'der' }, signature);
  return verify(alg.name === 'Ed25519' || alg.name === 'EdDSA' ? null : hash, tbs, key, signature);
}

/** The PEM text of a CSR given as PEM or as base64 of PEM (CertificateRequest spec.request). */
export function csrPemText(input: string): string {
  return input.includes('-----BEGIN') ? input : Buffer.from(input, 'base64').toString('utf8');
}

/** Reads a PEM CSR (or base64 of PEM, as in CertificateRequest spec.request). Throws with a readable reason. */
export function readCsrSync(input: string): CsrFacts {
  const text = csrPemText(input);
  if (!text.includes('-----BEGIN CERTIFICATE REQUEST-----') && !text.includes('-----BEGIN NEW CERTIFICATE REQUEST-----'))
    throw new Error('is not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----)');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(text);
  } catch (e) {
    throw new Error(`is not a valid certificate request: ${(e as Error).message}`);
  }
  let valid: boolean;
  try {
    valid = signatureValid(csr, createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' }));
  } catch (e) {
    throw new Error(`has a signature that cannot be checked: ${(e as Error).message}`);
  }
  if (!valid) throw new Error('has a signature that does not match its public key');
  const facts: CsrFacts = {};
  for (const ext of csr.extensions) {
    if (ext instanceof x509.KeyUsagesExtension) facts.keyUsage = ext.usages;
    else if (ext instanceof x509.ExtendedKeyUsageExtension) facts.extKeyUsages = Array.from(ext.usages, String);
    else if (ext instanceof x509.BasicConstraintsExtension) facts.isCA = ext.ca;
  }
  return facts;
}
