// Kubernetes Events (core/v1) for `kubectl describe`: one per step a user cares about.
// Repeats of the same (object, type, reason, message) within the aggregation window bump
// `count` and `lastTimestamp` on the existing Event instead of creating a new one, like
// client-go's EventCorrelator. Recording never throws: a lost Event must not fail a reconcile.
import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import { realClock, type Clock } from './clock.ts';
import { isNotFound, type KubeClient } from './kube/client.ts';
import { childLogger, type Logger } from './log.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Records an Event about obj. Fire and forget; flush() waits for writes in flight. */
  event(obj: KubernetesObject, type: EventType, reason: string, message: string): void;
  flush(): Promise<void>;
}

interface EventRecorderOptions {
  client: KubeClient;
  component: string; // source.component, e.g. "certgate-worker"
  clock?: Clock;
  log?: Logger;
  aggregateWindowMs?: number; // default 10 minutes
  /** How many recent (object, type, reason, message) keys are remembered for aggregation (default 4096, as client-go's correlator). */
  rememberedKeys?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  lastSeenMs: number;
}

export function createEventRecorder(opts: EventRecorderOptions): EventRecorder {
  const clock = opts.clock ?? realClock;
  const logger = opts.log ?? childLogger({ component: 'events' });
  const windowMs = opts.aggregateWindowMs ?? 10 * 60_000;
  const limit = opts.rememberedKeys ?? 4096;
  // By a digest of the key (an object's kind, names, uid, reason and message run to hundreds of
  // characters), the most recent `limit` only: with thousands of Certificates in flight, every
  // Event of the window would otherwise stay in memory for its ten minutes.
  const seen = new Map<string, Seen>();
  const inFlight = new Set<Promise<void>>();
  // Serialise writes per aggregation key so a burst of repeats increments count instead of racing creates.
  const chains = new Map<string, Promise<void>>();

  async function write(obj: KubernetesObject, type: EventType, reason: string, message: string, key: string): Promise<void> {
    const now = clock.now();
    const digest = createHash('sha256').update(key).digest('hex');
    const stamp = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    const namespace = obj.metadata?.namespace || 'default';
    const prior = seen.get(digest);
    if (prior && now - prior.lastSeenMs < windowMs) {
      prior.count++;
      prior.lastSeenMs = now;
      // Re-insert: `seen` stays ordered by lastSeenMs, so expiry only ever looks at its head.
      seen.delete(digest);
      seen.set(digest, prior);
      try {
        await opts.client.patch(Resources.Event, prior.namespace, prior.name, { count: prior.count, lastTimestamp: stamp });
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        // Event expired (TTL) or was deleted: create a fresh one below.
      }
    }
    const name = `${obj.metadata?.name ?? 'unknown'}.${now.toString(16)}${digest.slice(0, 6)}`;
    await opts.client.create(Resources.Event, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata?.name,
        namespace: obj.metadata?.namespace,
        uid: obj.metadata?.uid,
        resourceVersion: obj.metadata?.resourceVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      source: { component: opts.component },
      reportingComponent: opts.component,
    } as KubernetesObject);
    seen.delete(digest);
    seen.set(digest, { name, namespace, count: 1, lastSeenMs: now });
    // Oldest first: drop expired entries (and those beyond the limit) from the head, O(1) per Event.
    for (const [k, v] of seen) {
      if (now - v.lastSeenMs < windowMs && seen.size <= limit) break;
      seen.delete(k);
    }
  }

  return {
    event(obj, type, reason, message) {
      const key = [obj.kind, obj.metadata?.namespace ?? '', obj.metadata?.name ?? '', obj.metadata?.uid ?? '', type, reason, message].join('\u0000');
      const prev = chains.get(key) ?? Promise.resolve();
      const p: Promise<void> = prev
        .then(() => write(obj, type, reason, message, key))
        .catch((err) => logger.warn({ err: err instanceof Error ? err.message : String(err), reason, object: obj.metadata?.name }, 'could not record event'))
        .finally(() => {
          inFlight.delete(p);
          if (chains.get(key) === p) chains.delete(key);
        });
      chains.set(key, p);
      inFlight.add(p);
    },
    async flush() {
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}
