// State shared by the ACME backend and the Order and Challenge controllers of one worker:
// the registered ACME clients (one account registration per issuer configuration) and metrics.
import { AcmeAccounts } from '../../lib/acme/accounts.ts';
import { createAcmeMetrics } from '../../lib/metrics/acme.ts';
import { Resources } from '../../api/resources.ts';
import type { Challenge, Order } from '../../api/types.generated.ts';
import type { WorkerConfig } from '../config.ts';
import { createFreshReader, type FreshReader } from '../fresh-reads.ts';
import type { WorkerContext } from '../issuance/backend.ts';

export interface AcmeRuntime {
  accounts: AcmeAccounts;
  /** Delay between polls of an ACME resource that is still pending or processing. */
  pollIntervalMs: number;
  /** Delay between failed self-checks. */
  selfCheckIntervalMs: number;
  /** Challenge uid -> when its self-check first failed (for "waiting since" in its status). */
  selfCheckStarted: Map<string, number>;
  /** Orders and Challenges as this worker last wrote them: from the cache once it caught up, else a GET. */
  orders: FreshReader<Order>;
  challenges: FreshReader<Challenge>;
}

const runtimes = new WeakMap<WorkerContext, AcmeRuntime>();

export function acmeRuntime(ctx: WorkerContext): AcmeRuntime {
  let rt = runtimes.get(ctx);
  if (!rt) {
    const min = Math.max(1, ctx.config.acmeBackoffMinMs);
    rt = {
      accounts: new AcmeAccounts(ctx.client, {
        metrics: createAcmeMetrics(ctx.metrics.registry),
        pollBackoff: { minMs: min, maxMs: Math.max(min, min * 8), attempts: 10 },
        retryBaseMs: Math.min(500, min * 4),
      }),
      pollIntervalMs: min,
      selfCheckIntervalMs: Math.max(min * 2, 20),
      selfCheckStarted: new Map(),
      orders: createFreshReader(ctx.caches.orders, (ns, name) => ctx.client.get<Order>(Resources.Order, ns, name)),
      challenges: createFreshReader(ctx.caches.challenges, (ns, name) => ctx.client.get<Challenge>(Resources.Challenge, ns, name)),
    };
    runtimes.set(ctx, rt);
  }
  return rt;
}

/**
 * Retry schedule after a failed Order or Challenge pass. Most such errors come from the ACME CA,
 * which wants a gentler schedule than the API server (5 min cap, first wait --acme-backoff-min-ms).
 */
export function acmeReconcileBackoff(config: WorkerConfig): { baseMs: number; maxMs: number } {
  return { baseMs: Math.max(50, config.acmeBackoffMinMs), maxMs: 5 * 60_000 };
}
