// A real BIND (named) on loopback serving one test zone that accepts TSIG-signed RFC 2136 updates.
// `* A 127.0.0.1` makes every test name resolve to loopback, so pebble, resolving through this
// server, dials our HTTP-01 responders on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, makeLogDir } from './process.ts';
import { freePort } from './ports.ts';

export interface TsigKey {
  name: string;
  algorithm: 'hmac-md5' | 'hmac-sha1' | 'hmac-sha256' | 'hmac-sha512';
  /** base64 */
  secret: string;
}

export interface BindServer {
  host: '127.0.0.1';
  port: number;
  /** "127.0.0.1:<port>", the form pebble's -dnsserver and Rfc2136Client take. */
  address: string;
  zone: string;
  /** Every zone served: `zone` first, then BindOptions.extraZones. */
  zones: string[];
  /** Key granted `zonesub ANY` on the zone. */
  tsig: TsigKey;
  /** A key BIND knows but that no update-policy grants: updates signed with it are REFUSED. */
  deniedTsig: TsigKey;
  logDir: string;
  /** PID of named, for tests that check nothing is left running. */
  pid: number;
  /**
   * Owner names of every TXT record BIND has added through an update so far, in order, read from its log.
   * A record a test could only catch by polling (present for a moment, then cleaned up) stays here.
   */
  txtAdded(): string[];
  stop(): Promise<void>;
}

export interface BindOptions {
  /** Zone to serve, default "example.test". */
  zone?: string;
  /** TSIG key name, default "certgate-test". */
  keyName?: string;
  /** Algorithm of the granted key, default hmac-sha256. */
  tsigAlgorithm?: TsigKey['algorithm'];
  /** Accept unsigned updates from 127.0.0.1 (`allow-update`) instead of the key-based update-policy. */
  allowUnsignedUpdates?: boolean;
  /** More zones served the same way (e.g. a delegation target for `cnameStrategy: Follow`). */
  extraZones?: string[];
  /**
   * Also answer as the recursive resolver pebble would use on the Internet: a CNAME into another
   * zone served here is followed in the answer (an authoritative-only server stops at the CNAME).
   */
  recursion?: boolean;
  /** Extra zone-file lines for `zone` (e.g. "_acme-challenge.app CNAME app.delegated.test."). */
  records?: string[];
}

export async function startBind(opts: BindOptions = {}): Promise<BindServer> {
  const zone = (opts.zone ?? 'example.test').replace(/\.$/, '').toLowerCase();
  const algorithm = opts.tsigAlgorithm ?? 'hmac-sha256';
  const tsig: TsigKey = { name: opts.keyName ?? 'certgate-test', algorithm, secret: randomBytes(algorithm === 'hmac-sha512' ? 64 : 32).toString('base64') };
  const deniedTsig: TsigKey = { name: `${tsig.name}-denied`, algorithm: 'hmac-sha256', secret: randomBytes(32).toString('base64') };
  const port = await freePort({ udp: true });
  const dir = makeLogDir('bind');
  const confPath = join(dir, 'named.conf');
  const zones = [zone, ...(opts.extraZones ?? []).map((z) => z.replace(/\.$/, '').toLowerCase())];
  const zoneBlocks = zones.map((z) => {
    const zonePath = join(dir, `${z}.zone`);
    writeFileSync(
      zonePath,
      [
        '$TTL 60',
        `@ IN SOA ns.${z}. hostmaster.${z}. 1 3600 600 86400 60`,
        `@ IN NS ns.${z}.`,
        '@ IN A 127.0.0.1',
        'ns IN A 127.0.0.1',
        '* IN A 127.0.0.1',
        ...(z === zone ? (opts.records ?? []) : []),
        '',
      ].join('\n'),
    );
    return `zone "${z}" {
  type primary;
  file "${zonePath}";
  ${opts.allowUnsignedUpdates ? 'allow-update { 127.0.0.1; };' : `update-policy { grant ${tsig.name} zonesub ANY; };`}
};`;
  });
  writeFileSync(
    confPath,
    `options {
  directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  pid-file none;
  session-keyfile none;
  managed-keys-directory "${dir}";
  ${opts.recursion ? 'recursion yes;\n  allow-recursion { 127.0.0.1; };' : 'recursion no;'}
  dnssec-validation no;
  notify no;
  allow-query { any; };
};
controls { };
key "${tsig.name}" { algorithm ${tsig.algorithm}; secret "${tsig.secret}"; };
key "${deniedTsig.name}" { algorithm ${deniedTsig.algorithm}; secret "${deniedTsig.secret}"; };
${zoneBlocks.join('\n')}
`,
  );

  const proc = new ManagedProcess('named', 'named', ['-g', '-4', '-n', '1', '-c', confPath], dir);
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  try {
    for (const z of zones) await proc.waitUntil(`zone ${z} to answer SOA on port ${port}`, async () => ((await resolver.resolveSoa(z)) ? true : undefined));
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    zone,
    zones,
    tsig,
    deniedTsig,
    logDir: dir,
    pid: proc.pid!,
    txtAdded: () => [...proc.log.matchAll(/updating zone '[^']+': adding an RR at '([^']+)' TXT/g)].map((m) => m[1]!),
    stop: () => proc.stop(),
  };
}
