// Bridges node:crypto KeyObjects to WebCrypto CryptoKeys, which @peculiar/x509 signs with.
// (KeyObject.toCryptoKey only exists from Node 22.)
import { webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describePrivateKey } from './keys.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };

type SigningAlgorithm = Algorithm & { hash?: string; namedCurve?: string };

/** The WebCrypto signing algorithm for a key: RSA PKCS#1 v1.5 SHA-256, ECDSA with the curve's hash, or Ed25519. */
function signingAlgorithmFor(key: KeyObject): SigningAlgorithm {
  const d = describePrivateKey(key);
  if (d.algorithm === 'RSA') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (d.algorithm === 'ECDSA') {
    const curve = d.size === 384 ? 'P-384' : d.size === 521 ? 'P-521' : 'P-256';
    const hash = d.size === 384 ? 'SHA-384' : d.size === 521 ? 'SHA-512' : 'SHA-256';
    return { name: 'ECDSA', namedCurve: curve, hash };
  }
  return { name: 'Ed25519' };
}

function importParams(alg: SigningAlgorithm): Algorithm {
  if (alg.name === 'RSASSA-PKCS1-v1_5') return { name: alg.name, hash: alg.hash } as Algorithm;
  if (alg.name === 'ECDSA') return { name: alg.name, namedCurve: alg.namedCurve } as Algorithm;
  return { name: alg.name };
}

export async function toCryptoKeyPair(privateKey: KeyObject): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; algorithm: SigningAlgorithm }> {
  const algorithm = signingAlgorithmFor(privateKey);
  const params = importParams(algorithm);
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const { createPublicKey } = await import('node:crypto');
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const [priv, pub] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', pkcs8, params, false, ['sign']),
    webcrypto.subtle.importKey('spki', spki, params, true, ['verify']),
  ]);
  return { privateKey: priv as unknown as CryptoKey, publicKey: pub as unknown as CryptoKey, algorithm };
}
