// The worker's two small HTTP listeners: Prometheus /metrics, and /healthz + /readyz for probes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
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
      const body = await registry.metrics();
      res.writeHead(200, { 'Content-Type': registry.contentType }).end(body);
    } catch (e) {
      res.writeHead(500).end(`${(e as Error).message}\n`);
    }
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
