// The Order controller: watches Orders, and Challenges (mapped back to their owning Order), and
// runs reconcileOrder for each key.
import type { Challenge, Order } from '../../../api/types.generated.ts';
import { WorkQueue } from '../../../lib/workqueue.ts';
import type { Controller, WorkerContext } from '../../issuance/backend.ts';
import { reconcileOrder } from './reconcile.ts';

export const ORDERS_CONTROLLER = 'orders';

const keyOf = (ns: string | undefined, name: string) => `${ns}/${name}`;

export function createOrderController(ctx: WorkerContext, opts: { concurrency?: number } = {}): Controller {
  const log = ctx.log.child({ controller: ORDERS_CONTROLLER });
  const queue = new WorkQueue({
    name: ORDERS_CONTROLLER,
    concurrency: opts.concurrency ?? 5,
    clock: ctx.clock,
    log,
    backoff: { baseMs: Math.max(50, ctx.config.acmeBackoffMinMs), maxMs: 5 * 60_000 },
    reconcile: async (key) => {
      ctx.metrics.controllerSyncCalls.inc({ controller: ORDERS_CONTROLLER });
      const [ns, name] = key.split('/');
      return reconcileOrder(ctx, ns, name);
    },
  });
  const onOrder = (o: Order) => queue.add(keyOf(o.metadata.namespace, o.metadata.name!));
  const onChallenge = (c: Challenge) => {
    const owner = c.metadata.ownerReferences?.find((r) => r.kind === 'Order' && r.controller);
    if (owner) queue.add(keyOf(c.metadata.namespace, owner.name));
  };
  ctx.caches.orders.on('add', onOrder);
  ctx.caches.orders.on('update', onOrder);
  ctx.caches.challenges.on('add', onChallenge);
  ctx.caches.challenges.on('update', onChallenge);
  ctx.caches.challenges.on('delete', onChallenge);
  return {
    name: ORDERS_CONTROLLER,
    start: () => {
      // Objects that were already in the cache before the handlers were attached.
      for (const o of ctx.caches.orders.list()) onOrder(o);
      queue.start();
    },
    stop: () => queue.stop(),
  };
}
