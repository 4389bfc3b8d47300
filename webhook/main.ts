// `certgate webhook`: wires config, Kubernetes client, caches, the serving certificate and the
// HTTPS server. No logic here beyond order: caches and certificate first, then listen.
import { Resources } from '../api/resources.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { childLogger } from '../lib/log.ts';
import { watchedClusterView, type WatchedClusterView } from './cluster-view.ts';
import { staleReason } from '../lib/kube/informer.ts';
import { parseWebhookConfig, webhookCommand, type WebhookConfig } from './config.ts';
import { createWebhookMetrics } from './metrics.ts';
import { startMetricsServer, startWebhookServer, type RunningWebhookServer } from './server.ts';
import { patchCaBundles } from './tls/ca-bundle.ts';
import { servingNames } from './tls/certs.ts';
import { ServingCertRotator } from './tls/rotation.ts';
import { ensureServingBundle } from './tls/secret-store.ts';

export interface RunningWebhook {
  readonly server: RunningWebhookServer;
  readonly rotator: ServingCertRotator;
  readonly view: WatchedClusterView;
  stop(): Promise<void>;
}

/** Starts everything the process runs; used by main() and by e2e tests in-process. */
export async function runWebhook(
  config: WebhookConfig,
  opts: { client?: KubeClient; checkIntervalMs?: number; renewAtFraction?: number } = {},
): Promise<RunningWebhook> {
  const logger = childLogger({ component: 'webhook' });
  const client = opts.client ?? new KubeClient(loadKubeConfig({ kubeconfig: config.kubeconfig, context: config.context }));
  const view = watchedClusterView(client, { gatewayApi: config.gatewayApi, gatewayApiDiscoveryIntervalMs: config.gatewayApiDiscoveryIntervalMs });
  const policy = {
    namespace: config.namespace,
    secretName: config.tlsSecret,
    names: servingNames(config.serviceName, config.namespace, config.tlsExtraSans),
    validityMs: config.certValidityHours * 3_600_000,
    renewAtFraction: opts.renewAtFraction,
  };
  let server: RunningWebhookServer | undefined;
  const rotator = new ServingCertRotator({
    policy,
    ensure: (now) => ensureServingBundle(client, policy, now),
    publishCa: async (caBundle) => {
      const changed = await patchCaBundles(client, config.webhookConfig, caBundle, logger);
      if (changed.length > 0) logger.info({ changed }, 'caBundle updated');
    },
    install: (b) => server?.setCertificate({ key: b.keyPem, cert: b.certPem }),
    logger,
    checkIntervalMs: opts.checkIntervalMs,
  });
  let bundle: Awaited<ReturnType<typeof rotator.start>>;
  try {
    [bundle] = await Promise.all([rotator.start(), view.start()]);
  } catch (err) {
    // A webhook that cannot start (e.g. forbidden to publish its CA) leaves nothing running: its
    // caches would otherwise retry their watches for as long as the process lives.
    rotator.stop();
    await view.stop().catch(() => {});
    throw err;
  }
  const metrics = createWebhookMetrics();
  server = await startWebhookServer({
    config,
    view,
    tls: { key: bundle.keyPem, cert: bundle.certPem },
    listen: config.listen,
    metrics,
    logger,
    ready: () => {
      if (rotator.bundle === undefined) return 'no serving certificate yet';
      const stale = view.stale(config.cacheStaleAfterMs);
      return stale.length === 0 || staleReason(stale, config.cacheStaleAfterMs);
    },
  });
  const metricsServer = config.metricsListen ? await startMetricsServer(metrics, config.metricsListen) : undefined;
  logger.info(
    {
      url: server.url,
      mode: config.mode,
      transparentTls: config.transparentTls,
      gatewayApi: view.gatewayApi?.get(Resources.Gateway) ? 'watched' : config.gatewayApi === 'off' ? 'off' : 'not served',
    },
    'webhook serving',
  );
  return {
    server,
    rotator,
    view,
    async stop() {
      rotator.stop();
      await Promise.all([server!.close(), metricsServer?.close(), view.stop()]);
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(webhookCommand().helpInformation());
    return;
  }
  let config: WebhookConfig;
  try {
    config = parseWebhookConfig(argv);
  } catch (e) {
    process.stderr.write(`certgate webhook: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const running = await runWebhook(config);
  await new Promise<void>((resolve) => {
    const stop = () => void running.stop().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
