// The HTTP-01 responder: GET/HEAD /.well-known/acme-challenge/<token> answers the key
// authorization as text/plain, unknown tokens 404, /healthz (alive) and /readyz (Challenge cache
// synced and current) for probes. Request size is bounded
// (URL length, header bytes, no bodies) because this port faces the internet.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const CHALLENGE_PATH_PREFIX = '/.well-known/acme-challenge/';
const MAX_URL_LENGTH = 512;
export const MAX_HEADER_BYTES = 8 * 1024;
const TOKEN_RE = /^[A-Za-z0-9_-]{1,256}$/;

interface SolverServerOptions {
  host: string;
  port: number;
  lookup(token: string): string | undefined;
  /** true once the Challenge cache has synced and while it is current; otherwise why not. */
  ready(): true | string;
}

export interface SolverServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function listenSolver(opts: SolverServerOptions): Promise<SolverServer> {
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => handle(req, res, opts));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, opts: SolverServerOptions): void {
  const reply = (status: number, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const url = req.url ?? '/';
  if (url.length > MAX_URL_LENGTH) return reply(414, 'URI too long\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  if (req.headers['content-length'] && req.headers['content-length'] !== '0') return reply(413, 'request body not allowed\n');
  const path = url.split('?')[0];
  if (path === '/healthz') return reply(200, 'ok\n');
  if (path === '/readyz') {
    const r = opts.ready();
    return r === true ? reply(200, 'ok\n') : reply(503, `not ready: ${r}\n`);
  }
  if (!path.startsWith(CHALLENGE_PATH_PREFIX)) return reply(404, 'not found\n');
  const token = path.slice(CHALLENGE_PATH_PREFIX.length);
  if (!TOKEN_RE.test(token)) return reply(404, 'not found\n');
  const key = opts.lookup(token);
  if (key === undefined) return reply(404, 'unknown token\n');
  // Never logged: the key authorization only travels in this response.
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(key)), 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : key);
}
