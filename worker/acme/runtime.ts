// State shared by the ACME backend and the Order, Challenge and renewal-information controllers of
// one worker: the registered ACME clients (one account registration per issuer configuration),
// poll intervals and fresh reads of our own writes. worker/main.ts creates it once per leadership
// term and hands the ACME parts an AcmeContext.
import { AcmeAccounts } from '../../lib/acme/accounts.ts';
import { createAcmeMetrics } from '../../lib/metrics/acme.ts';
import { Resources } from '../../api/resources.ts';
import type { Challenge, Order } from '../../api/types.generated.ts';
import type { WorkerConfig } from '../config.ts';
import { freshReaderFor, type FreshReader } from '../fresh-reads.ts';
import type { WorkerContext } from '../context.ts';

export interface AcmeRuntime {
  accounts: AcmeAccounts;
  /** Delay between polls of an ACME resource that is still pending or processing. */
  pollIntervalMs: number;
  /** Delay between failed self-checks. */
  selfCheckIntervalMs: number;
  /** Challenge uid -> when its self-check first failed (for "waiting since" in its status). */
  selfCheckStarted: Map<string, number>;
  /** Orders and Challenges as this worker last wrote them: from the cache once it caught up, else that write's answer. */
  orders: FreshReader<Order>;
  challenges: FreshReader<Challenge>;
  /** uids of Orders this process created and has not yet given an ACME order URL (no other writer can have), and when it created each. */
  createdOrders: Map<string, number>;
  /** Order uid -> when its ACME order was last read from the CA (orders/reconcile.ts asks less while its Challenges work). */
  orderReadAt: Map<string, number>;
  /** uids of Challenges this process asked to delete (the cache may not show it yet). */
  deletedChallenges: Set<string>;
  /** Challenge uid -> when this process accepted it; Order uid -> when it finalized it (poll.ts: how soon to look again). */
  waitingSince: Map<string, number>;
}

/** The worker context plus the ACME runtime: what every ACME controller and the ACME backend take. */
export interface AcmeContext extends WorkerContext {
  acme: AcmeRuntime;
}

/** The worker's one fresh reader of Orders (the ACME backend and controllers write them; the CertificateRequest controller hears of those writes). */
export function orderReader(ctx: Pick<WorkerContext, 'caches' | 'client'>): FreshReader<Order> {
  return freshReaderFor(ctx.caches.orders, (ns, name) => ctx.client.get<Order>(Resources.Order, ns, name));
}

export function createAcmeRuntime(ctx: WorkerContext): AcmeRuntime {
  const min = Math.max(1, ctx.config.acmeBackoffMinMs);
  const rt: AcmeRuntime = {
    accounts: new AcmeAccounts(ctx.client, {
      metrics: createAcmeMetrics(ctx.metrics.registry),
      pollBackoff: { minMs: min, maxMs: Math.max(min, min * 8), attempts: 10 },
      retryBaseMs: Math.min(500, min * 4),
    }),
    pollIntervalMs: min,
    selfCheckIntervalMs: Math.max(min * 2, 20),
    selfCheckStarted: new Map(),
    orders: orderReader(ctx),
    challenges: freshReaderFor(ctx.caches.challenges, (ns, name) => ctx.client.get<Challenge>(Resources.Challenge, ns, name)),
    createdOrders: new Map(),
    orderReadAt: new Map(),
    deletedChallenges: new Set(),
    waitingSince: new Map(),
  };
  ctx.caches.orders.on('delete', (o: Order) => {
    rt.createdOrders.delete(o.metadata?.uid ?? '');
    rt.orderReadAt.delete(o.metadata?.uid ?? '');
    rt.waitingSince.delete(o.metadata?.uid ?? '');
  });
  ctx.caches.challenges.on('delete', (c: Challenge) => {
    rt.deletedChallenges.delete(c.metadata?.uid ?? '');
    rt.waitingSince.delete(c.metadata?.uid ?? '');
  });
  return rt;
}

/** The ACME context for a worker context: one runtime, shared by everything built from the result. */
export function withAcmeRuntime(ctx: WorkerContext): AcmeContext {
  return { ...ctx, acme: createAcmeRuntime(ctx) };
}

/**
 * Retry schedule after a failed Order or Challenge pass. Most such errors come from the ACME CA,
 * which wants a gentler schedule than the API server (5 min cap, first wait --acme-backoff-min-ms).
 */
export function acmeReconcileBackoff(config: WorkerConfig): { baseMs: number; maxMs: number } {
  return { baseMs: Math.max(50, config.acmeBackoffMinMs), maxMs: 5 * 60_000 };
}
