// What a certificate costs in traffic, counted where it cannot be missed:
// - on the embedded API server, per bearer token (so the worker's own calls, watches included,
//   are told apart from the benchmark's and the solver's): requests, and new TLS connections
//   (a socket seen for the first time);
// - in this process, new TLS connections to one port (the ACME CA), by wrapping tls.connect, which
//   every https.Agent goes through (node's net.client.socket channel does not see TLS sockets).
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import tls from 'node:tls';

export interface TrafficCount {
  requests: number;
  connections: number;
}

/** Pass `onRequest` to startApiServer; read `of(token)` before and after a run. */
export class ApiTrafficCounter {
  private readonly byToken = new Map<string, TrafficCount>();
  private readonly byRoute = new Map<string, Map<string, number>>();
  private readonly seenSockets = new WeakSet<Socket>();

  readonly onRequest = (_method: string, _url: string, req: IncomingMessage): void => {
    const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    let count = this.byToken.get(token);
    if (!count) this.byToken.set(token, (count = { requests: 0, connections: 0 }));
    count.requests++;
    let routes = this.byRoute.get(token);
    if (!routes) this.byRoute.set(token, (routes = new Map()));
    const route = routeOf(_method, _url, req.headers['content-type']);
    routes.set(route, (routes.get(route) ?? 0) + 1);
    if (!this.seenSockets.has(req.socket)) {
      this.seenSockets.add(req.socket);
      count.connections++;
    }
  };

  of(token: string): TrafficCount {
    return { ...(this.byToken.get(token) ?? { requests: 0, connections: 0 }) };
  }

  /** Requests per route ("GET secrets", "PUT certificates/status", "GET secrets watch") so far. */
  routes(token: string): Map<string, number> {
    return new Map(this.byRoute.get(token) ?? []);
  }
}

/** "VERB resource[/subresource][ watch]": the object's name and namespace left out. */
function routeOf(method: string, url: string, contentType: string | undefined): string {
  // Plain string work, not a URL parse: this runs for every request in the process being measured.
  const q = url.indexOf('?');
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const parts = (q < 0 ? url : url.slice(0, q)).split('/').filter(Boolean);
  const ns = parts.indexOf('namespaces');
  const rest = ns >= 0 && parts.length > ns + 2 ? parts.slice(ns + 2) : parts.slice(parts[0] === 'api' ? 2 : 3);
  const [resource, name, sub] = rest;
  const watch = query.get('watch') === 'true' || query.get('watch') === '1' ? ' watch' : '';
  const verb = method === 'GET' && !name ? 'LIST' : method;
  const patch = method === 'PATCH' && contentType ? ` (${contentType.split(';')[0].split('/').pop()})` : '';
  return `${verb} ${resource ?? '?'}${sub ? `/${sub}` : ''}${watch}${patch}`;
}

/** The difference of two route counts, per item, largest first. */
export function routesPerItem(after: Map<string, number>, before: Map<string, number>, items: number): Array<[string, number]> {
  return [...after]
    .map(([route, n]): [string, number] => [route, (n - (before.get(route) ?? 0)) / items])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
}

/** Counts TLS connections this process opens to `port` until stop() (restores tls.connect). */
export function countTlsConnections(port: number): { count(): number; stop(): void } {
  const original = tls.connect;
  let n = 0;
  (tls as { connect: typeof tls.connect }).connect = function (this: unknown, ...args: any[]) {
    const options = typeof args[0] === 'object' ? args[0] : { port: args[0] };
    if (Number(options?.port) === port) n++;
    return (original as (...a: any[]) => tls.TLSSocket).apply(this, args);
  } as typeof tls.connect;
  return {
    count: () => n,
    stop: () => void ((tls as { connect: typeof tls.connect }).connect = original),
  };
}

export const perItem = (after: TrafficCount, before: TrafficCount, items: number): TrafficCount => ({
  requests: (after.requests - before.requests) / items,
  connections: (after.connections - before.connections) / items,
});
