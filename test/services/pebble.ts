// A real pebble ACME server on loopback. Its HTTPS API is served with a throwaway CA minted per
// start (caBundlePem); the CA it issues from is pebble's own, new on every start (issuingRootsPem).
import { request } from 'node:https';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  stop(): Promise<void>;
}

/** GET over HTTPS trusting only `ca`; resolves with status and body. */
export function httpsGet(url: string, ca: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function startPebble(opts: PebbleOptions): Promise<PebbleServer> {
  if (!/^[\d.]+:\d+$/.test(opts.dnsServer)) throw new Error(`startPebble: dnsServer must be "IPv4:port", got ${JSON.stringify(opts.dnsServer)}`);
  const macKeys = opts.externalAccountBinding?.macKeys;
  if (macKeys) {
    if (!Object.keys(macKeys).length) throw new Error('startPebble: externalAccountBinding.macKeys needs at least one key ID');
    // pebble exits at start on a key it cannot decode; say which one here instead.
    for (const [kid, key] of Object.entries(macKeys)) if (!/^[A-Za-z0-9_-]+$/.test(key)) throw new Error(`startPebble: MAC key for ${JSON.stringify(kid)} must be base64url without padding`);
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
  // Debian's pebble 2.4 has no certificate `profiles` (added upstream in 2.7), so none are configured.
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
    },
  };
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const env = { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0', ...opts.env };
  const proc = new ManagedProcess('pebble', 'pebble', ['-config', configPath, '-dnsserver', opts.dnsServer], dir, env);
  const directoryUrl = `https://127.0.0.1:${listenPort}/dir`;
  const managementUrl = `https://127.0.0.1:${managementPort}`;
  try {
    await proc.waitUntil('the ACME directory to answer', async () => ((await httpsGet(directoryUrl, tls.caCertPem, 1000)).status === 200 ? true : undefined));
    await proc.waitUntil('the management API to answer', async () => ((await httpsGet(`${managementUrl}/roots/0`, tls.caCertPem, 1000)).status === 200 ? true : undefined));
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
    stop: () => proc.stop(),
  };
}
