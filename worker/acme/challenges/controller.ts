// The Challenge controller: watches Challenges and runs reconcileChallenge for each key, with at
// most --max-concurrent-challenges presented at once (slots.ts).
import type { Challenge } from '../../../api/types.generated.ts';
import { controllerOwner, createQueueController, keyOf, type QueueController } from '../../controller.ts';
import type { AcmeContext } from '../runtime.ts';
import { acmeReconcileBackoff } from '../runtime.ts';
import { reconcileChallenge } from './reconcile.ts';
import { createChallengeSlots } from './slots.ts';

const CHALLENGES_CONTROLLER = 'challenges';

export function createChallengeController(ctx: AcmeContext, opts: { concurrency?: number } = {}): QueueController {
  const challenges = ctx.caches.challenges;
  const slots = createChallengeSlots(
    challenges,
    ctx.config.maxConcurrentChallenges,
    (key) => ctrl.queue.add(key),
    () => ctx.clock.now(),
  );
  const ctrl = createQueueController(ctx, {
    name: CHALLENGES_CONTROLLER,
    concurrency: opts.concurrency ?? 5,
    backoff: acmeReconcileBackoff(ctx.config),
    // Final Challenges too: one may still have a route or TXT record to clean up.
    initialKeys: () => challenges.list().map(keyOf),
    reconcile: (key) => {
      const [namespace, name] = key.split('/');
      return reconcileChallenge(ctx, namespace, name, slots);
    },
  });
  for (const verb of ['add', 'update'] as const) challenges.on(verb, (c: Challenge) => ctrl.enqueue(c));
  // A Challenge the Order controller has just created is presented now, not when the watch brings it.
  ctx.acme.challenges.onWrite((c) => {
    if (!c.status) ctrl.enqueue(c);
  });
  // A solver HTTPRoute deleted by someone: its Challenge puts it back (status updates by the
  // Gateway controller are not news; an edited spec shows in the self-check, which re-presents).
  ctx.gatewayApi?.onHttpRoute('delete', (route) => {
    const owner = controllerOwner(route, 'Challenge');
    if (owner && route.metadata?.namespace) ctrl.queue.add(`${route.metadata.namespace}/${owner}`);
  });
  return ctrl;
}
