// Time as a dependency: controllers and queues take a Clock so tests can move time by hand
// instead of sleeping or mocking globals.
export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(cb: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const realClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (cb: () => void, ms: number): TimerHandle => {
    // Node timers overflow above 2^31-1 ms (about 24.8 days) and then fire at once: chain shorter waits.
    const MAX = 2 ** 31 - 1;
    if (ms <= MAX) return setTimeout(cb, Math.max(0, ms));
    const handle: { t?: NodeJS.Timeout } = {};
    const due = Date.now() + ms;
    const step = () => {
      const left = due - Date.now();
      handle.t = left > MAX ? setTimeout(step, MAX) : setTimeout(cb, Math.max(0, left));
    };
    step();
    return handle;
  },
  clearTimeout: (handle: TimerHandle) => {
    if (handle && typeof handle === 'object' && 't' in (handle as object)) clearTimeout((handle as { t?: NodeJS.Timeout }).t);
    else clearTimeout(handle as NodeJS.Timeout);
  },
});

/** A clock that only moves when told to: advance(ms) fires every timer that becomes due, in order. */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; cb: () => void }>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { due: this.current + Math.max(0, ms), cb });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Number of timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: [number, { due: number; cb: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].due <= target && (!next || entry[1].due < next[1].due)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.current = Math.max(this.current, next[1].due);
      next[1].cb();
    }
    this.current = target;
  }
}
