// The HTTP layer under acme-client. acme-client sends every request through one process-wide axios
// instance (global TLS settings, 5 s sleeps inside the request on 429/5xx); certgate replaces the
// per-client `http.request` with this transport instead, which gives each issuer its own TLS trust
// (caBundle / skipTLSVerify), records cert-manager's ACME metrics, retries 5xx and network errors
// with jittered backoff, and turns problem documents into AcmeProblemError (rateLimited carries
// Retry-After, so the caller can report "pending" instead of blocking a worker).
// It also keeps the Replay-Nonce of every answer: acme-client 5.4 asks newNonce (a HEAD, on which
// pebble and others close the connection) before every signed request, and the transport answers
// that HEAD from the nonces the CA already handed out, so a signed request costs one round trip
// and no new TLS connection.
import http from 'node:http';
import https from 'node:https';
import { AcmeProblemError, parseRetryAfter } from './errors.ts';
import type { AcmeMetrics } from '../metrics/acme.ts';
import { childLogger } from '../log.ts';

let transportLog: ReturnType<typeof childLogger> | undefined;
/** Made on first use, so the level the worker's flags set after this module loaded applies to it. */
const log = () => (transportLog ??= childLogger({ component: 'acme-http' }));

export interface AcmeTransportOptions {
  /** PEM bundle trusted for the ACME server's TLS certificate instead of the system roots. */
  caBundlePem?: string;
  skipTLSVerify?: boolean;
  metrics?: AcmeMetrics;
  /** Retries after a 5xx or (for requests without side effects) a network error. Default 4. */
  retryAttempts?: number;
  /** First retry delay; doubles per attempt, with full jitter. Default 500 ms. */
  retryBaseMs?: number;
  timeoutMs?: number;
  userAgent?: string;
}

/** The response shape acme-client reads (axios-like). */
export interface AcmeHttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  data: any;
}

type AcmeRequestFn = (url: string, method: string, opts?: { data?: unknown; headers?: Record<string, string> }) => Promise<AcmeHttpResponse>;

export function createAcmeTransport(opts: AcmeTransportOptions = {}): { request: AcmeRequestFn; close(): void } {
  const agent = new https.Agent({
    keepAlive: true,
    ca: opts.caBundlePem || undefined,
    rejectUnauthorized: !opts.skipTLSVerify,
  });
  const attempts = opts.retryAttempts ?? 4;
  const baseMs = opts.retryBaseMs ?? 500;
  const nonces = new NoncePool();

  const request: AcmeRequestFn = async (url, method, reqOpts = {}) => {
    // acme-client only sends HEAD for a fresh nonce (newNonce).
    if (method.toUpperCase() === 'HEAD') {
      const nonce = nonces.take();
      if (nonce) {
        log().debug({ method: 'HEAD', path: new URL(url).pathname }, 'ACME nonce from an earlier answer');
        return { status: 200, headers: { 'replay-nonce': nonce }, data: '' };
      }
    }
    const res = await requestWithRetries(url, method, reqOpts);
    // A badNonce answer's nonce is what acme-client retries with; any other is ours to keep.
    const nonce = res.headers['replay-nonce'];
    if (nonce && method.toUpperCase() !== 'HEAD' && !(res.data && typeof res.data === 'object' && String(res.data.type ?? '').endsWith(':badNonce')))
      nonces.put(nonce);
    return res;
  };

  const requestWithRetries: AcmeRequestFn = async (url, method, reqOpts = {}) => {
    const body = reqOpts.data === undefined ? undefined : JSON.stringify(reqOpts.data);
    // A signed POST with an empty payload is POST-as-GET: safe to resend after a network error.
    const idempotent = method.toLowerCase() !== 'post' || (reqOpts.data as { payload?: string } | undefined)?.payload === '';
    for (let attempt = 0; ; attempt++) {
      let res: AcmeHttpResponse;
      try {
        res = await send(url, method.toUpperCase(), body, agent, opts);
      } catch (err) {
        if (!idempotent || attempt >= attempts) throw err;
        await sleep(jitter(baseMs, attempt));
        continue;
      }
      if (res.status >= 500 && attempt < attempts) {
        await sleep(jitter(baseMs, attempt));
        continue;
      }
      const problem = res.data && typeof res.data === 'object' && typeof res.data.type === 'string' ? res.data : undefined;
      // badNonce goes back to acme-client, which retries the signed request with the fresh nonce.
      if (problem && res.status >= 400 && !problem.type.endsWith(':badNonce')) {
        throw new AcmeProblemError(problem.type, String(problem.detail ?? ''), res.status, parseRetryAfter(res.headers['retry-after']));
      }
      if (res.status === 429)
        throw new AcmeProblemError('urn:ietf:params:acme:error:rateLimited', 'too many requests', 429, parseRetryAfter(res.headers['retry-after']));
      if (res.status >= 500)
        throw new AcmeProblemError(
          'urn:ietf:params:acme:error:serverInternal',
          `HTTP ${res.status} from ${method.toUpperCase()} ${new URL(url).pathname}`,
          res.status,
        );
      return res;
    }
  };
  return { request, close: () => agent.destroy() };

  function send(url: string, method: string, body: string | undefined, agent: https.Agent, o: AcmeTransportOptions): Promise<AcmeHttpResponse> {
    const u = new URL(url);
    const started = process.hrtime.bigint();
    const observe = (status: number) => {
      const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      o.metrics?.observeRequest({ url, method, status, durationSeconds });
      // Path only: an ACME URL carries ids, never secrets (bodies and JWS are not logged).
      log().debug({ method, host: u.host, path: u.pathname, status, ms: Math.round(durationSeconds * 1000) }, 'ACME request');
    };
    const headers: Record<string, string> = {
      'User-Agent': o.userAgent ?? 'certgate (acme-client)',
      Accept: 'application/json, application/pem-certificate-chain',
    };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/jose+json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const transport = u.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = transport.request(u, { method, headers, agent: u.protocol === 'https:' ? agent : undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          observe(status);
          const text = Buffer.concat(chunks).toString('utf8');
          const type = String(res.headers['content-type'] ?? '');
          let data: unknown = text;
          if (/json/.test(type) && text) {
            try {
              data = JSON.parse(text);
            } catch {
              data = text;
            }
          }
          const flat: Record<string, string | undefined> = {};
          for (const [k, v] of Object.entries(res.headers)) flat[k] = Array.isArray(v) ? v.join(', ') : v;
          resolve({ status, headers: flat, data });
        });
      });
      req.setTimeout(o.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${u.host}${u.pathname}: timed out`)));
      req.on('error', (err) => {
        observe(0);
        reject(err);
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}

/**
 * Unused nonces, newest first, each for a minute at most (a CA forgets old ones; a stale one costs a
 * badNonce answer, which carries a fresh nonce that acme-client retries with).
 */
class NoncePool {
  private readonly pool: Array<{ nonce: string; at: number }> = [];
  constructor(
    private readonly limit = 16,
    private readonly maxAgeMs = 60_000,
  ) {}

  put(nonce: string): void {
    this.pool.push({ nonce, at: Date.now() });
    if (this.pool.length > this.limit) this.pool.shift();
  }

  take(): string | undefined {
    for (let e = this.pool.pop(); e; e = this.pool.pop()) if (Date.now() - e.at < this.maxAgeMs) return e.nonce;
    return undefined;
  }
}

/** Full jitter: uniform in [0, base * 2^attempt], at least 1 ms. */
function jitter(baseMs: number, attempt: number): number {
  return Math.max(1, Math.floor(Math.random() * baseMs * 2 ** attempt));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
