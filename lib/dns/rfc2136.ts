// RFC 2136 dynamic DNS client for ACME DNS-01: adds and removes single TXT values with TSIG-signed
// UPDATE messages over TCP, and reads TXT records back from the same server for self-checks.
// Removing deletes one value (class NONE, RFC 2136 §2.5.4), so an apex and a wildcard challenge
// that share `_acme-challenge.<name>` can be cleaned up independently.
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import { decodeTsigSecret, parseTsigAlgorithm, signRequest, verifyResponse, type TsigKey } from './tsig.ts';
import { DnsTimeoutError, exchangeTcp, parseNameserver, type Nameserver } from './transport.ts';
import { CLASS_IN, CLASS_NONE, OPCODE_UPDATE, TYPE_SOA, TYPE_TXT, encodeName, encodeRecord, encodeTxtRdata, normalizeName, readHeader } from './wire.ts';

interface Rfc2136Options {
  /** "host:port" (port defaults to 53) of the primary server that accepts updates. */
  nameserver: string;
  /** TSIG key name. Leave both this and tsigSecret unset to send unsigned updates (servers that allow by address). */
  tsigKeyName?: string;
  /**
   * hmac-sha256 when omitted; hmac-md5, hmac-sha1, hmac-sha224/384/512 also work, in either spelling
   * ("hmac-sha256" or cert-manager's "HMACSHA256"). Callers mapping a cert-manager Issuer pass its
   * value, whose API default is HMACMD5.
   */
  tsigAlgorithm?: string;
  /** Base64 TSIG secret. */
  tsigSecret?: string;
  /** Per message, default 10 s. */
  timeoutMs?: number;
  /** Zone to update; found by asking the nameserver for the SOA when omitted. */
  zone?: string;
}

const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
};

/** An update or lookup the server turned down. `retryable` is true for server-side hiccups only. */
export class Rfc2136Error extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'Rfc2136Error';
  }
}

export class Rfc2136Client {
  private readonly server: Nameserver;
  private readonly key?: TsigKey;
  private readonly timeoutMs: number;
  private readonly fixedZone?: string;

  constructor(opts: Rfc2136Options) {
    this.server = parseNameserver(opts.nameserver);
    const keyName = opts.tsigKeyName?.trim();
    if (!keyName !== !opts.tsigSecret) throw new Error('RFC 2136: tsigKeyName and tsigSecret must be set together (or both left out for unsigned updates)');
    if (keyName && opts.tsigSecret) {
      this.key = {
        name: normalizeName(keyName),
        algorithm: parseTsigAlgorithm(opts.tsigAlgorithm ?? 'hmac-sha256'),
        secret: decodeTsigSecret(opts.tsigSecret, keyName),
      };
    }
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.fixedZone = opts.zone ? normalizeName(opts.zone) : undefined;
  }

  private get serverName(): string {
    return `${this.server.host}:${this.server.port}`;
  }

  /** Adds one TXT value at `fqdn`. Adding a value that is already there is a no-op. */
  async addTxt(fqdn: string, value: string, ttl = 60): Promise<void> {
    const name = normalizeName(fqdn);
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2 ** 31 - 1) throw new Error(`RFC 2136: invalid TTL ${ttl}`);
    await this.update(name, encodeRecord(name, TYPE_TXT, CLASS_IN, ttl, encodeTxtRdata(value)));
  }

  /** Deletes exactly this TXT value at `fqdn`, leaving any others. Removing a missing value is a no-op. */
  async removeTxt(fqdn: string, value: string): Promise<void> {
    const name = normalizeName(fqdn);
    await this.update(name, encodeRecord(name, TYPE_TXT, CLASS_NONE, 0, encodeTxtRdata(value)));
  }

  /** TXT values at `fqdn` as the nameserver answers them now (following CNAMEs within its answer). */
  async queryTxt(fqdn: string): Promise<string[]> {
    const name = normalizeName(fqdn);
    const res = await this.query(name, 'TXT');
    if (res.rcode === 'NXDOMAIN') return [];
    if (res.rcode !== 'NOERROR')
      throw new Rfc2136Error(`DNS server ${this.serverName} answered ${res.rcode} for TXT ${name}`, res.rcode, res.rcode === 'SERVFAIL');
    const chain = new Set([name]);
    for (const a of res.answers ?? []) if (a.type === 'CNAME' && chain.has(normalizeName(a.name))) chain.add(normalizeName(a.data));
    return (res.answers ?? [])
      .filter((a): a is dnsPacket.TxtAnswer => a.type === 'TXT' && chain.has(normalizeName(a.name)))
      .map((a) => (Array.isArray(a.data) ? a.data : [a.data]).map((part) => part.toString()).join(''));
  }

  /**
   * Asks the server whether it accepts this client's TSIG key, changing nothing: a signed SOA query
   * (servers check the signature of every message before answering). Throws the BADSIG/BADKEY
   * Rfc2136Error an update would get; resolves for any other answer, and without a key.
   */
  async checkKey(): Promise<void> {
    const key = this.key;
    if (!key) return;
    const question = dnsPacket.encode({
      type: 'query',
      id: randomInt(0, 65536),
      flags: 0,
      questions: [{ type: 'SOA', name: this.fixedZone ?? '.', class: 'IN' }],
    });
    const signed = signRequest(question, key);
    const check = verifyResponse(await this.exchange(signed.message), key, signed.mac);
    if (check.status === 'server-error' && check.name !== 'BADTIME') throw this.tsigError(check.name);
  }

  /** The zone `fqdn` belongs to on this server: the owner of the SOA found walking up from `fqdn`. */
  async findZone(fqdn: string): Promise<string> {
    if (this.fixedZone) return this.fixedZone;
    let name = normalizeName(fqdn);
    for (;;) {
      const res = await this.query(name, 'SOA');
      const soa = [...(res.answers ?? []), ...(res.authorities ?? [])].find((a) => a.type === 'SOA');
      if (soa && (res.rcode === 'NOERROR' || res.rcode === 'NXDOMAIN')) return normalizeName(soa.name);
      const dot = name.indexOf('.');
      if (dot < 0) break;
      name = name.slice(dot + 1);
    }
    throw new Rfc2136Error(
      `DNS server ${this.serverName} is not authoritative for any zone containing ${fqdn}; set the zone explicitly or point nameserver at the primary`,
      'NOZONE',
      false,
    );
  }

  private async query(name: string, type: 'TXT' | 'SOA'): Promise<dnsPacket.DecodedPacket & { rcode: string }> {
    const message = dnsPacket.encode({ type: 'query', id: randomInt(0, 65536), flags: 0, questions: [{ type, name, class: 'IN' }] });
    const response = await this.exchange(message);
    const { rcode } = readHeader(response);
    return { ...dnsPacket.decode(response), rcode: RCODE_NAMES[rcode] ?? `RCODE_${rcode}` };
  }

  /** Network failures (timeout, refused connection, reset) become retryable Rfc2136Errors. */
  private async exchange(message: Buffer): Promise<Buffer> {
    try {
      return await exchangeTcp(this.server, message, this.timeoutMs);
    } catch (err) {
      const code = err instanceof DnsTimeoutError ? 'TIMEOUT' : 'NETWORK';
      throw new Rfc2136Error((err as Error).message, code, true, { cause: err });
    }
  }

  private async update(name: string, record: Buffer): Promise<void> {
    const zone = await this.findZone(name);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(randomInt(0, 65536), 0);
    header.writeUInt16BE(OPCODE_UPDATE << 11, 2);
    header.writeUInt16BE(1, 4); // ZOCOUNT
    header.writeUInt16BE(0, 6); // PRCOUNT
    header.writeUInt16BE(1, 8); // UPCOUNT
    header.writeUInt16BE(0, 10); // ADCOUNT (TSIG is added by signRequest)
    const zoneSection = Buffer.concat([encodeName(zone), u16(TYPE_SOA), u16(CLASS_IN)]);
    const message = Buffer.concat([header, zoneSection, record]);
    const key = this.key;
    const signed = key ? signRequest(message, key) : undefined;

    const response = await this.exchange(signed?.message ?? message);
    const check = key && signed ? verifyResponse(response, key, signed.mac) : undefined;
    const { rcode } = readHeader(response);
    if (check?.status === 'server-error') throw this.tsigError(check.name, zone);
    if (rcode !== 0) throw this.rcodeError(rcode, name, zone);
    if (key && check && check.status !== 'verified') {
      const why = check.status === 'unsigned' ? 'the response carries no TSIG signature' : check.reason;
      throw new Rfc2136Error(
        `DNS server ${this.serverName} accepted the update of ${name} in zone ${zone}, but its answer could not be authenticated with key "${key.name}": ${why}`,
        'BADRESPONSESIG',
        false,
      );
    }
  }

  /** `zone` is left out for checkKey(), which updates none. */
  private tsigError(code: string, zone?: string): Rfc2136Error {
    const who = `DNS server ${this.serverName}`;
    const key = this.describeKey();
    const updating = zone ? ` updating zone ${zone}` : '';
    const forZone = zone ? ` for zone ${zone}` : '';
    switch (code) {
      case 'BADSIG':
        return new Rfc2136Error(
          `${who} rejected the signature of ${key}${updating} (BADSIG): the secret does not match the server's copy of the key`,
          code,
          false,
        );
      case 'BADKEY':
        return new Rfc2136Error(`${who} does not know ${key} (BADKEY)${forZone}: check the key name and algorithm`, code, false);
      case 'BADTIME':
        return new Rfc2136Error(`${who} rejected ${key}${forZone} because the clocks differ by more than the allowed fudge (BADTIME)`, code, true);
      default:
        return new Rfc2136Error(`${who} rejected ${key}${forZone} (${code})`, code, false);
    }
  }

  private describeKey(): string {
    return this.key ? `TSIG key "${this.key.name}" (${this.key.algorithm})` : 'no TSIG key';
  }

  private rcodeError(rcode: number, name: string, zone: string): Rfc2136Error {
    const code = RCODE_NAMES[rcode] ?? `RCODE_${rcode}`;
    const who = `DNS server ${this.serverName}`;
    switch (code) {
      case 'REFUSED':
        return new Rfc2136Error(
          this.key
            ? `${who} refused the update of ${name} in zone ${zone} signed with ${this.describeKey()} (REFUSED): the zone's update policy does not allow this key to change this name`
            : `${who} refused the unsigned update of ${name} in zone ${zone} (REFUSED): the zone requires a TSIG key or does not allow updates from this address`,
          code,
          false,
        );
      case 'NOTAUTH':
        return new Rfc2136Error(`${who} is not authoritative for zone ${zone} or does not accept ${this.describeKey()} there (NOTAUTH)`, code, false);
      case 'NOTZONE':
        return new Rfc2136Error(`${name} is not inside zone ${zone} on ${who} (NOTZONE)`, code, false);
      case 'NOTIMP':
        return new Rfc2136Error(`${who} does not support dynamic updates (NOTIMP) for zone ${zone}`, code, false);
      case 'SERVFAIL':
        return new Rfc2136Error(`${who} failed to apply the update of ${name} in zone ${zone} (SERVFAIL)`, code, true);
      default:
        return new Rfc2136Error(`${who} answered ${code} to the update of ${name} in zone ${zone} with ${this.describeKey()}`, code, false);
    }
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}
