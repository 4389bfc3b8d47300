// Private keys with node:crypto: generation (RSA, ECDSA, Ed25519), PEM encoding (PKCS1/SEC1 or
// PKCS8), parsing, and comparisons. Keys stay KeyObjects in memory; PEM only at the edges.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { RecentValues } from '../recent-values.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export type KeyAlgorithm = 'RSA' | 'ECDSA' | 'Ed25519';
type KeyEncoding = 'PKCS1' | 'PKCS8';

export interface KeySpec {
  algorithm: KeyAlgorithm;
  /** RSA modulus bits (2048, 3072, 4096, 8192) or ECDSA curve bits (256, 384, 521); ignored for Ed25519. */
  size?: number;
}

const RSA_SIZES = new Set([2048, 3072, 4096, 8192]);
// Maps, not object literals: the size comes from user input, and a plain object answers
// "constructor" or "__proto__" with what it inherits.
const EC_CURVES: ReadonlyMap<unknown, string> = new Map([
  [256, 'prime256v1'],
  [384, 'secp384r1'],
  [521, 'secp521r1'],
]);
const CURVE_BITS: ReadonlyMap<string, number> = new Map([
  ['prime256v1', 256],
  ['secp384r1', 384],
  ['secp521r1', 521],
]);

export class InvalidKeyError extends Error {
  override name = 'InvalidKeyError';
}

/** Generates a private key off the event loop (RSA 4096 takes about a second). Throws InvalidKeyError for an unsupported spec. */
export async function generatePrivateKey(spec: KeySpec): Promise<KeyObject> {
  switch (spec.algorithm) {
    case 'RSA': {
      const size = spec.size ?? 2048;
      if (!RSA_SIZES.has(size)) throw new InvalidKeyError(`unsupported RSA key size ${size}: use 2048, 3072, 4096 or 8192`);
      return (await generateKeyPairAsync('rsa', { modulusLength: size, publicExponent: 0x10001 })).privateKey;
    }
    case 'ECDSA': {
      const size = spec.size ?? 256;
      const namedCurve = EC_CURVES.get(size);
      if (!namedCurve) throw new InvalidKeyError(`unsupported ECDSA key size ${size}: use 256, 384 or 521`);
      return (await generateKeyPairAsync('ec', { namedCurve })).privateKey;
    }
    case 'Ed25519':
      return (await generateKeyPairAsync('ed25519')).privateKey;
    default:
      throw new InvalidKeyError(`unsupported private key algorithm "${(spec as KeySpec).algorithm}": use RSA, ECDSA or Ed25519`);
  }
}

/**
 * PEM of a private key. PKCS1 means the algorithm's traditional form ("RSA PRIVATE KEY",
 * "EC PRIVATE KEY" as cert-manager writes); Ed25519 has none and is always PKCS8.
 */
export function encodePrivateKeyPem(key: KeyObject, encoding: KeyEncoding = 'PKCS1'): string {
  const pem = exportPem(key, encoding);
  // The request manager and the Secret writer parse this PEM next: they find the key here.
  recentKeys.get(pemDigest(pem), () => key);
  return pem;
}

function exportPem(key: KeyObject, encoding: KeyEncoding): string {
  const type = key.asymmetricKeyType;
  if (encoding === 'PKCS1' && type === 'rsa') return key.export({ format: 'pem', type: 'pkcs1' }) as string;
  if (encoding === 'PKCS1' && type === 'ec') return key.export({ format: 'pem', type: 'sec1' }) as string;
  return key.export({ format: 'pem', type: 'pkcs8' }) as string;
}

// Node's PEM decoding costs about a millisecond a key (OpenSSL 3 tries its decoders in turn), and
// the key manager, request manager, trigger, readiness and Secret writer each parse the same key:
// recent keys by the SHA-256 of their PEM (so no PEM text is held here; a KeyObject is immutable).
// 256: many times the keys of the issuances in flight, each holding native memory.
const recentKeys = new RecentValues<string, KeyObject>(256);

/** Parses a PEM private key (PKCS1, SEC1 or PKCS8). Throws InvalidKeyError with a readable message. */
export function parsePrivateKeyPem(pem: string | Buffer): KeyObject {
  return recentKeys.get(pemDigest(pem), () => decodePrivateKeyPem(pem));
}

const pemDigest = (pem: string | Buffer) => createHash('sha256').update(pem).digest('base64');

function decodePrivateKeyPem(pem: string | Buffer): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new InvalidKeyError(`not a PEM private key: ${(e as Error).message}`);
  }
  describePrivateKey(key); // rejects unsupported types
  return key;
}

/** The PEM encoding a stored key uses. */
export function privateKeyPemEncoding(pem: string): KeyEncoding {
  return /-----BEGIN (RSA|EC) PRIVATE KEY-----/.test(pem) ? 'PKCS1' : 'PKCS8';
}

/** Algorithm and size of a key (private or public). */
export function describePrivateKey(key: KeyObject): Required<Pick<KeySpec, 'algorithm'>> & { size?: number } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { algorithm: 'RSA', size: key.asymmetricKeyDetails?.modulusLength };
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
      const size = CURVE_BITS.get(curve);
      if (!size) throw new InvalidKeyError(`unsupported elliptic curve "${curve}"`);
      return { algorithm: 'ECDSA', size };
    }
    case 'ed25519':
      return { algorithm: 'Ed25519' };
    default:
      throw new InvalidKeyError(`unsupported key type "${key.asymmetricKeyType}": use RSA, ECDSA or Ed25519`);
  }
}

/** Whether key has the requested algorithm and size (size ignored for Ed25519). */
export function keyMatchesSpec(key: KeyObject, spec: KeySpec): boolean {
  const d = describePrivateKey(key);
  if (d.algorithm !== spec.algorithm) return false;
  if (d.algorithm === 'Ed25519') return true;
  const wanted = spec.size ?? (spec.algorithm === 'RSA' ? 2048 : 256);
  return d.size === wanted;
}

/** DER SubjectPublicKeyInfo of a private or public key: equal bytes mean the same key pair. */
function publicKeyDer(key: KeyObject): Buffer {
  let der = publicKeyDers.get(key);
  if (!der) {
    const pub = key.type === 'private' ? createPublicKey(key) : key;
    publicKeyDers.set(key, (der = pub.export({ format: 'der', type: 'spki' }) as Buffer));
  }
  return Buffer.from(der);
}

// Per key object: parsed keys are shared (above), and the request manager compares them on each pass.
const publicKeyDers = new WeakMap<KeyObject, Buffer>();

export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return publicKeyDer(a).equals(publicKeyDer(b));
}
