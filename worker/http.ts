// The worker's two small HTTP listeners: Prometheus /metrics, and /healthz + /readyz for probes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { hasPiecewiseExposition } from '../lib/metrics/registry.ts';
import type { ListenAddress } from './config.ts';

interface Listener {
  port: number;
  close(): Promise<void>;
}

function listen(addr: ListenAddress, handler: http.RequestListener): Promise<Listener> {
  const server = http.createServer(handler);
  server.requestTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

export function serveMetrics(addr: ListenAddress, registry: Registry): Promise<Listener> {
  return listen(addr, async (req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    try {
      await writeMetrics(res, registry);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500).end(`${(e as Error).message}\n`);
      else res.destroy(e as Error); // a scrape cut short: Prometheus records it as failed
    }
  });
}

/**
 * The text registry.metrics() makes, written one metric at a time, and the large per-object gauges
 * in pieces (lib/metrics/registry.ts PiecewiseExposition). registry.metrics() renders every metric
 * at once and joins them: with 10,000 Certificates each scrape lifted the worker's RSS by tens of MiB.
 */
async function writeMetrics(res: http.ServerResponse, registry: Registry): Promise<void> {
  // OpenMetrics renames counters and ends differently: registry.metrics() knows how (not used by certgate).
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE)
    return void res.writeHead(200, { 'Content-Type': registry.contentType }).end(await registry.metrics());
  let started = false;
  const write = async (text: string) => {
    if (!started) res.writeHead(200, { 'Content-Type': registry.contentType });
    started = true;
    if (!res.write(text)) await drainedOrClosed(res);
  };
  let written = 0;
  for (const metric of registry.getMetricsAsArray()) {
    const pieces = hasPiecewiseExposition(metric) ? metric.exposition() : [await registry.getSingleMetricAsString(metric.name)];
    let firstPiece = true;
    for (const piece of pieces) {
      if (res.destroyed) return; // the scraper went away
      await write(firstPiece && written > 0 ? `\n\n${piece}` : piece);
      firstPiece = false;
    }
    written++;
  }
  if (!started) res.writeHead(200, { 'Content-Type': registry.contentType });
  res.end('\n');
}

/** Resolves once res can take more, or is closed (the scraper went away); leaves no listener behind. */
function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** /healthz: the process is alive. /readyz: ready() says the worker can do its job (true), or why not (false or a reason). */
export function serveHealth(addr: ListenAddress, ready: () => boolean | string): Promise<Listener> {
  return listen(addr, (req, res) => {
    const path = req.url?.split('?')[0];
    if (path === '/healthz') res.writeHead(200).end('ok\n');
    else if (path === '/readyz') {
      const r = ready();
      if (r === true) res.writeHead(200).end('ok\n');
      else res.writeHead(503).end(`not ready${typeof r === 'string' ? `: ${r}` : ''}\n`);
    } else res.writeHead(404).end('not found\n');
  });
}
