import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from './clock.ts';
import { Priority, WorkQueue } from './workqueue.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkQueue', () => {
  it('de-duplicates keys added before they are processed', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ name: 't', reconcile: async (k) => void seen.push(k) });
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    q.start();
    await q.whenIdle();
    assert.deepEqual(seen, ['a', 'b']);
    await q.stop();
  });

  it('serves High before Normal before Low, FIFO within a tier, and moves a re-added key up', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ name: 't', reconcile: async (k) => void seen.push(k) });
    for (let i = 0; i < 3; i++) q.add(`resync-${i}`, Priority.Low);
    q.add('news-a');
    q.add('urgent-a', Priority.High);
    q.add('news-b');
    q.add('resync-2', Priority.High); // the user now waits on this one
    q.add('urgent-a', Priority.Low); // a worse priority never demotes
    q.start();
    await q.whenIdle();
    assert.deepEqual(seen, ['urgent-a', 'resync-2', 'news-a', 'news-b', 'resync-0', 'resync-1']);
    await q.stop();
  });

  it('never runs a key twice at once; an add during processing re-runs it once afterwards', async () => {
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const q = new WorkQueue({
      name: 't',
      concurrency: 4,
      reconcile: async () => {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (calls === 1) await gate;
        running--;
      },
    });
    q.start();
    q.add('k');
    await tick();
    q.add('k');
    q.add('k');
    q.add('k');
    await tick();
    assert.equal(calls, 1);
    release();
    await q.whenIdle();
    await tick();
    await q.whenIdle();
    assert.equal(calls, 2);
    assert.equal(maxRunning, 1);
    await q.stop();
  });

  it('runs different keys concurrently up to the limit', async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue({
      name: 't',
      concurrency: 2,
      reconcile: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
      },
    });
    q.start();
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    await q.whenIdle();
    assert.equal(maxRunning, 2);
    await q.stop();
  });

  it('addAfter fires at the due time; the earlier of two delays wins', async () => {
    const clock = new ManualClock();
    const seen: Array<[string, number]> = [];
    const q = new WorkQueue({ name: 't', clock, reconcile: async (k) => void seen.push([k, clock.now()]) });
    const t0 = clock.now();
    q.start();
    q.addAfter('late', 5000);
    q.addAfter('x', 3000);
    q.addAfter('x', 1000); // earlier wins
    q.addAfter('x', 4000); // later is ignored
    assert.equal(clock.pending, 1, 'one timer serves every delayed key');
    clock.advance(999);
    await q.whenIdle();
    assert.deepEqual(seen, []);
    clock.advance(1);
    await q.whenIdle();
    assert.deepEqual(seen, [['x', t0 + 1000]]);
    clock.advance(4000);
    await q.whenIdle();
    assert.deepEqual(seen, [
      ['x', t0 + 1000],
      ['late', t0 + 5000],
    ]);
    await q.stop();
  });

  it('a throw backs off exponentially per key up to the max; success resets', async () => {
    const clock = new ManualClock();
    let failUntil = 4;
    const runs: number[] = [];
    const q = new WorkQueue({
      name: 't',
      clock,
      backoff: { baseMs: 100, maxMs: 400 },
      reconcile: async () => {
        runs.push(clock.now());
        if (runs.length <= failUntil) throw new Error('boom');
      },
    });
    const t0 = clock.now();
    q.start();
    q.add('k');
    await q.whenIdle();
    for (const step of [100, 200, 400, 400]) {
      assert.equal(q.dueAt('k'), clock.now() + step);
      clock.advance(step);
      await q.whenIdle();
    }
    assert.deepEqual(
      runs.map((t) => t - t0),
      [0, 100, 300, 700, 1100],
    );
    assert.equal(q.failuresOf('k'), 0);
    assert.equal(q.dueAt('k'), undefined);
    failUntil = 6; // next failure starts again at base
    q.add('k');
    await q.whenIdle();
    assert.equal(q.dueAt('k'), clock.now() + 100);
    await q.stop();
  });

  it('requeueAfterMs schedules the next run; stop cancels pending work', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const q = new WorkQueue({ name: 't', clock, reconcile: async () => (calls++, { requeueAfterMs: 60_000 }) });
    q.start();
    q.add('k');
    await q.whenIdle();
    assert.equal(calls, 1);
    clock.advance(60_000);
    await q.whenIdle();
    assert.equal(calls, 2);
    await q.stop();
    clock.advance(120_000);
    await tick();
    assert.equal(calls, 2);
    assert.equal(clock.pending, 0);
  });
});
