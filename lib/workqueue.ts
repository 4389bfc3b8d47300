// De-duplicating work queue with delayed adds and per-key exponential backoff, the shape of
// client-go's workqueue. A key is "namespace/name" (or "name" for cluster-scoped objects).
// - A key is never processed by two workers at once; adding a key while it is processed
//   re-runs it once afterwards.
// - addAfter keeps the earliest due time per key in a min-heap served by a single timer, so
//   thousands of renewal times cost one timer, never a periodic scan.
// - A throw backs off exponentially (per key); success resets the key's failure count.
// - Ready keys wait in three priority tiers (FIFO within each): High for work in progress that
//   the user waits on, Normal for news from watches, Low for resyncs (every key at start). Adding a
//   waiting key again with a better priority moves it up.
import { realClock, type Clock, type TimerHandle } from './clock.ts';
import { childLogger, type Logger } from './log.ts';

export type ReconcileResult = void | { requeueAfterMs: number };

interface WorkQueueOptions {
  name: string;
  reconcile(key: string): Promise<ReconcileResult>;
  concurrency?: number;
  backoff?: { baseMs: number; maxMs: number };
  clock?: Clock;
  log?: Logger;
}

const DEFAULT_BACKOFF = { baseMs: 100, maxMs: 60_000 };

export const Priority = Object.freeze({ High: 0, Normal: 1, Low: 2 });
export type Priority = (typeof Priority)[keyof typeof Priority];

/** De-duplicated keys in priority tiers, insertion-ordered within a tier. */
class ReadyTiers {
  private readonly tiers: Array<Set<string>> = [new Set(), new Set(), new Set()];
  private readonly tierOf = new Map<string, Priority>();

  add(key: string, priority: Priority): void {
    const current = this.tierOf.get(key);
    if (current !== undefined && current <= priority) return;
    if (current !== undefined) this.tiers[current].delete(key);
    this.tiers[priority].add(key);
    this.tierOf.set(key, priority);
  }

  shift(): string | undefined {
    for (const tier of this.tiers) {
      for (const key of tier) {
        tier.delete(key);
        this.tierOf.delete(key);
        return key;
      }
    }
    return undefined;
  }

  get size(): number {
    return this.tierOf.size;
  }

  clear(): void {
    for (const tier of this.tiers) tier.clear();
    this.tierOf.clear();
  }
}

/** Earliest due time per key, kept in a binary min-heap with lazy deletion of superseded entries. */
export class DueHeap {
  private readonly heap: Array<{ due: number; key: string }> = [];
  readonly dueByKey = new Map<string, number>();

  /** Records key as due at `due` unless it is already due earlier. Returns true when the earliest time changed. */
  push(key: string, due: number): boolean {
    const current = this.dueByKey.get(key);
    if (current !== undefined && current <= due) return false;
    this.dueByKey.set(key, due);
    this.heap.push({ due, key });
    this.up(this.heap.length - 1);
    return true;
  }

  peekDue(): number | undefined {
    this.dropStale();
    return this.heap[0]?.due;
  }

  /** Removes and returns every key due at or before now. */
  popDue(now: number): string[] {
    const out: string[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.due > now) return out;
      this.popTop();
      this.dueByKey.delete(top.key);
      out.push(top.key);
    }
  }

  /** Removes and returns the key due first, whenever that is. */
  shift(): string | undefined {
    this.dropStale();
    const top = this.heap[0];
    if (!top) return undefined;
    this.popTop();
    this.dueByKey.delete(top.key);
    return top.key;
  }

  /** Forgets key (its heap entry is dropped when it reaches the top). */
  remove(key: string): void {
    this.dueByKey.delete(key);
  }

  get size(): number {
    return this.dueByKey.size;
  }

  clear(): void {
    this.heap.length = 0;
    this.dueByKey.clear();
  }

  private dropStale(): void {
    while (this.heap.length && this.dueByKey.get(this.heap[0].key) !== this.heap[0].due) this.popTop();
  }

  private popTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.heap[p].due <= this.heap[i].due) return;
      [this.heap[p], this.heap[i]] = [this.heap[i], this.heap[p]];
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.heap[l].due < this.heap[m].due) m = l;
      if (r < n && this.heap[r].due < this.heap[m].due) m = r;
      if (m === i) return;
      [this.heap[m], this.heap[i]] = [this.heap[i], this.heap[m]];
      i = m;
    }
  }
}

export class WorkQueue {
  readonly name: string;
  private readonly reconcile: (key: string) => Promise<ReconcileResult>;
  private readonly concurrency: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly clock: Clock;
  private readonly log: Logger;

  private readonly ready = new ReadyTiers();
  private readonly processing = new Set<string>();
  private readonly dirty = new Map<string, Priority>(); // added while processing: run again afterwards
  private readonly delayed = new DueHeap();
  private readonly failures = new Map<string, number>();
  private timer: TimerHandle | undefined;
  private timerDue: number | undefined;
  private running = false;
  private active = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.reconcile = opts.reconcile;
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? childLogger({ queue: opts.name });
  }

  add(key: string, priority: Priority = Priority.Normal): void {
    if (this.processing.has(key)) {
      this.dirty.set(key, Math.min(priority, this.dirty.get(key) ?? priority) as Priority);
      return;
    }
    this.ready.add(key, priority);
    this.pump();
  }

  /** Adds key after delayMs; when the key is already waiting, the earlier time wins. */
  addAfter(key: string, delayMs: number): void {
    if (!(delayMs > 0)) return this.add(key);
    if (this.delayed.push(key, this.clock.now() + delayMs)) this.armTimer();
  }

  /** Consecutive failures of key (0 after a success). */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The time key is next due from a delayed add, if any (for tests and diagnostics). */
  dueAt(key: string): number | undefined {
    return this.delayed.dueByKey.get(key);
  }

  get length(): number {
    return this.ready.size;
  }

  /** Between start and stop. */
  get started(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.armTimer();
    this.pump();
  }

  /** Stops taking work, forgets pending keys and waits for reconciles in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = undefined;
    this.delayed.clear();
    this.ready.clear();
    this.dirty.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Resolves when no key is ready or being processed (delayed keys do not count). */
  whenIdle(): Promise<void> {
    if (this.active === 0 && this.ready.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private armTimer(): void {
    if (!this.running) return;
    const due = this.delayed.peekDue();
    if (due === undefined) return;
    if (this.timer !== undefined && this.timerDue !== undefined && this.timerDue <= due) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerDue = undefined;
      for (const key of this.delayed.popDue(this.clock.now())) this.add(key);
      this.armTimer();
    }, due - this.clock.now());
  }

  private pump(): void {
    while (this.running && this.active < this.concurrency) {
      const key = this.nextKey();
      if (key === undefined) break;
      this.active++;
      this.processing.add(key);
      const p = this.process(key).finally(() => {
        this.inFlight.delete(p);
      });
      this.inFlight.add(p);
    }
    this.notifyIdle();
  }

  private nextKey(): string | undefined {
    return this.ready.shift();
  }

  private async process(key: string): Promise<void> {
    let result: ReconcileResult = undefined;
    let failed = false;
    try {
      result = await this.reconcile(key);
    } catch (err) {
      failed = true;
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** (n - 1));
      this.log.warn({ key, err: errorMessage(err), failures: n, retryInMs: delay }, 'reconcile failed');
      if (this.running) this.addAfter(key, delay);
    } finally {
      this.processing.delete(key);
      this.active--;
    }
    if (!failed) {
      this.failures.delete(key);
      if (result && result.requeueAfterMs >= 0 && this.running) this.addAfter(key, result.requeueAfterMs);
    }
    const again = this.dirty.get(key);
    this.dirty.delete(key);
    if (again !== undefined && this.running) this.ready.add(key, again);
    this.pump();
  }

  private notifyIdle(): void {
    if (this.active === 0 && this.ready.size === 0 && this.idleWaiters.length) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
