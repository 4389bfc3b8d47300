// The Challenge controller: watches Challenges and runs reconcileChallenge for each key.
import type { Challenge } from '../../../api/types.generated.ts';
import { WorkQueue } from '../../../lib/workqueue.ts';
import type { Controller, WorkerContext } from '../../issuance/backend.ts';
import { reconcileChallenge } from './reconcile.ts';

export const CHALLENGES_CONTROLLER = 'challenges';

export function createChallengeController(ctx: WorkerContext, opts: { concurrency?: number } = {}): Controller {
  const log = ctx.log.child({ controller: CHALLENGES_CONTROLLER });
  const queue = new WorkQueue({
    name: CHALLENGES_CONTROLLER,
    concurrency: opts.concurrency ?? 5,
    clock: ctx.clock,
    log,
    backoff: { baseMs: Math.max(50, ctx.config.acmeBackoffMinMs), maxMs: 5 * 60_000 },
    reconcile: async (key) => {
      ctx.metrics.controllerSyncCalls.inc({ controller: CHALLENGES_CONTROLLER });
      const [ns, name] = key.split('/');
      return reconcileChallenge(ctx, ns, name);
    },
  });
  const onChallenge = (c: Challenge) => queue.add(`${c.metadata.namespace}/${c.metadata.name}`);
  ctx.caches.challenges.on('add', onChallenge);
  ctx.caches.challenges.on('update', onChallenge);
  return {
    name: CHALLENGES_CONTROLLER,
    start: () => {
      for (const c of ctx.caches.challenges.list()) onChallenge(c);
      queue.start();
    },
    stop: () => queue.stop(),
  };
}
