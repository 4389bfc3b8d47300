// TSIG (RFC 8945): HMAC signing of a DNS request and verification of the server's signed answer.
// Only what an RFC 2136 client needs: one request, one response, no multi-message TCP streams.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CLASS_ANY, TYPE_TSIG, encodeName, lastRecord, normalizeName, readHeader, readName } from './wire.ts';

export type TsigAlgorithm = 'hmac-md5' | 'hmac-sha1' | 'hmac-sha224' | 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512';

const HASHES: Record<TsigAlgorithm, string> = {
  // Weak, but cert-manager's default (HMACMD5) and still what many existing BIND keys use.
  'hmac-md5': 'md5',
  'hmac-sha1': 'sha1',
  'hmac-sha224': 'sha224',
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
};

/** TSIG error codes (RFC 8945 §5.3) with what they mean for the operator. */
const TSIG_ERRORS: Record<number, string> = {
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
  22: 'BADTRUNC',
};

/** The algorithm's name on the wire (RFC 8945 §6): only MD5 has the long historical form. */
export function algorithmWireName(algorithm: TsigAlgorithm): string {
  return algorithm === 'hmac-md5' ? 'hmac-md5.sig-alg.reg.int' : algorithm;
}

/** Accepts "hmac-sha256", "HMACSHA256" (cert-manager's spelling) and "hmac-sha256." alike. */
export function parseTsigAlgorithm(input: string): TsigAlgorithm {
  const compact = input
    .trim()
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/\.sig-alg\.reg\.int$/, '')
    .replace(/[-_]/g, '');
  const found = (Object.keys(HASHES) as TsigAlgorithm[]).find((a) => a.replace(/-/g, '') === compact);
  if (!found) throw new Error(`unsupported TSIG algorithm ${JSON.stringify(input)}; use one of ${Object.keys(HASHES).join(', ')}`);
  return found;
}

export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  /** Raw key bytes (decoded from the base64 secret). */
  secret: Buffer;
}

export function decodeTsigSecret(base64: string, keyName: string): Buffer {
  const clean = base64.replace(/\s+/g, '');
  if (clean === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(clean) || clean.length % 4 === 1) {
    throw new Error(`TSIG secret for key "${keyName}" is not valid base64`);
  }
  return Buffer.from(clean, 'base64');
}

interface SignedRequest {
  message: Buffer;
  /** The request MAC, needed to verify the response. */
  mac: Buffer;
}

const FUDGE_SECONDS = 300;

function uint48(seconds: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(Math.floor(seconds / 2 ** 32), 0);
  b.writeUInt32BE(seconds % 2 ** 32, 2);
  return b;
}

function readUint48(buf: Buffer, offset: number): number {
  return buf.readUInt16BE(offset) * 2 ** 32 + buf.readUInt32BE(offset + 2);
}

/** The TSIG variables block (RFC 8945 §4.3.3) that follows the message in the MAC input. */
function tsigVariables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  const classTtl = Buffer.alloc(6);
  classTtl.writeUInt16BE(CLASS_ANY, 0);
  const tail = Buffer.alloc(6);
  tail.writeUInt16BE(fudge, 0);
  tail.writeUInt16BE(error, 2);
  tail.writeUInt16BE(other.length, 4);
  return Buffer.concat([encodeName(key.name, true), classTtl, encodeName(algorithmWireName(key.algorithm), true), uint48(timeSigned), tail, other]);
}

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(HASHES[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Appends a TSIG record to `message` (whose ARCOUNT does not include it yet). */
export function signRequest(message: Buffer, key: TsigKey, now = Date.now()): SignedRequest {
  const timeSigned = Math.floor(now / 1000);
  const other = Buffer.alloc(0);
  const mac = hmac(key, [message, tsigVariables(key, timeSigned, FUDGE_SECONDS, 0, other)]);
  const id = message.readUInt16BE(0);

  const rdataTail = Buffer.alloc(6);
  const macHeader = Buffer.alloc(2 + 2);
  macHeader.writeUInt16BE(FUDGE_SECONDS, 0);
  macHeader.writeUInt16BE(mac.length, 2);
  rdataTail.writeUInt16BE(id, 0); // original ID
  rdataTail.writeUInt16BE(0, 2); // error
  rdataTail.writeUInt16BE(0, 4); // other len
  const rdata = Buffer.concat([encodeName(algorithmWireName(key.algorithm), true), uint48(timeSigned), macHeader, mac, rdataTail]);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPE_TSIG, 0);
  fixed.writeUInt16BE(CLASS_ANY, 2);
  fixed.writeUInt32BE(0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  const record = Buffer.concat([encodeName(key.name, true), fixed, rdata]);

  const signed = Buffer.concat([message, record]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { message: signed, mac };
}

type TsigCheck =
  | { status: 'verified' }
  | { status: 'unsigned' }
  /** The server reported a TSIG error (BADSIG, BADKEY, BADTIME): it did not accept our signature. */
  | { status: 'server-error'; error: number; name: string }
  /** The response carried a TSIG we could not verify (wrong MAC, other key, stale time). */
  | { status: 'invalid'; reason: string };

/** Checks the TSIG on a response to a request signed with `key` whose MAC was `requestMac`. */
export function verifyResponse(response: Buffer, key: TsigKey, requestMac: Buffer, now = Date.now()): TsigCheck {
  const rec = lastRecord(response);
  if (!rec || rec.type !== TYPE_TSIG) return { status: 'unsigned' };
  let p = rec.rdataStart;
  const algorithm = readName(response, p);
  p = skipNameUncompressed(response, p);
  const timeSigned = readUint48(response, p);
  const fudge = response.readUInt16BE(p + 6);
  const macSize = response.readUInt16BE(p + 8);
  const mac = response.subarray(p + 10, p + 10 + macSize);
  p += 10 + macSize;
  const originalId = response.readUInt16BE(p);
  const error = response.readUInt16BE(p + 2);
  const otherLen = response.readUInt16BE(p + 4);
  const other = response.subarray(p + 6, p + 6 + otherLen);

  if (error !== 0) return { status: 'server-error', error, name: TSIG_ERRORS[error] ?? `TSIG error ${error}` };
  if (rec.name !== normalizeName(key.name)) return { status: 'invalid', reason: `response signed with key "${rec.name}", expected "${key.name}"` };
  if (algorithm !== algorithmWireName(key.algorithm)) return { status: 'invalid', reason: `response signed with ${algorithm}, expected ${key.algorithm}` };

  // MAC input: request MAC, the response as it was before TSIG was added, TSIG variables.
  const unsigned = Buffer.from(response.subarray(0, rec.start));
  unsigned.writeUInt16BE(originalId, 0);
  unsigned.writeUInt16BE(readHeader(response).counts[3] - 1, 10);
  const macLength = Buffer.alloc(2);
  macLength.writeUInt16BE(requestMac.length, 0);
  const expected = hmac(key, [macLength, requestMac, unsigned, tsigVariables(key, timeSigned, fudge, error, other)]);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return { status: 'invalid', reason: 'response MAC does not match' };
  if (Math.abs(Math.floor(now / 1000) - timeSigned) > fudge)
    return { status: 'invalid', reason: `response signed at ${timeSigned}, outside the ${fudge}s fudge` };
  return { status: 'verified' };
}

function skipNameUncompressed(msg: Buffer, offset: number): number {
  while (msg[offset] !== 0) {
    if ((msg[offset] & 0xc0) === 0xc0) return offset + 2;
    offset += 1 + msg[offset];
  }
  return offset + 1;
}
