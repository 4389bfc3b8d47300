// A clock for e2e tests that runs with real time plus an offset the test moves forward: "days
// later" for the worker without waiting days. Moving it re-arms every pending timer against the
// new time, so a renewal queued for "in three days" fires as soon as the clock passes it.
import { realClock, type Clock, type TimerHandle } from '../../lib/clock.ts';

export class ShiftedClock implements Clock {
  private offsetMs = 0;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; cb: () => void; handle: TimerHandle }>();

  now(): number {
    return Date.now() + this.offsetMs;
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.arm(id, this.now() + Math.max(0, ms), cb);
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    const t = this.timers.get(handle as number);
    if (t) realClock.clearTimeout(t.handle);
    this.timers.delete(handle as number);
  }

  /** Moves the clock forward to `atMs` (never back); timers now due fire at once. */
  advanceTo(atMs: number): void {
    const by = atMs - this.now();
    if (by <= 0) return;
    this.offsetMs += by;
    for (const [id, t] of [...this.timers]) {
      realClock.clearTimeout(t.handle);
      this.arm(id, t.due, t.cb);
    }
  }

  private arm(id: number, due: number, cb: () => void): void {
    const handle = realClock.setTimeout(
      () => {
        this.timers.delete(id);
        cb();
      },
      Math.max(0, due - this.now()),
    );
    this.timers.set(id, { due, cb, handle });
  }
}
