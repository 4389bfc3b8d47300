// The test plays the Gateway controller: an HTTP listener (on pebble's HTTP-01 port) that routes
// each request by the HTTPRoutes attached to one Gateway, as an implementation would: the route's
// parentRefs must name the Gateway, its hostnames the request's Host, one rule's Exact path match
// the path, and its backendRef a Service that exists; then the request goes to the backend (the
// solver, standing in for what the Service resolves to). Anything else is 404. Routes are read from
// the API server on each request, so the same helper works on the embedded server and a real cluster.
import http from 'node:http';
import type { HTTPRoute } from '../../api/gateway-api.generated.ts';
import { Resources } from '../../api/resources.ts';
import { isNotFound, type KubeClient } from '../../lib/kube/client.ts';

export interface TestGateway {
  /** Requests routed to the backend, each with the HTTPRoute that matched. */
  readonly routed: Array<{ host: string; path: string; route: string }>;
  /** Requests no route matched. */
  readonly unrouted: Array<{ host: string; path: string }>;
  stop(): Promise<void>;
}

const attachedTo = (route: HTTPRoute, gateway: string, namespace: string) =>
  (route.spec.parentRefs ?? []).some(
    (p) =>
      p.name === gateway &&
      (p.kind ?? 'Gateway') === 'Gateway' &&
      (p.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io' &&
      (p.namespace ?? route.metadata.namespace) === namespace,
  );

async function matchRoute(
  client: KubeClient,
  namespace: string,
  gateway: string,
  host: string,
  path: string,
): Promise<{ route: HTTPRoute; service: string } | undefined> {
  // Before the Gateway API CRDs are installed there are no routes (the demo starts this first).
  const routes = await client.list<HTTPRoute>(Resources.HTTPRoute, { namespace }).then(
    (l) => l.items,
    (e) => {
      if (isNotFound(e)) return [];
      throw e;
    },
  );
  for (const route of routes) {
    if (!attachedTo(route, gateway, namespace)) continue;
    if (route.spec.hostnames?.length && !route.spec.hostnames.includes(host)) continue;
    for (const rule of route.spec.rules ?? []) {
      if (!(rule.matches ?? []).some((m) => m.path?.type === 'Exact' && m.path.value === path)) continue;
      const backend = rule.backendRefs?.find((b) => (b.kind ?? 'Service') === 'Service' && !b.group);
      if (backend && (await client.get(Resources.Service, backend.namespace ?? namespace, backend.name))) return { route, service: backend.name };
    }
  }
  return undefined;
}

/** Forwards the request to 127.0.0.1:port and the answer back. */
function forward(req: http.IncomingMessage, res: http.ServerResponse, port: number): void {
  const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
}

export async function startTestGateway(opts: {
  client: KubeClient;
  namespace: string;
  gateway: string;
  port: number;
  backendPort: number;
  fallbackPort?: number;
}): Promise<TestGateway> {
  const routed: TestGateway['routed'] = [];
  const unrouted: TestGateway['unrouted'] = [];
  const server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const path = (req.url ?? '/').split('?')[0];
    matchRoute(opts.client, opts.namespace, opts.gateway, host, path).then(
      (match) => {
        if (!match) {
          unrouted.push({ host, path });
          if (opts.fallbackPort) forward(req, res, opts.fallbackPort);
          else res.writeHead(404).end('no route\n');
          return;
        }
        routed.push({ host, path, route: match.route.metadata.name! });
        forward(req, res, opts.backendPort);
      },
      () => res.writeHead(503).end(),
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts.port, '127.0.0.1', resolve));
  return {
    routed,
    unrouted,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
