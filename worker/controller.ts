// The shape every worker controller shares: a named WorkQueue of "namespace/name" keys, a
// reconcile that re-reads state from the caches, a sync counter, and an initial resync on start
// (caches may already be full when the controller starts, e.g. after winning leader election).
import type { KubernetesObject } from '@kubernetes/client-node';
import { classifyError } from '../lib/reconcile-errors.ts';
import type { Logger } from '../lib/log.ts';
import { Priority, WorkQueue, type ReconcileResult } from '../lib/workqueue.ts';
import type { Controller, WorkerContext } from './context.ts';

interface ControllerOptions {
  name: string;
  reconcile(key: string, log: Logger): Promise<ReconcileResult>;
  /** Keys to process when the controller starts. */
  initialKeys(): string[];
  concurrency?: number;
  /** Retry schedule for reconcile errors; RECONCILE_BACKOFF unless the controller's errors come from elsewhere (e.g. an ACME CA). */
  backoff?: { baseMs: number; maxMs: number };
}

export interface QueueController extends Controller {
  readonly queue: WorkQueue;
  /** One reconcile of key outside the queue, with the queue's error handling: what table tests drive. */
  sync(key: string): Promise<ReconcileResult>;
  enqueue(obj: KubernetesObject | undefined, priority?: Priority): void;
}

/** Backoff for transient reconcile errors (conflicts, API hiccups); issuance failures have their own, longer backoff. */
export const RECONCILE_BACKOFF = Object.freeze({ baseMs: 200, maxMs: 60_000 });

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function keyOf(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${obj.metadata!.name}` : obj.metadata!.name!;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** What a queue controller needs from the worker; the rest of WorkerContext is its reconcile's business. */
export type QueueControllerContext = Pick<WorkerContext, 'log' | 'clock' | 'metrics'>;

export function createQueueController(ctx: QueueControllerContext, opts: ControllerOptions): QueueController {
  const log = ctx.log.child({ controller: opts.name });
  /** One pass over key as the queue runs it: the reconcile, with its failure turned into a schedule. */
  const sync = async (key: string): Promise<ReconcileResult> => {
    ctx.metrics.controllerSyncCalls.inc({ controller: opts.name });
    const { namespace, name } = splitKey(key);
    try {
      return await opts.reconcile(key, lazyChild(log, { namespace, name }));
    } catch (e) {
      // The one place that turns a failure's kind into a schedule (lib/reconcile-errors.ts).
      const disposition = classifyError(e);
      switch (disposition.kind) {
        case 'retry-at':
          log.debug({ key, retryInMs: disposition.afterMs, err: errorText(e) }, 'retrying at a known time');
          return { requeueAfterMs: disposition.afterMs };
        case 'terminal':
          // Recorded on the object by the reconciler; a change of the object brings the key back.
          log.info({ key, err: errorText(e) }, 'not retried: fixing it needs a change');
          return;
        case 'transient':
          throw e; // the queue's exponential backoff
      }
    }
  };
  const queue = new WorkQueue({
    name: opts.name,
    clock: ctx.clock,
    concurrency: opts.concurrency ?? 2,
    backoff: opts.backoff ?? RECONCILE_BACKOFF,
    log,
    reconcile: sync,
  });
  return {
    name: opts.name,
    queue,
    sync,
    enqueue(obj, priority) {
      if (obj?.metadata?.name) queue.add(keyOf(obj), priority);
    },
    start() {
      // The resync of everything cached goes behind news from the watches.
      for (const key of opts.initialKeys()) queue.add(key, Priority.Low);
      queue.start();
    },
    stop: () => queue.stop(),
    whenIdle: () => queue.whenIdle(),
  };
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/**
 * log.child(bindings), built when first used for a message the level lets through: a pino child
 * serialises its bindings when made, and with 10,000 Certificates most passes log nothing.
 */
function lazyChild(log: Logger, bindings: Record<string, string | undefined>): Logger {
  let child: Logger | undefined;
  const noop = () => {};
  return new Proxy(log, {
    get(_, prop) {
      if (typeof prop === 'string' && LEVELS.has(prop) && !log.isLevelEnabled(prop)) return noop;
      child ??= log.child(bindings);
      const value = Reflect.get(child, prop, child) as unknown;
      return typeof value === 'function' ? value.bind(child) : value;
    },
  });
}

/** The owner of obj with the given kind that is its controller, if any. */
export function controllerOwner(obj: KubernetesObject, kind: string): string | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.kind === kind && r.controller);
  return ref?.name;
}
