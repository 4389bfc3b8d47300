// A key and a self-signed certificate for DNS names, minted at a given time: what a table test puts
// in a Certificate's Secret to say "issued at T, valid for D".
import { createCsr, encodePrivateKeyPem, generatePrivateKey, signCertificate } from '../../lib/pki/index.ts';

export interface IssuedPair {
  cert: string;
  key: string;
}

export async function issuedPair(dnsNames: string[], notBeforeMs: number, durationMs: number): Promise<IssuedPair> {
  const key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
  const csr = await createCsr(key, { dnsNames });
  const cert = await signCertificate({ csr, durationMs, signerKey: key, now: new Date(notBeforeMs) });
  return { cert, key: encodePrivateKeyPem(key, 'PKCS8') };
}
