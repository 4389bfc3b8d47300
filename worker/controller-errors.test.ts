// The queue controller is the one place that turns a failure's kind into a schedule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ManualClock } from '../lib/clock.ts';
import { AcmeProblemError } from '../lib/acme/errors.ts';
import { createWorkerMetrics } from '../lib/metrics/worker.ts';
import { RetryAtError, TerminalError } from '../lib/reconcile-errors.ts';
import { createQueueController } from './controller.ts';

const KEY = 'ns/a';

async function firstPass(error: unknown) {
  const ctx = { log: pino({ level: 'silent' }), clock: new ManualClock(), metrics: createWorkerMetrics() };
  const ctrl = createQueueController(ctx, {
    name: 'errors',
    backoff: { baseMs: 1000, maxMs: 1000 },
    initialKeys: () => [KEY],
    reconcile: async () => {
      throw error;
    },
  });
  ctrl.start();
  await ctrl.queue.whenIdle();
  const result = { due: ctrl.queue.dueAt(KEY), failures: ctrl.queue.failuresOf(KEY), now: ctx.clock.now() };
  await ctrl.stop();
  return result;
}

test('a rate-limited ACME answer is retried at its Retry-After, not on the backoff', async () => {
  const r = await firstPass(new AcmeProblemError('urn:ietf:params:acme:error:rateLimited', 'too many certificates', 429, 3_600_000));
  assert.deepEqual([r.due! - r.now, r.failures], [3_600_000, 0]);
});

test('RetryAtError is retried at its time; TerminalError is not retried; anything else backs off', async () => {
  const at = await firstPass(new RetryAtError(42_000, 'the Secret is expected soon'));
  assert.deepEqual([at.due! - at.now, at.failures], [42_000, 0]);
  const terminal = await firstPass(new TerminalError('the spec must change'));
  assert.deepEqual([terminal.due, terminal.failures], [undefined, 0]);
  const transient = await firstPass(new Error('socket hang up'));
  assert.deepEqual([transient.due! - transient.now, transient.failures], [1000, 1]);
});
