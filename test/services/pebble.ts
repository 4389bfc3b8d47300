// A real pebble ACME server on loopback. Its HTTPS API is served with a throwaway CA minted per
// start (caBundlePem); the CA it issues from is pebble's own, new on every start (issuingRootsPem).
import { request } from 'node:https';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ManagedProcess, makeLogDir } from './process.ts';
import { freePort } from './ports.ts';
import { mintServerTls } from './pki.ts';

export interface PebbleOptions {
  /** DNS server pebble resolves every name through, "127.0.0.1:PORT" (BIND or challtestsrv). */
  dnsServer: string;
  /** Port pebble dials on 127.0.0.1 for HTTP-01 (default: a free port chosen now). */
  httpPort?: number;
  /** Port pebble dials for TLS-ALPN-01 (default: a free port chosen now). */
  tlsPort?: number;
  /**
   * Extra environment, e.g. { PEBBLE_WFE_NONCEREJECT: '50' } to test badNonce retries.
   * Defaults: PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0, PEBBLE_AUTHZREUSE=0.
   */
  env?: Record<string, string>;
  /**
   * Require external account binding on newAccount, with these MAC keys (key ID -> HMAC key,
   * base64url without padding, as pebble decodes them). Default: no EAB, none required.
   */
  externalAccountBinding?: { macKeys: Record<string, string> };
  /**
   * '2.4' (default): Debian bookworm's /usr/bin/pebble, no ARI and no profiles. '2.10': Debian
   * sid's, unpacked by scripts/ensure-tools.sh into .tools/pebble-2.10, with ARI (renewalInfo,
   * `replaces`, the management API's /set-renewal-info/) and the profiles in PEBBLE_PROFILES.
   */
  version?: PebbleVersion;
}

export type PebbleVersion = '2.4' | '2.10';

/** The profiles a 2.10 pebble offers: those of its example config (validity in seconds). */
const PEBBLE_PROFILES = Object.freeze({
  default: { description: 'The profile you know and love', validityPeriod: 90 * 86_400 },
  shortlived: { description: 'A short-lived cert profile, without actual enforcement', validityPeriod: 6 * 86_400 },
});

/** Where the pebble binary of `version` lives; throws a clear error when it was not installed. */
function pebbleBinary(version: PebbleVersion): string {
  if (version === '2.4') return 'pebble';
  const path = resolve(import.meta.dirname, '../../.tools/pebble-2.10/usr/bin/pebble');
  if (!existsSync(path)) throw new Error(`pebble 2.10 is not installed at ${path}: run bash scripts/ensure-tools.sh`);
  return path;
}

/** A fresh random EAB MAC key (32 bytes) in the form pebble and certgate's keySecretRef expect. */
export function newEabMacKey(): string {
  return randomBytes(32).toString('base64url');
}

export interface PebbleServer {
  directoryUrl: string;
  /** PEM CA that signed pebble's HTTPS listener: trust this to talk to the ACME API. */
  caBundlePem: string;
  /** The same CA as a file, e.g. for NODE_EXTRA_CA_CERTS of a spawned worker. */
  caBundlePath: string;
  httpPort: number;
  tlsPort: number;
  managementUrl: string;
  logDir: string;
  /** PID of pebble, for tests that check nothing is left running. */
  pid: number;
  /** Pebble's issuing root (management API /roots/0): trust this to verify issued certificates. */
  issuingRootsPem(): Promise<string>;
  issuingIntermediatesPem(): Promise<string>;
  /** Orders pebble has created so far (counted from its "Added order" log lines). */
  newOrderCount(): number;
  /** Which pebble runs. */
  version: PebbleVersion;
  /** pebble's log so far (e.g. its "ARI: order ... is a replacement of ..." lines). */
  log(): string;
  /**
   * 2.10 only: makes pebble answer `ariResponse` (any JSON, e.g. a suggestedWindow in the past and
   * an explanationURL) to renewalInfo requests for the certificate `certPem`: a CA moving the window.
   */
  setRenewalInfo(certPem: string, ariResponse: unknown): Promise<void>;
  stop(): Promise<void>;
}

/** GET over HTTPS trusting only `ca`; resolves with status and body. */
export function httpsGet(url: string, ca: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return httpsRequest(url, ca, 'GET', undefined, timeoutMs);
}

function httpsPost(url: string, ca: string, body: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return httpsRequest(url, ca, 'POST', body, timeoutMs);
}

function httpsRequest(url: string, ca: string, method: string, body: string | undefined, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // pebble 2.10 answers 400 to a request without a User-Agent.
    const req = request(url, { ca, timeout: timeoutMs, method, headers: { 'User-Agent': 'certgate-tests' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function startPebble(opts: PebbleOptions): Promise<PebbleServer> {
  if (!/^[\d.]+:\d+$/.test(opts.dnsServer)) throw new Error(`startPebble: dnsServer must be "IPv4:port", got ${JSON.stringify(opts.dnsServer)}`);
  const macKeys = opts.externalAccountBinding?.macKeys;
  if (macKeys) {
    if (!Object.keys(macKeys).length) throw new Error('startPebble: externalAccountBinding.macKeys needs at least one key ID');
    // pebble exits at start on a key it cannot decode; say which one here instead.
    for (const [kid, key] of Object.entries(macKeys))
      if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new Error(`startPebble: MAC key for ${JSON.stringify(kid)} must be base64url without padding`);
  }
  const [listenPort, managementPort] = [await freePort(), await freePort()];
  const httpPort = opts.httpPort ?? (await freePort());
  const tlsPort = opts.tlsPort ?? (await freePort());
  const dir = makeLogDir('pebble');
  const tls = mintServerTls(['localhost', '127.0.0.1']);
  const certPath = join(dir, 'pebble-https.crt');
  const keyPath = join(dir, 'pebble-https.key');
  const configPath = join(dir, 'pebble-config.json');
  writeFileSync(certPath, tls.certPem);
  writeFileSync(keyPath, tls.keyPem, { mode: 0o600 });
  const caBundlePath = join(dir, 'pebble-https-ca.crt');
  writeFileSync(caBundlePath, tls.caCertPem);
  // Debian's pebble 2.4 has no certificate `profiles` (added upstream in 2.7); 2.10 gets the example config's.
  const version = opts.version ?? '2.4';
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${listenPort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: certPath,
      privateKey: keyPath,
      httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: !!macKeys,
      ...(macKeys ? { externalAccountMACKeys: macKeys } : {}),
      ...(version === '2.10' ? { profiles: PEBBLE_PROFILES } : {}),
    },
  };
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const env = { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0', ...opts.env };
  const proc = new ManagedProcess('pebble', pebbleBinary(version), ['-config', configPath, '-dnsserver', opts.dnsServer], dir, env);
  const directoryUrl = `https://127.0.0.1:${listenPort}/dir`;
  const managementUrl = `https://127.0.0.1:${managementPort}`;
  try {
    await proc.waitUntil('the ACME directory to answer', async () => ((await httpsGet(directoryUrl, tls.caCertPem, 1000)).status === 200 ? true : undefined));
    await proc.waitUntil('the management API to answer', async () =>
      (await httpsGet(`${managementUrl}/roots/0`, tls.caCertPem, 1000)).status === 200 ? true : undefined,
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }

  const fetchPem = async (path: string) => {
    const res = await httpsGet(`${managementUrl}${path}`, tls.caCertPem);
    if (res.status !== 200) throw new Error(`pebble management ${path} answered ${res.status}: ${res.body}`);
    return res.body;
  };
  return {
    directoryUrl,
    caBundlePem: tls.caCertPem,
    caBundlePath,
    httpPort,
    tlsPort,
    managementUrl,
    logDir: dir,
    pid: proc.pid!,
    issuingRootsPem: () => fetchPem('/roots/0'),
    issuingIntermediatesPem: () => fetchPem('/intermediates/0'),
    newOrderCount: () => proc.log.match(/Added order "[^"]*" to the db/g)?.length ?? 0,
    version,
    log: () => proc.log,
    setRenewalInfo: async (certPem, ariResponse) => {
      if (version !== '2.10') throw new Error('setRenewalInfo needs pebble 2.10');
      const res = await httpsPost(
        `${managementUrl}/set-renewal-info/`,
        tls.caCertPem,
        JSON.stringify({ Certificate: certPem, ARIResponse: JSON.stringify(ariResponse) }),
      );
      if (res.status !== 200) throw new Error(`pebble /set-renewal-info/ answered ${res.status}: ${res.body}`);
    },
    stop: () => proc.stop(),
  };
}
