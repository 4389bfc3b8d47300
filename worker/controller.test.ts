import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { ManualClock } from '../lib/clock.ts';
import { KubeApiError } from '../lib/kube/client.ts';
import { createWorkerMetrics } from '../lib/metrics/worker.ts';
import { createQueueController, RECONCILE_BACKOFF, type QueueControllerContext } from './controller.ts';

const KEY = 'ns/a';

function context(): QueueControllerContext & { clock: ManualClock } {
  return { log: pino({ level: 'silent' }), clock: new ManualClock(), metrics: createWorkerMetrics() };
}

/** Lets the first reconcile run, then moves the clock to each retry; returns the retry delays seen. */
async function retryDelays(ctx: ReturnType<typeof context>, ctrl: ReturnType<typeof createQueueController>, count: number): Promise<number[]> {
  const delays: number[] = [];
  ctrl.start();
  for (let i = 0; i < count; i++) {
    await ctrl.queue.whenIdle();
    const due = ctrl.queue.dueAt(KEY);
    assert.ok(due !== undefined, `retry ${i + 1} was scheduled`);
    delays.push(due - ctx.clock.now());
    ctx.clock.advance(due - ctx.clock.now());
  }
  await ctrl.stop();
  return delays;
}

describe('createQueueController', () => {
  it("a reconcile's logger carries the key's namespace and name; messages below the level are dropped", async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const ctrl = createQueueController(
      { ...context(), log },
      {
        name: 'logging',
        initialKeys: () => [],
        reconcile: async (_key, keyLog) => {
          keyLog.debug('below the level');
          keyLog.child({ step: 'sign' }).info('signed');
        },
      },
    );
    await ctrl.sync(KEY);
    assert.equal(lines.length, 1, lines.join(''));
    const entry = JSON.parse(lines[0]);
    assert.deepEqual([entry.controller, entry.namespace, entry.name, entry.step, entry.msg], ['logging', 'ns', 'a', 'sign', 'signed']);
  });

  it('retries a failing key on RECONCILE_BACKOFF by default, doubling each time', async () => {
    const ctx = context();
    const ctrl = createQueueController(ctx, {
      name: 'default-backoff',
      initialKeys: () => [KEY],
      reconcile: async () => {
        throw new Error('API server hiccup');
      },
    });
    const delays = await retryDelays(ctx, ctrl, 3);
    assert.deepEqual(delays, [RECONCILE_BACKOFF.baseMs, RECONCILE_BACKOFF.baseMs * 2, RECONCILE_BACKOFF.baseMs * 4]);
  });

  it('retries on the backoff the controller asks for, capped at its maximum', async () => {
    const ctx = context();
    const ctrl = createQueueController(ctx, {
      name: 'own-backoff',
      backoff: { baseMs: 1000, maxMs: 3000 },
      initialKeys: () => [KEY],
      reconcile: async () => {
        throw new Error('CA unavailable');
      },
    });
    assert.deepEqual(await retryDelays(ctx, ctrl, 4), [1000, 2000, 3000, 3000]);
  });

  it('retries a conflict after 100 ms without counting it as a failure, whatever the backoff', async () => {
    const ctx = context();
    let calls = 0;
    const ctrl = createQueueController(ctx, {
      name: 'conflict',
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      initialKeys: () => [KEY],
      reconcile: async () => {
        if (++calls === 1) throw new KubeApiError(409, 'Conflict', 'the object has been modified', {});
      },
    });
    ctrl.start();
    await ctrl.queue.whenIdle();
    assert.equal(ctrl.queue.dueAt(KEY), ctx.clock.now() + 100);
    assert.equal(ctrl.queue.failuresOf(KEY), 0);
    ctx.clock.advance(100);
    await ctrl.queue.whenIdle();
    assert.equal(calls, 2);
    assert.equal(ctrl.queue.dueAt(KEY), undefined, 'a pass that succeeds is not retried');
    await ctrl.stop();
    const synced = await ctx.metrics.controllerSyncCalls.get();
    assert.equal(synced.values.find((v) => v.labels.controller === 'conflict')?.value, 2);
  });
});
