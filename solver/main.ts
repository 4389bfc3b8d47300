// `certgate solver`: the HTTP-01 sidecar. Watches HTTP-01 Challenge objects and answers their
// tokens. Only wiring lives here (flags, kube client, cache, server).
import { parseHostPort } from '../lib/listen.ts';
import { Command } from 'commander';
import { Resources } from '../api/resources.ts';
import type { Challenge } from '../api/types.generated.ts';
import { KubeClient, loadKubeConfig, type WatchedCache } from '../lib/kube/client.ts';
import { DEFAULT_STALE_AFTER_MS, staleCaches, staleReason } from '../lib/kube/informer.ts';
import { durationArg } from '../lib/flags.ts';
import { childLogger } from '../lib/log.ts';
import { listenSolver, type SolverServer } from './server.ts';
import { TokenIndex } from './token-index.ts';

export interface SolverHandle {
  server: SolverServer;
  /** Tokens currently answerable (for tests and diagnostics). */
  tokens: TokenIndex;
  /** The Challenge cache (tests and the soak compare it with the API server). */
  challenges: WatchedCache<Challenge>;
  stop(): Promise<void>;
}

export interface StartSolverOptions {
  client: KubeClient;
  /** "host:port"; port 0 picks a free one. */
  listen: string;
  /** Watch Challenges in this namespace only; default all namespaces. */
  namespace?: string;
  /** /readyz fails when the Challenge cache has been disconnected this long (default 60 s). */
  cacheStaleAfterMs?: number;
}

export async function startSolver(opts: StartSolverOptions): Promise<SolverHandle> {
  const log = childLogger({ component: 'solver' });
  const { host, port } = parseHostPort(opts.listen);
  // A solver that may not read Challenges would answer every token with 404 while looking healthy:
  // fail at start with the API server's reason instead, so the pod crash-loops visibly.
  try {
    await opts.client.list(Resources.Challenge, { namespace: opts.namespace });
  } catch (e) {
    throw new Error(`cannot list Challenges${opts.namespace ? ` in namespace ${opts.namespace}` : ''}: ${(e as Error).message}`);
  }
  const tokens = new TokenIndex();
  const cache = opts.client.cache<Challenge>(Resources.Challenge, { namespace: opts.namespace });
  cache.on('add', (c) => tokens.upsert(c));
  cache.on('update', (c) => tokens.upsert(c));
  cache.on('delete', (c) => tokens.remove(c));
  await cache.start();
  const staleAfterMs = opts.cacheStaleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const ready = () => staleCaches({ challenges: cache }, staleAfterMs).length === 0 || staleReason(['challenges'], staleAfterMs);
  const server = await listenSolver({ host, port, lookup: (t) => tokens.keyAuthorization(t), ready });
  log.info({ listen: server.url, namespace: opts.namespace ?? '(all)' }, 'HTTP-01 solver listening');
  return {
    server,
    tokens,
    challenges: cache,
    stop: async () => {
      await server.close();
      await cache.stop();
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('certgate solver')
    .description('Answer ACME HTTP-01 challenges from the Challenge objects in the cluster')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--listen <host:port>', 'address to serve HTTP-01 on', '0.0.0.0:8089')
    .option('--namespace <ns>', 'only watch Challenges in this namespace')
    .option(
      '--cache-stale-after <duration>',
      '/readyz fails when the Challenge watch has been disconnected from the API server this long',
      durationArg,
      DEFAULT_STALE_AFTER_MS,
    )
    .exitOverride();
  // --help throws after printing; bin/certgate.ts ends that normally, as for every process.
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ kubeconfig?: string; listen: string; namespace?: string; cacheStaleAfter: number }>();
  parseHostPort(o.listen);
  const client = new KubeClient(loadKubeConfig({ kubeconfig: o.kubeconfig }));
  const handle = await startSolver({ client, listen: o.listen, namespace: o.namespace, cacheStaleAfterMs: o.cacheStaleAfter });
  const shutdown = async () => {
    await handle.stop();
    process.exit(0);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
