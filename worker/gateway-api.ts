// Gateway API support that follows the cluster: Gateways and HTTPRoutes are watched only while
// gateway.networking.k8s.io/v1 is served. The worker looks at discovery when it starts and every
// --gateway-api-discovery-interval after that (discovery needs no RBAC), so a cluster without
// Gateway API runs as before, and CRDs installed (or removed) later are picked up without a restart.
// While served: the Gateway and HTTPRoute caches (HTTPRoutes only with certgate's HTTP-01 solver
// label, so memory does not grow with the cluster's routes) and the gateway shim run.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Gateway, HTTPRoute } from '../api/gateway-api.generated.ts';
import { Labels, LabelValues } from '../api/constants.ts';
import { Resources } from '../api/resources.ts';
import { areServed } from '../lib/kube/caches-when-served.ts';
import { KubeApiError, type WatchedCache } from '../lib/kube/client.ts';
import { staleCaches, type CacheVerb } from '../lib/kube/informer.ts';
import type { QueueController } from './controller.ts';
import type { Controller, WorkerContext } from './context.ts';

const SOLVER_ROUTE_SELECTOR = `${Labels.HTTP01Solver}=${LabelValues.True}`;

export interface GatewayApiCaches {
  gateways: WatchedCache<Gateway>;
  /** Only HTTPRoutes certgate made for HTTP-01 challenges. */
  httpRoutes: WatchedCache<HTTPRoute>;
}

export interface GatewayApiSupport extends Controller {
  /** The caches while Gateway API is served, else undefined. */
  caches(): GatewayApiCaches | undefined;
  /** Names of its caches not known current for longer than thresholdMs. */
  stale(thresholdMs: number): string[];
  /** Handlers kept across restarts of the HTTPRoute cache (the Challenge controller's). */
  onHttpRoute(verb: CacheVerb, cb: (route: HTTPRoute) => void): void;
  /** Looks at discovery now and starts or stops watching (also called every discovery interval). */
  check(): Promise<void>;
}

/** Whether the cluster serves Gateways and HTTPRoutes at gateway.networking.k8s.io/v1. */
export function gatewayApiServed(ctx: Pick<WorkerContext, 'client'>): Promise<boolean> {
  return areServed(ctx.client, [Resources.Gateway, Resources.HTTPRoute]);
}

interface Running {
  caches: GatewayApiCaches;
  shim: QueueController;
}

/**
 * `createShim` builds the gateway shim on the Gateway cache (registering its handlers before the
 * cache lists); it is built anew each time Gateway API appears.
 */
export function createGatewayApiSupport(ctx: WorkerContext, createShim: (gateways: WatchedCache<Gateway>) => QueueController): GatewayApiSupport {
  const log = ctx.log.child({ controller: 'gateway-api' });
  const routeHandlers: Array<[CacheVerb, (route: HTTPRoute) => void]> = [];
  let running: Running | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let checking: Promise<void> = Promise.resolve();

  // A Certificate the gateway shim made, edited or deleted by hand, is put back as its Gateway says.
  const fromCert = (c: KubernetesObject) => {
    const owner = c.metadata?.ownerReferences?.find((r) => r.kind === 'Gateway' && r.controller);
    if (owner && c.metadata?.namespace) running?.shim.queue.add(`${c.metadata.namespace}/${owner.name}`);
  };
  for (const verb of ['update', 'delete'] as const) ctx.caches.certificates.on(verb, fromCert);

  const begin = async () => {
    const namespace = ctx.config.namespace;
    const caches: GatewayApiCaches = {
      gateways: ctx.client.cache<Gateway>(Resources.Gateway, { namespace }),
      httpRoutes: ctx.client.cache<HTTPRoute>(Resources.HTTPRoute, { namespace, labelSelector: SOLVER_ROUTE_SELECTOR }),
    };
    for (const [verb, cb] of routeHandlers) caches.httpRoutes.on(verb, cb);
    const shim = createShim(caches.gateways);
    await Promise.all([caches.gateways.start(), caches.httpRoutes.start()]);
    shim.start();
    running = { caches, shim };
    log.info("Gateway API is served: watching Gateways and certgate's HTTPRoutes");
  };
  const end = async () => {
    const r = running;
    running = undefined;
    if (!r) return;
    await r.shim.stop();
    await Promise.all([r.caches.gateways.stop(), r.caches.httpRoutes.stop()]);
    log.info('Gateway API is no longer served: stopped watching Gateways and HTTPRoutes');
  };
  const checkOnce = async () => {
    try {
      const served = await gatewayApiServed(ctx);
      if (stopped) return;
      if (served && !running && (await mayWatch())) await begin();
      else if (!served && running) await end();
    } catch (err) {
      log.warn({ err: String(err) }, 'could not look for the Gateway API; trying again at the next interval');
    }
  };
  // Served but not ours to read (a chart without the Gateway API RBAC): caches that can never list
  // would hold /readyz down, so say once what is missing and look again at the next interval.
  let forbiddenSaid = false;
  const mayWatch = async () => {
    try {
      await ctx.client.list(Resources.Gateway, { namespace: ctx.config.namespace });
      await ctx.client.list(Resources.HTTPRoute, { namespace: ctx.config.namespace, labelSelector: SOLVER_ROUTE_SELECTOR });
      forbiddenSaid = false;
      return true;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.statusCode === 403)) throw err;
      if (!forbiddenSaid)
        log.warn(
          { err: err.message },
          'Gateway API is served but the worker may not list Gateways or HTTPRoutes: give it get/list/watch on gateways and get/list/watch/create/update/delete on httproutes (the chart does), or turn Gateway API off; Gateways are not watched until then',
        );
      forbiddenSaid = true;
      return false;
    }
  };
  const check = () => (checking = checking.then(checkOnce, checkOnce));
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void check().finally(schedule), ctx.config.gatewayApi.discoveryIntervalMs);
    timer.unref();
  };

  return {
    name: 'gateway-api',
    caches: () => running?.caches,
    stale: (thresholdMs) =>
      running ? staleCaches(running.caches as unknown as Record<string, WatchedCache<KubernetesObject>>, thresholdMs).map((n) => `gateway-api/${n}`) : [],
    onHttpRoute(verb, cb) {
      routeHandlers.push([verb, cb]);
      running?.caches.httpRoutes.on(verb, cb);
    },
    check,
    start() {
      if (ctx.config.gatewayApi.off) return;
      stopped = false;
      void check().finally(schedule);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await checking.catch(() => {});
      await end();
    },
  };
}
