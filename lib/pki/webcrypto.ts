// Bridges node:crypto KeyObjects to WebCrypto CryptoKeys, which @peculiar/x509 signs with.
// (KeyObject.toCryptoKey only exists from Node 22.)
import { createHash, createPublicKey, sign as nodeSign, webcrypto, type KeyObject } from 'node:crypto';
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
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const [priv, pub] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', pkcs8, params, false, ['sign']),
    webcrypto.subtle.importKey('spki', spki, params, true, ['verify']),
  ]);
  return { privateKey: priv as unknown as CryptoKey, publicKey: pub as unknown as CryptoKey, algorithm };
}

/**
 * A CryptoKey stand-in that carries a node KeyObject. Importing a key into WebCrypto costs about
 * 2 ms (an export to PKCS#8 and two imports), more than the signature itself, and most keys sign
 * once (a CSR, a self-signed certificate): @peculiar/x509 signs through `nodeCrypto` instead.
 */
interface NodeKey {
  readonly algorithm: SigningAlgorithm;
  readonly type: 'private' | 'public';
  readonly keyObject: KeyObject;
}

const hashName = (alg: SigningAlgorithm): string | null => {
  if (alg.name === 'Ed25519') return null;
  const hash = alg.hash as string | { name: string } | undefined;
  const name = typeof hash === 'string' ? hash : (hash?.name ?? 'SHA-256');
  return name.replace('-', '').toLowerCase(); // SHA-256 -> sha256
};

const bytesOf = (data: ArrayBuffer | ArrayBufferView): Buffer =>
  ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
const toArrayBuffer = (b: Buffer): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** What @peculiar/x509's generators and key identifiers ask of their crypto provider, done with node:crypto on NodeKeys. */
export const nodeCrypto = {
  subtle: {
    async exportKey(format: string, key: NodeKey): Promise<ArrayBuffer> {
      if (format !== 'spki') throw new Error(`nodeCrypto exports spki only, not ${format}`);
      return toArrayBuffer(createPublicKey(key.keyObject).export({ format: 'der', type: 'spki' }));
    },
    async digest(alg: string | { name: string }, data: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer> {
      const name = (typeof alg === 'string' ? alg : alg.name).replace('-', '').toLowerCase();
      return toArrayBuffer(createHash(name).update(bytesOf(data)).digest());
    },
    async sign(alg: SigningAlgorithm, key: NodeKey, data: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer> {
      // WebCrypto's ECDSA signature is r||s (IEEE P1363); @peculiar/x509 turns it into DER itself.
      return toArrayBuffer(nodeSign(hashName(alg), bytesOf(data), { key: key.keyObject, dsaEncoding: 'ieee-p1363' }));
    },
  },
} as unknown as Crypto;

/** The key pair and algorithm for signing with nodeCrypto: no import into WebCrypto. */
export function nodeSigningKeys(privateKey: KeyObject): { privateKey: CryptoKey; publicKey: CryptoKey; algorithm: SigningAlgorithm } {
  const algorithm = signingAlgorithmFor(privateKey);
  const keyAlgorithm = importParams(algorithm) as SigningAlgorithm;
  const wrap = (type: NodeKey['type']): CryptoKey => ({ algorithm: keyAlgorithm, type, keyObject: privateKey }) as NodeKey as unknown as CryptoKey;
  return { privateKey: wrap('private'), publicKey: wrap('public'), algorithm };
}
