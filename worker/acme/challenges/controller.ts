// The Challenge controller: watches Challenges and runs reconcileChallenge for each key.
import type { Challenge } from '../../../api/types.generated.ts';
import type { WorkerConfig } from '../../config.ts';
import { createQueueController, keyOf, type QueueController } from '../../controller.ts';
import type { WorkerContext } from '../../issuance/backend.ts';
import { reconcileChallenge } from './reconcile.ts';

export const CHALLENGES_CONTROLLER = 'challenges';

/**
 * Retry schedule after a failed Order or Challenge pass. Most such errors come from the ACME CA,
 * which wants a gentler schedule than the API server (5 min cap, first wait --acme-backoff-min-ms).
 */
export function acmeReconcileBackoff(config: WorkerConfig): { baseMs: number; maxMs: number } {
  return { baseMs: Math.max(50, config.acmeBackoffMinMs), maxMs: 5 * 60_000 };
}

export function createChallengeController(ctx: WorkerContext, opts: { concurrency?: number } = {}): QueueController {
  const challenges = ctx.caches.challenges;
  const ctrl = createQueueController(ctx, {
    name: CHALLENGES_CONTROLLER,
    concurrency: opts.concurrency ?? 5,
    backoff: acmeReconcileBackoff(ctx.config),
    // Final Challenges too: one may still have a route or TXT record to clean up.
    initialKeys: () => challenges.list().map(keyOf),
    reconcile: (key) => {
      const [namespace, name] = key.split('/');
      return reconcileChallenge(ctx, namespace, name);
    },
  });
  for (const verb of ['add', 'update'] as const) challenges.on(verb, (c: Challenge) => ctrl.enqueue(c));
  return ctrl;
}
