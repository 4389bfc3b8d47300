// cert-manager's key usage names (spec.usages) mapped to X.509 KeyUsage flags and extended key usage OIDs.
import { DEFAULT_USAGES } from '../../api/defaults.ts';
import { x509 } from './webcrypto.ts';

const toMap = <V>(o: Record<string, V>): ReadonlyMap<string, V> => new Map(Object.entries(o));

// Maps, not object literals: usage names come from user input, and "constructor" is "in" every object.
const KEY_USAGE_FLAGS: ReadonlyMap<string, number> = toMap({
  signing: x509.KeyUsageFlags.digitalSignature,
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
  'encipher only': x509.KeyUsageFlags.encipherOnly,
  'decipher only': x509.KeyUsageFlags.decipherOnly,
});

const EXT_KEY_USAGE_OIDS: ReadonlyMap<string, string> = toMap({
  any: '2.5.29.37.0',
  'server auth': '1.3.6.1.5.5.7.3.1',
  'client auth': '1.3.6.1.5.5.7.3.2',
  'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4',
  's/mime': '1.3.6.1.5.5.7.3.4',
  'ipsec end system': '1.3.6.1.5.5.7.3.5',
  'ipsec tunnel': '1.3.6.1.5.5.7.3.6',
  'ipsec user': '1.3.6.1.5.5.7.3.7',
  timestamping: '1.3.6.1.5.5.7.3.8',
  'ocsp signing': '1.3.6.1.5.5.7.3.9',
  'microsoft sgc': '1.3.6.1.4.1.311.10.3.3',
  'netscape sgc': '2.16.840.1.113730.4.1',
});

/** Whether `name` is one of cert-manager's key usage names. */
export function isKnownUsage(name: string): boolean {
  return KEY_USAGE_FLAGS.has(name) || EXT_KEY_USAGE_OIDS.has(name);
}

interface UsageBits {
  /** X.509 KeyUsage flags (@peculiar/x509 KeyUsageFlags numbering). */
  keyUsage: number;
  /** Extended key usage OIDs in the order the names were given. */
  extKeyUsages: string[];
  unknown: string[];
}

/** What a usage list asks for, as cert-manager computes it: the defaults when empty, "cert sign" added for a CA. */
export function usageBits(usages: readonly string[], isCA: boolean): UsageBits {
  const out: UsageBits = { keyUsage: isCA ? x509.KeyUsageFlags.keyCertSign : 0, extKeyUsages: [], unknown: [] };
  for (const u of usages.length > 0 ? usages : DEFAULT_USAGES) {
    const flag = KEY_USAGE_FLAGS.get(u);
    const oid = EXT_KEY_USAGE_OIDS.get(u);
    if (flag !== undefined) out.keyUsage |= flag;
    else if (oid !== undefined) out.extKeyUsages.push(oid);
    else out.unknown.push(u);
  }
  return out;
}

/** Readable names for KeyUsage flags and EKU OIDs, for messages ("digital signature", "server auth"). */
export function usageNames(bits: Pick<UsageBits, 'keyUsage' | 'extKeyUsages'>): { keyUsages: string[]; extKeyUsages: string[] } {
  const keyUsages = [...KEY_USAGE_FLAGS].filter(([name, flag]) => name !== 'signing' && (bits.keyUsage & flag) !== 0).map(([name]) => name);
  const byOid = new Map([...EXT_KEY_USAGE_OIDS].filter(([name]) => name !== 's/mime').map(([name, oid]) => [oid, name]));
  return { keyUsages, extKeyUsages: bits.extKeyUsages.map((oid) => byOid.get(oid) ?? oid) };
}

/** KeyUsage and ExtendedKeyUsage extensions for the usage names; "cert sign" is added for a CA. Throws on an unknown name. */
export function usageExtensions(usages: readonly string[] = DEFAULT_USAGES, isCA = false): x509.Extension[] {
  let flags = 0;
  const ekus: string[] = [];
  for (const u of usages) {
    const flag = KEY_USAGE_FLAGS.get(u);
    const oid = EXT_KEY_USAGE_OIDS.get(u);
    if (flag !== undefined) flags |= flag;
    else if (oid !== undefined) ekus.push(oid);
    else throw new Error(`unknown key usage "${u}"`);
  }
  if (isCA) flags |= x509.KeyUsageFlags.keyCertSign;
  const out: x509.Extension[] = [];
  if (flags) out.push(new x509.KeyUsagesExtension(flags, true));
  if (ekus.length) out.push(new x509.ExtendedKeyUsageExtension([...new Set(ekus)], false));
  return out;
}
