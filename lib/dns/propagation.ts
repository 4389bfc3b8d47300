// DNS-01 propagation checks, as cert-manager does them: find the zone of a name (SOA walk through
// the recursive nameservers), follow `_acme-challenge` CNAMEs, and ask every authoritative
// nameserver of the zone (or, with recursiveOnly, the recursive ones) whether a TXT value is
// visible. Answers are kept per server so a Challenge can say exactly what was seen where.
import { Resolver } from 'node:dns/promises';

interface NameserverAddress {
  readonly host: string;
  readonly port: number;
}

interface PropagationOptions {
  /** Resolvers for SOA/NS/CNAME lookups (and for the TXT check with recursiveOnly). Empty: the system's. */
  recursive: readonly NameserverAddress[];
  /** Check TXT through the recursive nameservers only, never the zone's authoritative ones. */
  recursiveOnly: boolean;
  /** Port the zone's authoritative nameservers listen on (53 on the Internet). */
  authoritativePort: number;
  /** Per query, default 3 s. */
  timeoutMs?: number;
}

/** What one nameserver answered for the TXT name. */
interface ServerAnswer {
  server: string;
  values?: string[];
  error?: string;
}

interface PropagationResult {
  visible: boolean;
  answers: ServerAnswer[];
}

const NO_RECORD = new Set(['ENODATA', 'ENOTFOUND']);
const MAX_CNAME_HOPS = 8;

export const fqdnOf = (name: string): string => `${name.replace(/\.$/, '').toLowerCase()}.`;
const bare = (name: string): string => name.replace(/\.$/, '');
const formatServer = (s: NameserverAddress): string => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);

export class DnsLookup {
  private readonly timeoutMs: number;

  constructor(private readonly opts: PropagationOptions) {
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  private resolver(servers: readonly NameserverAddress[]): Resolver {
    const r = new Resolver({ timeout: this.timeoutMs, tries: 2 });
    if (servers.length) r.setServers(servers.map(formatServer));
    return r;
  }

  private get recursiveServers(): string {
    return this.opts.recursive.length ? this.opts.recursive.map(formatServer).join(', ') : 'the system resolvers';
  }

  /** The zone apex (with trailing dot) holding `name`: the closest enclosing name with an SOA. */
  async findZone(name: string): Promise<string> {
    const r = this.resolver(this.opts.recursive);
    const labels = bare(name).toLowerCase().split('.');
    for (let i = 0; i < labels.length; i++) {
      const candidate = labels.slice(i).join('.');
      try {
        await r.resolveSoa(candidate);
        return fqdnOf(candidate);
      } catch (err) {
        if (!NO_RECORD.has((err as NodeJS.ErrnoException).code ?? ''))
          throw new Error(`SOA lookup of ${candidate} through ${this.recursiveServers} failed: ${(err as Error).message}`);
      }
    }
    throw new Error(`no zone found for ${bare(name)}: no SOA record at or above it through ${this.recursiveServers}`);
  }

  /** Where `name` finally points when it is a CNAME (chains followed); `name` itself otherwise. */
  async followCname(name: string): Promise<string> {
    const r = this.resolver(this.opts.recursive);
    let current = fqdnOf(name);
    const seen = new Set([current]);
    for (let hop = 0; hop < MAX_CNAME_HOPS; hop++) {
      let targets: string[];
      try {
        targets = await r.resolveCname(bare(current));
      } catch (err) {
        if (NO_RECORD.has((err as NodeJS.ErrnoException).code ?? '')) return current;
        throw new Error(`CNAME lookup of ${bare(current)} through ${this.recursiveServers} failed: ${(err as Error).message}`);
      }
      if (!targets.length) return current;
      const next = fqdnOf(targets[0]);
      if (seen.has(next)) throw new Error(`CNAME loop at ${bare(next)} while following ${bare(name)}`);
      seen.add(next);
      current = next;
    }
    throw new Error(`more than ${MAX_CNAME_HOPS} CNAMEs while following ${bare(name)}`);
  }

  /** The zone's authoritative nameservers (NS names resolved to IPv4 through the recursive ones). */
  async authoritativeNameservers(zone: string): Promise<NameserverAddress[]> {
    const r = this.resolver(this.opts.recursive);
    let names: string[];
    try {
      names = await r.resolveNs(bare(zone));
    } catch (err) {
      throw new Error(`NS lookup of zone ${bare(zone)} through ${this.recursiveServers} failed: ${(err as Error).message}`);
    }
    const out: NameserverAddress[] = [];
    for (const ns of names.sort()) {
      try {
        for (const ip of await r.resolve4(ns)) out.push({ host: ip, port: this.opts.authoritativePort });
      } catch (err) {
        throw new Error(`address lookup of nameserver ${ns} (zone ${bare(zone)}) failed: ${(err as Error).message}`);
      }
    }
    if (!out.length) throw new Error(`zone ${bare(zone)} has no nameserver with an IPv4 address`);
    return out;
  }

  /** Asks each nameserver that must see the record; visible only when every one answers `value`. */
  async checkTxt(fqdn: string, zone: string, value: string): Promise<PropagationResult> {
    // recursiveOnly without configured servers: the system resolvers, asked as one.
    const servers: Array<NameserverAddress | undefined> = this.opts.recursiveOnly
      ? this.opts.recursive.length
        ? [...this.opts.recursive]
        : [undefined]
      : await this.authoritativeNameservers(zone);
    const answers = await Promise.all(servers.map((s) => this.txtAt(s, fqdn)));
    return { visible: answers.every((a) => a.values?.includes(value)), answers };
  }

  private async txtAt(server: NameserverAddress | undefined, fqdn: string): Promise<ServerAnswer> {
    const name = server ? formatServer(server) : 'the system resolvers';
    try {
      const records = await this.resolver(server ? [server] : []).resolveTxt(bare(fqdn));
      return { server: name, values: records.map((chunks) => chunks.join('')) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NO_RECORD.has(code)) return { server: name, values: [] };
      return { server: name, error: code || (err as Error).message };
    }
  }
}

/**
 * One line for a Challenge's status: what each nameserver answered for `fqdn`. Values are counted,
 * never quoted: the expected one is the challenge key, and another may be a sibling challenge's.
 */
export function describeAnswers(fqdn: string, expected: string, answers: ServerAnswer[]): string {
  const parts = answers.map((a) => {
    if (a.error) return `${a.server} failed (${a.error})`;
    const values = a.values ?? [];
    if (!values.length) return `${a.server} has no TXT record`;
    if (values.includes(expected)) return `${a.server} has the value`;
    return `${a.server} has ${values.length} other TXT value${values.length === 1 ? '' : 's'}, not this challenge's`;
  });
  return `TXT ${bare(fqdn)}: ${parts.join('; ')}`;
}
