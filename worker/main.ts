// `certgate worker`: wires the worker's parts together and nothing more. Flags -> frozen config,
// kubeconfig -> client, leader election -> (caches + controllers) while leading, plus the
// /metrics and /healthz listeners.
import { hostname } from 'node:os';
import { collectDefaultMetrics } from 'prom-client';
import { randomBytes } from 'node:crypto';
import { loadKubeConfig, KubeClient, type KubeConfig } from '../lib/kube/client.ts';
import { realClock, type Clock } from '../lib/clock.ts';
import { createEventRecorder } from '../lib/events.ts';
import { LeaderElector } from '../lib/leader.ts';
import { childLogger, log as rootLogger } from '../lib/log.ts';
import { createWorkerMetrics } from '../lib/metrics/worker.ts';
import { createAcmeBackend, createAcmeControllers } from './acme/index.ts';
import { withAcmeRuntime } from './acme/runtime.ts';
import { createWorkerCaches, type CacheSet } from './caches.ts';
import { createCertificateRequestController } from './certificaterequests/controller.ts';
import { createIssuingController } from './certificates/issuing.ts';
import { createKeyManagerController } from './certificates/keymanager.ts';
import { createReadinessController } from './certificates/readiness.ts';
import { createRequestManagerController } from './certificates/requestmanager.ts';
import { createTriggerController } from './certificates/trigger.ts';
import type { WorkerConfig } from './config.ts';
import { parseWorkerArgs } from './flags.ts';
import { serveHealth, serveMetrics } from './http.ts';
import { createIngressShimController } from './ingress-shim/controller.ts';
import { createGatewayApiSupport, type GatewayApiSupport } from './gateway-api.ts';
import { createGatewayShimController } from './gateway-shim/controller.ts';
import type { Controller, WorkerCaches, WorkerContext } from './context.ts';
import { staleReason } from '../lib/kube/informer.ts';
import { createCaBackend } from './issuance/ca.ts';
import { createSelfSignedBackend } from './issuance/selfsigned.ts';
import { createIssuerControllers } from './issuers/controller.ts';

export interface StartOptions {
  clock?: Clock;
  /** Leader election identity; default hostname plus a random suffix. */
  identity?: string;
}

export interface RunningWorker {
  metricsPort: number;
  healthPort: number;
  identity: string;
  isLeader(): boolean;
  /** The caches while this worker leads (tests and the soak compare them with the API server). */
  caches(): WorkerCaches | undefined;
  /**
   * Resolves once every controller's queue has been idle since the call: everything listed or
   * watched before has been reconciled. Tests wait for it before asserting that nothing happened.
   */
  whenIdle(): Promise<void>;
  stop(): Promise<void>;
}

interface RunningControllers {
  cacheSet: CacheSet;
  gatewayApi: GatewayApiSupport;
  controllers: Controller[];
  stop(): Promise<void>;
}

/** The controllers running while this worker leads, sharing one set of caches. */
async function startControllers(config: WorkerConfig, client: KubeClient, base: Omit<WorkerContext, 'caches' | 'recorder'>): Promise<RunningControllers> {
  const log = base.log;
  const cacheSet = createWorkerCaches(client, { namespace: config.namespace, clusterIssuerSelector: config.clusterIssuerSelector });
  const recorder = createEventRecorder({ client, component: 'certgate-worker', clock: base.clock });
  const ctx: WorkerContext = { ...base, caches: cacheSet.caches, recorder };
  // Gateways and HTTPRoutes, watched while the cluster serves Gateway API (found and lost at run time).
  const gatewayApi = createGatewayApiSupport(ctx, (gateways) => createGatewayShimController(ctx, gateways));
  ctx.gatewayApi = gatewayApi;
  // One ACME runtime (accounts, fresh reads of our own writes) for the ACME backend and controllers.
  const acmeCtx = withAcmeRuntime(ctx);
  const backends = { selfSigned: createSelfSignedBackend(ctx), ca: createCaBackend(ctx), acme: createAcmeBackend(acmeCtx) };
  // Controllers register their watch handlers before the caches list, so nothing is missed.
  const controllers: Controller[] = [
    createTriggerController(ctx),
    createKeyManagerController(ctx),
    createRequestManagerController(ctx),
    createIssuingController(ctx),
    createReadinessController(ctx),
    createCertificateRequestController(ctx, backends),
    ...createIssuerControllers(ctx, backends),
    createIngressShimController(ctx),
    ...createAcmeControllers(acmeCtx),
    gatewayApi,
  ];
  try {
    await cacheSet.start();
  } catch (err) {
    await cacheSet.stop().catch(() => {});
    throw err;
  }
  for (const c of controllers) c.start();
  base.metrics.challenges.track(() => cacheSet.caches.challenges.list());
  log.info({ controllers: controllers.map((c) => c.name) }, 'controllers started');
  const stop = async () => {
    try {
      await Promise.all(controllers.map((c) => c.stop()));
      await Promise.all([cacheSet.stop(), acmeCtx.acme.accounts.stop()]);
      await recorder.flush();
    } finally {
      base.metrics.challenges.untrack();
      // After the controllers stopped (no reconcile sets them again): a follower exports no
      // per-object series, so only the leader's are scraped; leading again rebuilds them.
      base.metrics.forgetObjects();
    }
    log.info('controllers stopped');
  };
  return { cacheSet, gatewayApi, controllers, stop };
}

export async function startWorker(config: WorkerConfig, kubeConfig: KubeConfig, opts: StartOptions = {}): Promise<RunningWorker> {
  const identity = opts.identity ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
  const log = childLogger({ component: 'worker', identity });
  const client = new KubeClient(kubeConfig, 'certgate-worker');
  const clock = opts.clock ?? realClock;
  const metrics = createWorkerMetrics();
  // Process metrics (memory, CPU, event loop lag) beside cert-manager's series: the worker's memory
  // must stay flat however many unrelated Secrets the cluster holds, and operators watch that here.
  collectDefaultMetrics({ register: metrics.registry });
  const base = { client, clock, log, config, metrics };

  let running: RunningControllers | undefined;
  let transition: Promise<void> = Promise.resolve();
  // Start and stop run one after the other; a failed step does not block the next one.
  const leading = { name: config.leaderElectionId };
  metrics.leader.set(leading, 0);
  const begin = () => {
    transition = transition
      .catch(() => {})
      .then(async () => {
        if (!running) running = await startControllers(config, client, base);
        metrics.leader.set(leading, 1);
      });
    return transition;
  };
  const end = () => {
    transition = transition
      .catch(() => {})
      .then(async () => {
        metrics.leader.set(leading, 0);
        const stopping = running;
        running = undefined;
        await stopping?.stop();
      });
    return transition;
  };

  const metricsListener = await serveMetrics(config.metricsListen, metrics.registry);
  // Ready when controllers run on caches that are current, or when standing by as a non-leader.
  const healthListener = await serveHealth(config.healthListen, () => {
    if (!running) return (config.leaderElect && !elector?.isLeader()) || 'controllers not running';
    const stale = [...running.cacheSet.stale(config.cacheStaleAfterMs), ...running.gatewayApi.stale(config.cacheStaleAfterMs)];
    return stale.length === 0 || staleReason(stale, config.cacheStaleAfterMs);
  });

  let elector: LeaderElector | undefined;
  if (config.leaderElect) {
    elector = new LeaderElector({
      client,
      namespace: config.leaderElectionNamespace,
      name: config.leaderElectionId,
      identity,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      clock,
      onStartedLeading: begin,
      onStoppedLeading: end,
    });
    elector.start();
  } else {
    await begin();
  }

  return {
    metricsPort: metricsListener.port,
    healthPort: healthListener.port,
    identity,
    isLeader: () => (elector ? elector.isLeader() : true),
    caches: () => running?.cacheSet.caches,
    whenIdle: async () => {
      await Promise.all((running?.controllers ?? []).map((c) => c.whenIdle?.()));
    },
    async stop() {
      if (elector) await elector.stop();
      await end();
      await Promise.all([metricsListener.close(), healthListener.close()]);
      client.close();
    },
  };
}

/** Entry point of `certgate worker ...`: runs until SIGTERM or SIGINT. */
export async function main(argv: string[]): Promise<void> {
  const config = parseWorkerArgs(argv);
  if (config.logLevel) rootLogger.level = config.logLevel;
  const kubeConfig = loadKubeConfig({ kubeconfig: config.kubeconfig });
  const worker = await startWorker(config, kubeConfig);
  const log = childLogger({ component: 'worker' });
  log.info({ metricsPort: worker.metricsPort, healthPort: worker.healthPort, leaderElect: config.leaderElect }, 'worker running');
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      worker.stop().then(resolve, (err) => {
        log.error({ err: String(err) }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}
