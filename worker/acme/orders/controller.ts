// The Order controller: watches Orders, and Challenges (mapped back to their owning Order), and
// runs reconcileOrder for each key.
import type { Challenge, Order } from '../../../api/types.generated.ts';
import { controllerOwner, createQueueController, keyOf, type QueueController } from '../../controller.ts';
import type { AcmeContext } from '../runtime.ts';
import { acmeReconcileBackoff } from '../runtime.ts';
import { reconcileOrder } from './reconcile.ts';

const ORDERS_CONTROLLER = 'orders';

export function createOrderController(ctx: AcmeContext, opts: { concurrency?: number } = {}): QueueController {
  const orders = ctx.caches.orders;
  const ctrl = createQueueController(ctx, {
    name: ORDERS_CONTROLLER,
    concurrency: opts.concurrency ?? 5,
    backoff: acmeReconcileBackoff(ctx.config),
    // Final Orders too: one may still own Challenges to delete.
    initialKeys: () => orders.list().map(keyOf),
    reconcile: (key) => {
      const [namespace, name] = key.split('/');
      return reconcileOrder(ctx, namespace, name);
    },
  });
  for (const verb of ['add', 'update'] as const) orders.on(verb, (o: Order) => ctrl.enqueue(o));
  // A Challenge changing state (or going away) is news for the Order that owns it; a new one
  // without status is not (its Order made it, and a pass then would only ask the CA again).
  const fromChallenge = (c: Challenge) => {
    const owner = controllerOwner(c, 'Order');
    if (owner && c.metadata.namespace) ctrl.queue.add(`${c.metadata.namespace}/${owner}`);
  };
  const fromChallengeStatus = (c: Challenge) => {
    if (c.status) fromChallenge(c);
  };
  for (const verb of ['add', 'update'] as const) ctx.caches.challenges.on(verb, fromChallengeStatus);
  ctx.caches.challenges.on('delete', fromChallenge);
  // Our own writes are that news too, and need not wait for the watch to bring them back: a
  // Challenge's final state, and an Order the ACME backend has just created.
  ctx.acme.challenges.onWrite(fromChallengeStatus);
  ctx.acme.orders.onWrite((o) => {
    if (!o.status) ctrl.enqueue(o);
  });
  return ctrl;
}
