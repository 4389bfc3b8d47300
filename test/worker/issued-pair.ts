// A key and a self-signed certificate for DNS names, minted at a given time: what a table test puts
// in a Certificate's Secret to say "issued at T, valid for D".
import { createCsr, encodePrivateKeyPem, generatePrivateKey, parsePrivateKeyPem, signCertificate } from '../../lib/pki/index.ts';

export interface IssuedPair {
  cert: string;
  key: string;
}

export async function issuedPair(dnsNames: string[], notBeforeMs: number, durationMs: number): Promise<IssuedPair> {
  const key = encodePrivateKeyPem(await generatePrivateKey({ algorithm: 'ECDSA', size: 256 }), 'PKCS8');
  return { cert: await certificateFor(key, dnsNames, notBeforeMs, durationMs), key };
}

/** A self-signed certificate for `keyPem` (e.g. what an issuer returned for the next private key). */
export async function certificateFor(keyPem: string, dnsNames: string[], notBeforeMs: number, durationMs: number): Promise<string> {
  const key = parsePrivateKeyPem(keyPem);
  return signCertificate({ csr: await createCsr(key, { dnsNames }), durationMs, signerKey: key, now: new Date(notBeforeMs) });
}
