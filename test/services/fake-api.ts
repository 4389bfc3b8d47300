// A local HTTPS server standing in for a cloud DNS provider's published API in contract tests: it
// records every request the provider's official SDK really sends (method, path, query, headers,
// body) and answers through a handler that implements the part of the API the provider uses,
// with the provider's real response and error shapes.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mintServerTls } from './pki.ts';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json?: any;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are (e.g. XML). */
  body?: unknown;
}

export interface FakeApi {
  /** https://127.0.0.1:<port> */
  url: string;
  caPem: string;
  requests: FakeRequest[];
  stop(): Promise<void>;
}

export async function startFakeApi(handle: (req: FakeRequest) => FakeResponse | Promise<FakeResponse>): Promise<FakeApi> {
  const tls = mintServerTls(['localhost', '127.0.0.1']);
  const requests: FakeRequest[] = [];
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const recorded: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, json };
      requests.push(recorded);
      Promise.resolve(handle(recorded)).then(
        (r) => {
          const data = typeof r.body === 'string' ? r.body : r.body === undefined ? '' : JSON.stringify(r.body);
          res.writeHead(r.status ?? 200, {
            'content-type': typeof r.body === 'string' ? 'text/xml' : 'application/json',
            ...r.headers,
            'content-length': String(Buffer.byteLength(data)),
          });
          res.end(data);
        },
        (err) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caPem: tls.caCertPem,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
