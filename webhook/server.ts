// HTTPS transport: express routes that decode AdmissionReviews, call the pure handlers and encode
// the answer. Anything that is not a well-formed AdmissionReview gets a 4xx Status body; a rule
// that throws gets a denial naming the internal error, never a crash or a hang.
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { log, type Logger } from '../lib/log.ts';
import { checkedKind, handleMutate, handleValidate, type HandlerConfig, type HandlerResult } from './admission/handlers.ts';
import { BadReviewError, decodeReview, encodeReview, statusBody, type AdmissionRequest } from './admission/review.ts';
import type { ClusterView } from './cluster-view.ts';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.ts';

interface WebhookServerDeps {
  readonly config: HandlerConfig & { readonly maxBodyBytes?: number };
  readonly view: ClusterView;
  readonly tls: { readonly key: string; readonly cert: string };
  readonly listen?: { readonly host: string; readonly port: number }; // default 127.0.0.1:0
  readonly metrics?: WebhookMetrics;
  readonly logger?: Logger;
  /** /readyz answers 200 only when this returns true (caches current, certificate loaded); a string says why not. */
  readonly ready?: () => boolean | string;
  /** A connection whose TLS handshake has not finished by then is closed (default 5 s; node's is 120 s). */
  readonly handshakeTimeoutMs?: number;
}

export interface RunningWebhookServer {
  readonly url: string; // https://host:port
  readonly port: number;
  readonly server: https.Server;
  readonly metrics: WebhookMetrics;
  /** Swaps the serving certificate for new handshakes; open connections are not dropped. */
  setCertificate(tls: { key: string; cert: string }): void;
  close(): Promise<void>;
}

type Handler = (req: AdmissionRequest, ctx: { view: ClusterView; config: HandlerConfig }, bodyBytes: number) => HandlerResult;

type NodeHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** The two admission endpoints as plain node handlers (they use nothing from express). */
function createAdmissionHandlers(deps: Omit<WebhookServerDeps, 'tls' | 'listen'> & { metrics: WebhookMetrics; logger: Logger }): {
  validate: NodeHandler;
  mutate: NodeHandler;
} {
  const { metrics, logger } = deps;
  const ctx = { view: deps.view, config: deps.config };
  const maxBody = deps.config.maxBodyBytes ?? 8 * 1024 * 1024;
  // The admission path reads and writes the raw body itself: body-parser and res.json cost more
  // CPU than the rules do (see the benchmark), and each answer goes out as one TLS write.
  const admit = (handler: Handler, path: string) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    readBody(req, maxBody, (err, raw) => {
      if (err) {
        metrics.countRequest('unknown', 'unknown', 'none', 'error');
        if (err.status === 413) res.setHeader('Connection', 'close'); // do not wait for the rest of a huge body
        return sendJson(res, err.status, statusBody(err.status, `${path}: ${err.message}`));
      }
      const started = performance.now();
      let review: AdmissionRequest;
      try {
        review = decodeReview(JSON.parse(raw!.toString('utf8')));
      } catch (e) {
        const message = e instanceof BadReviewError ? e.message : `body is not valid JSON: ${String((e as Error)?.message ?? '').slice(0, 200)}`;
        metrics.countRequest('unknown', 'unknown', 'none', 'error');
        return sendJson(res, 400, statusBody(400, `${path}: ${message}`));
      }
      // Bounded label values: a client must not be able to grow the metrics without limit.
      const kind = checkedKind(review) ?? 'other';
      let result: HandlerResult;
      try {
        result = handler(review, ctx, raw!.length);
      } catch (error) {
        logger.error({ err: error, kind, uid: review.uid, path }, 'admission handler failed');
        result = {
          response: {
            uid: review.uid,
            allowed: false,
            status: {
              code: 500,
              message: `certgate webhook internal error while checking this ${kind}; see the certgate-webhook logs (request ${review.uid})`,
            },
          },
          outcomes: [{ rule: 'none', result: 'error' }],
        };
      }
      sendJson(res, 200, encodeReview(result.response));
      for (const o of result.outcomes) metrics.countRequest(kind, review.operation, o.rule, o.result);
      metrics.observeDuration(kind, review.operation, (performance.now() - started) / 1e3);
    });
  };

  return { validate: admit(handleValidate, '/validate'), mutate: admit(handleMutate, '/mutate') };
}

function createWebhookApp(deps: Omit<WebhookServerDeps, 'tls' | 'listen'> & { metrics: WebhookMetrics }): express.Express {
  const logger = deps.logger ?? log.child({ component: 'webhook' });
  const { metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('json spaces', 0);
  const admission = createAdmissionHandlers({ ...deps, logger });
  app.post('/validate', admission.validate);
  app.post('/mutate', admission.mutate);
  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  app.get('/readyz', (_req, res) => {
    const r = deps.ready ? deps.ready() : true;
    if (r === true) return void res.status(200).type('text/plain').send('ok');
    res
      .status(503)
      .type('text/plain')
      .send(`not ready: ${typeof r === 'string' ? r : 'caches not synced or no serving certificate'}`);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use((req, res) => void res.status(404).json(statusBody(404, `no route ${req.method} ${req.path}; use POST /validate or /mutate`)));
  // Anything else that throws: a Status, never a stack.
  app.use((err: any, req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err, path: req.path }, 'request failed');
    metrics.countRequest('unknown', 'unknown', 'none', 'error');
    if (!res.headersSent) sendJson(res, 500, statusBody(500, `${req.path}: internal error`));
  });
  return app;
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the whole body up to limit bytes; a larger one is answered 413 without reading the rest. */
function readBody(req: http.IncomingMessage, limit: number, done: (err: BodyError | undefined, body?: Buffer) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return done(new BodyError(413, `request body larger than ${limit} bytes`));
  // A review usually arrives in one chunk: keep it without an array or a copy.
  let first: Buffer | undefined;
  let rest: Buffer[] | undefined;
  let size = 0;
  let finished = false;
  req.on('data', (c: Buffer) => {
    if (finished) return;
    size += c.length;
    if (size > limit) {
      finished = true;
      req.removeAllListeners('data');
      req.resume();
      done(new BodyError(413, `request body larger than ${limit} bytes`));
    } else if (first === undefined) first = c;
    else (rest ??= [first]).push(c);
  });
  req.on('end', () => {
    if (finished) return;
    finished = true;
    done(undefined, rest ? Buffer.concat(rest, size) : (first ?? Buffer.alloc(0)));
  });
  req.on('error', () => {
    if (finished) return;
    finished = true;
    done(new BodyError(400, 'request body could not be read'));
  });
}

// A string body lets node send headers and body in one write (one TLS record batch).
function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function listenOn(server: http.Server | https.Server, listen: { host: string; port: number }): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Starts the HTTPS admission server (TLS 1.2+). */
export async function startWebhookServer(deps: WebhookServerDeps): Promise<RunningWebhookServer> {
  const metrics = deps.metrics ?? createWebhookMetrics();
  const logger = deps.logger ?? log.child({ component: 'webhook' });
  const app = createWebhookApp({ ...deps, metrics, logger });
  // The two hot routes skip the express router (about a third of the CPU of a request in the
  // benchmark profile); everything else, including errors and 404s, goes through express.
  const admission = createAdmissionHandlers({ ...deps, metrics, logger });
  // A client that opens a connection and never starts (or finishes) its handshake holds a socket
  // until this fires; the API server finishes a handshake in milliseconds.
  const handshakeTimeout = deps.handshakeTimeoutMs ?? 5_000;
  const server = https.createServer({ key: deps.tls.key, cert: deps.tls.cert, minVersion: 'TLSv1.2', handshakeTimeout }, (req, res) => {
    if (req.method === 'POST') {
      const q = req.url!.indexOf('?');
      const path = q < 0 ? req.url : req.url!.slice(0, q); // the API server appends ?timeout=10s
      if (path === '/validate') return admission.validate(req, res);
      if (path === '/mutate') return admission.mutate(req, res);
    }
    app(req, res);
  });
  // Bounded: a client that sends headers or a body slowly is cut off instead of holding a socket.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 30_000;
  const listen = deps.listen ?? { host: '127.0.0.1', port: 0 };
  const addr = await listenOn(server, listen);
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`,
    port: addr.port,
    server,
    metrics,
    setCertificate: (tls) => server.setSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Plain HTTP /metrics for Prometheus scrapes (--metrics-listen). */
export async function startMetricsServer(metrics: WebhookMetrics, listen: { host: string; port: number }): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
    } else {
      res.writeHead(404).end();
    }
  });
  const addr = await listenOn(server, listen);
  return {
    port: addr.port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
