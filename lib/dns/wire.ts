// The few DNS wire-format pieces dns-packet does not cover for RFC 2136 and TSIG: uncompressed
// (canonical) names, resource records with any class (NONE = 254 deletes one value), and locating
// the TSIG record at the end of a response without decoding the rest.

export const TYPE_SOA = 6;
export const TYPE_TXT = 16;
export const TYPE_TSIG = 250;
export const CLASS_IN = 1;
export const CLASS_NONE = 254;
export const CLASS_ANY = 255;
export const OPCODE_UPDATE = 5;

/** Lower-case, no trailing dot: the form names are compared in. */
export function normalizeName(name: string): string {
  const n = name.trim().replace(/\.$/, '').toLowerCase();
  if (n === '') throw new Error('DNS name is empty');
  return n;
}

/** Uncompressed wire name. With canonical: true, lower-cased (RFC 4034 §6.2, used in TSIG MACs). */
export function encodeName(name: string, canonical = false): Buffer {
  const trimmed = name.replace(/\.$/, '');
  const labels = trimmed === '' ? [] : trimmed.split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(canonical ? label.toLowerCase() : label, 'utf8');
    if (bytes.length === 0 || bytes.length > 63) throw new Error(`invalid DNS name ${JSON.stringify(name)}: label "${label}" must be 1 to 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  const out = Buffer.concat(parts);
  if (out.length > 255) throw new Error(`invalid DNS name ${JSON.stringify(name)}: longer than 255 bytes`);
  return out;
}

/** TXT RDATA: the value split into character-strings of at most 255 bytes. */
export function encodeTxtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

export function encodeRecord(name: string, type: number, klass: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(klass, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([encodeName(name), fixed, rdata]);
}

interface Header {
  id: number;
  flags: number;
  rcode: number;
  counts: [number, number, number, number];
}

export function readHeader(msg: Buffer): Header {
  if (msg.length < 12) throw new Error(`DNS message too short (${msg.length} bytes)`);
  const flags = msg.readUInt16BE(2);
  return {
    id: msg.readUInt16BE(0),
    flags,
    rcode: flags & 0xf,
    counts: [msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)],
  };
}

/** Offset just past the (possibly compressed) name starting at `offset`. */
function skipName(msg: Buffer, offset: number): number {
  for (let hops = 0; hops < 128; hops++) {
    if (offset >= msg.length) break;
    const len = msg[offset];
    if (len === 0) return offset + 1;
    if ((len & 0xc0) === 0xc0) return offset + 2;
    offset += 1 + len;
  }
  throw new Error('malformed DNS name in message');
}

/** Reads a (possibly compressed) name as lower-case text without trailing dot. */
export function readName(msg: Buffer, offset: number): string {
  const labels: string[] = [];
  for (let hops = 0; hops < 128; hops++) {
    if (offset >= msg.length) break;
    const len = msg[offset];
    if (len === 0) return labels.join('.').toLowerCase();
    if ((len & 0xc0) === 0xc0) {
      offset = ((len & 0x3f) << 8) | msg[offset + 1];
      continue;
    }
    labels.push(msg.toString('utf8', offset + 1, offset + 1 + len));
    offset += 1 + len;
  }
  throw new Error('malformed DNS name in message');
}

interface LocatedRecord {
  start: number;
  name: string;
  type: number;
  klass: number;
  ttl: number;
  rdataStart: number;
  rdataEnd: number;
}

/** The last record of the message (where TSIG must be), or undefined when there are none. */
export function lastRecord(msg: Buffer): LocatedRecord | undefined {
  const { counts } = readHeader(msg);
  let offset = 12;
  for (let i = 0; i < counts[0]; i++) offset = skipName(msg, offset) + 4;
  const records = counts[1] + counts[2] + counts[3];
  let last: LocatedRecord | undefined;
  for (let i = 0; i < records; i++) {
    const start = offset;
    const afterName = skipName(msg, offset);
    if (afterName + 10 > msg.length) throw new Error('truncated DNS record in message');
    const rdLength = msg.readUInt16BE(afterName + 8);
    last = {
      start,
      name: readName(msg, start),
      type: msg.readUInt16BE(afterName),
      klass: msg.readUInt16BE(afterName + 2),
      ttl: msg.readUInt32BE(afterName + 4),
      rdataStart: afterName + 10,
      rdataEnd: afterName + 10 + rdLength,
    };
    offset = last.rdataEnd;
    if (offset > msg.length) throw new Error('truncated DNS record in message');
  }
  return last;
}
