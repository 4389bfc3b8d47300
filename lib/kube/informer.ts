// The one list+watch cache every certgate process uses (worker, webhook, solver). It owns the watch
// lifecycle so that no process can freeze after an API server restart:
// - list, then watch from the list's resourceVersion (bookmarks keep that version fresh);
// - a watch that fails or ends is restarted after a capped, jittered exponential backoff;
// - 410 Gone/Expired (HTTP 410, or HTTP 200 then an ERROR event with a 410 Status, as the real
//   server answers) relists, and the relist turns into add/update/delete events for what changed
//   or vanished during the gap;
// - staleFor() says how long the cache has not been known to be current, for /readyz.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { childLogger, type Logger } from '../log.ts';
import { StringPool } from './shared-strings.ts';

export type CacheVerb = 'add' | 'update' | 'delete';

export interface WatchedCache<T extends KubernetesObject> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): ReadonlyArray<T>;
  on(verb: CacheVerb, cb: (obj: T) => void): void;
  on(verb: 'error', cb: (err?: unknown) => void): void;
  /** Resolves once the first list has filled the cache (retrying with backoff until it does), or on stop(). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True once a list has filled the cache. */
  readonly synced: boolean;
  /** Milliseconds since the cache was last known current: 0 while a watch is open. */
  staleFor(): number;
}

/** The streaming half of client-node's Watch (the class itself in production, fakes never needed: tests use the embedded server). */
interface WatchStarter {
  watch(path: string, query: Record<string, unknown>, onEvent: (type: string, obj: any) => void, done: (err: unknown) => void): Promise<AbortController>;
}

interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A watch that stayed open this long counts as healthy: the next failure starts again from initialMs. */
  healthyAfterMs: number;
}

/** How long a cache may go without an open watch or a fresh list before /readyz fails (each process's --cache-stale-after). */
export const DEFAULT_STALE_AFTER_MS = 60_000;

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: 500, maxMs: 30_000, healthyAfterMs: 10_000 });

interface InformerOptions<T extends KubernetesObject> {
  /** Collection path, e.g. /apis/cert-manager.io/v1/certificates */
  path: string;
  list(): Promise<KubernetesListObject<T>>;
  watch: WatchStarter;
  labelSelector?: string;
  fieldSelector?: string;
  backoff?: Partial<BackoffPolicy>;
  /** Server-side timeout of each watch; default a random 5–10 minutes, as client-go does, so watches do not end in step. */
  watchTimeoutSeconds?: number;
  /** How long a watch may take to answer with its headers before it counts as failed (default 30 s, like a request). */
  watchOpenTimeoutMs?: number;
  log?: Logger;
  now?: () => number;
  random?: () => number;
}

type WatchOutcome = { kind: 'expired' } | { kind: 'ended' } | { kind: 'failed'; err: unknown };

const isGoneCode = (code: unknown): boolean => code === 410;

/** Shared by every cache of the process: the CA certificate in Secrets and CertificateRequests is one string. */
const sharedStrings = new StringPool();

/** A delay before the attempt after `failures` failures in a row: exponential, capped, with jitter (half fixed, half random). */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(failures, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}

export class Informer<T extends KubernetesObject> implements WatchedCache<T> {
  private readonly objects = new Map<string, Map<string, T>>(); // namespace ('' = cluster) -> name -> object
  private readonly handlers = {
    add: [] as Array<(o: T) => void>,
    update: [] as Array<(o: T) => void>,
    delete: [] as Array<(o: T) => void>,
    error: [] as Array<(e?: unknown) => void>,
  };
  private readonly backoff: BackoffPolicy;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private resourceVersion = '';
  private stopped = true;
  private loop?: Promise<void>;
  private synced_ = false;
  private syncWaiters: Array<() => void> = [];
  private watching = false;
  private lastCurrent: number;
  private abortWatch?: () => void;
  private wake?: () => void;

  constructor(private readonly opts: InformerOptions<T>) {
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.log = opts.log ?? childLogger({ component: 'informer', path: opts.path });
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.lastCurrent = this.now();
  }

  get synced(): boolean {
    return this.synced_;
  }

  staleFor(): number {
    return this.watching ? 0 : Math.max(0, this.now() - this.lastCurrent);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ?? '')?.get(name);
  }

  list(namespace?: string): ReadonlyArray<T> {
    if (namespace) return [...(this.objects.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const bucket of this.objects.values()) all.push(...bucket.values());
    return all;
  }

  on(verb: CacheVerb, cb: (obj: T) => void): void;
  on(verb: 'error', cb: (err?: unknown) => void): void;
  on(verb: CacheVerb | 'error', cb: (arg: any) => void): void {
    if (!(verb in this.handlers)) throw new Error(`unknown cache event: ${verb}`);
    this.handlers[verb].push(cb);
  }

  start(): Promise<void> {
    if (this.stopped) {
      this.stopped = false;
      this.loop = this.run();
    }
    return this.synced_ || this.stopped ? Promise.resolve() : new Promise<void>((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    this.wake?.();
    this.releaseSyncWaiters();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (!this.resourceVersion) {
        try {
          await this.relist();
          failures = 0;
        } catch (err) {
          this.report(err, 'list failed');
          await this.pause(failures++);
          continue;
        }
        if (this.stopped) break;
      }
      const openedAt = this.now();
      const outcome = await this.watchOnce();
      if (this.stopped) break;
      if (outcome.kind === 'expired') {
        // The version we hold is older than the server's history: only a fresh list is right.
        this.log.info({ resourceVersion: this.resourceVersion }, 'watch expired (410); relisting');
        this.resourceVersion = '';
        continue;
      }
      if (outcome.kind === 'failed') this.report(outcome.err, 'watch failed; restarting');
      if (this.now() - openedAt >= this.backoff.healthyAfterMs) failures = 0;
      await this.pause(failures++);
    }
  }

  /** Replaces the cache with a fresh list: new objects are added, changed ones updated, vanished ones deleted. */
  private async relist(): Promise<void> {
    const list = await this.opts.list();
    const fresh = new Map<string, Map<string, T>>();
    for (const o of list.items ?? []) {
      const ns = o.metadata?.namespace ?? '';
      let bucket = fresh.get(ns);
      if (!bucket) fresh.set(ns, (bucket = new Map()));
      bucket.set(o.metadata?.name ?? '', o);
    }
    for (const [ns, bucket] of [...this.objects]) {
      for (const [name, old] of [...bucket]) if (!fresh.get(ns)?.has(name)) this.remove(old);
    }
    for (const o of list.items ?? []) this.upsert(o);
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.lastCurrent = this.now();
    if (!this.synced_) {
      this.synced_ = true;
      this.releaseSyncWaiters();
    }
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      let settled = false;
      let expired = false;
      let controller: AbortController | undefined;
      const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.floor(300 * (1 + this.random()));
      // A connection that dies silently (no FIN, no RST) would keep us "watching" forever: the
      // server ends every watch after timeoutSeconds, so one still open well after that is dead.
      const watchdog = setTimeout(
        () => {
          controller?.abort();
          finish({ kind: 'failed', err: new Error(`watch still open ${timeoutSeconds + 30} s after its ${timeoutSeconds} s timeout`) });
        },
        (timeoutSeconds + 30) * 1000,
      );
      // client-node hands out the watch's AbortController only once the server has answered: a
      // watch whose answer never comes (a connection stuck in its TLS handshake) cannot be aborted,
      // so give up on it here and abort it if it ever answers.
      const openTimer = setTimeout(() => finish({ kind: 'failed', err: new Error('watch not answered in time') }), this.opts.watchOpenTimeoutMs ?? 30_000);
      const finish = (outcome: WatchOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(watchdog);
        clearTimeout(openTimer);
        if (this.watching) this.lastCurrent = this.now();
        this.watching = false;
        this.abortWatch = undefined;
        controller?.abort();
        resolve(outcome);
      };
      // stop() ends this attempt at once, whether or not the watch has answered yet.
      this.abortWatch = () => finish({ kind: 'ended' });
      const onEvent = (type: string, obj: any) => {
        if (type === 'ERROR') {
          if (isGoneCode(obj?.code)) expired = true;
          else finish({ kind: 'failed', err: new Error(`watch ERROR event: ${obj?.message ?? JSON.stringify(obj)}`) });
          controller?.abort();
          return;
        }
        this.apply(type, obj);
      };
      const done = (err: unknown) => {
        if (expired || isGoneCode((err as { statusCode?: unknown })?.statusCode)) finish({ kind: 'expired' });
        else if (err && !this.stopped && (err as Error).name !== 'AbortError') finish({ kind: 'failed', err });
        else finish({ kind: 'ended' });
      };
      const query: Record<string, unknown> = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      };
      this.opts.watch.watch(this.opts.path, query, onEvent, done).then(
        (c) => {
          controller = c;
          clearTimeout(openTimer);
          if (settled || expired || this.stopped) return c.abort();
          this.watching = true;
          this.lastCurrent = this.now();
        },
        (err) => finish({ kind: 'failed', err }),
      );
    });
  }

  private apply(type: string, obj: T): void {
    if (type === 'ADDED' || type === 'MODIFIED') this.upsert(obj);
    else if (type === 'DELETED') this.remove(obj);
    else if (type !== 'BOOKMARK') return;
    const rv = obj?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
  }

  private upsert(obj: T): void {
    obj = withoutFieldOwnership(obj);
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    let bucket = this.objects.get(ns);
    if (!bucket) this.objects.set(ns, (bucket = new Map()));
    const old = bucket.get(name);
    if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    sharedStrings.shareIn(obj);
    bucket.set(name, obj);
    this.emit(old ? 'update' : 'add', obj);
  }

  private remove(obj: T): void {
    const ns = obj.metadata?.namespace ?? '';
    const bucket = this.objects.get(ns);
    if (!bucket?.delete(obj.metadata?.name ?? '')) return;
    if (bucket.size === 0) this.objects.delete(ns);
    this.emit('delete', obj);
  }

  private emit(verb: CacheVerb, obj: T): void {
    for (const cb of [...this.handlers[verb]]) {
      try {
        cb(obj);
      } catch (err) {
        this.log.error({ err: String(err), verb }, 'cache handler threw');
      }
    }
  }

  private report(err: unknown, msg: string): void {
    if (this.stopped) return;
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, msg);
    for (const cb of [...this.handlers.error]) cb(err);
  }

  private pause(failures: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(
        () => {
          this.wake = undefined;
          resolve();
        },
        backoffDelay(failures, this.backoff, this.random),
      );
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private releaseSyncWaiters(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w();
  }
}

/**
 * obj without metadata.managedFields, in place. Field ownership is for server-side apply; no
 * reader of a cache needs it, and it is often the larger part of a small object (a PUT without it
 * leaves the server's copy as it is). metadata is rebuilt without it, not `delete`d from: V8 turns
 * an object that loses a property other than its last into a hash table, about 500 bytes more per
 * cached object (the embedded API server sends resourceVersion after managedFields).
 */
export function withoutFieldOwnership<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) {
    const { managedFields: _ownership, ...metadata } = obj.metadata;
    obj.metadata = metadata;
  }
  return obj;
}

/** Names of the caches not known current for longer than `thresholdMs` (or never synced), for /readyz. */
export function staleCaches(caches: Record<string, Pick<WatchedCache<KubernetesObject>, 'synced' | 'staleFor'>>, thresholdMs: number): string[] {
  return Object.entries(caches)
    .filter(([, c]) => !c.synced || c.staleFor() > thresholdMs)
    .map(([name]) => name);
}

/** What /readyz says about stale caches. */
export function staleReason(names: string[], thresholdMs: number): string {
  return `caches not synced or without a working watch for over ${Math.round(thresholdMs / 1000)} s: ${names.join(', ')}`;
}
