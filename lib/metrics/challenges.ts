// ACME Challenges by type and state, counted from the worker's cache when scraped (no bookkeeping
// on the reconcile path). Every type and state is exported, zeros included, so a dashboard shows 0
// rather than "no data"; a follower (no cache) exports nothing.
import { Gauge, type Registry } from 'prom-client';
import type { Challenge } from '../../api/types.generated.ts';

const TYPES = ['HTTP-01', 'DNS-01'] as const;
/** cert-manager's ACME states; "unknown" is a Challenge the worker has not processed yet. */
const STATES = ['unknown', 'pending', 'processing', 'ready', 'valid', 'invalid', 'expired', 'errored'] as const;

export interface ChallengeMetrics {
  /** Counts these Challenges on every scrape, until untrack(). */
  track(list: () => readonly Challenge[]): void;
  untrack(): void;
}

export function registerChallengeMetrics(registry: Registry): ChallengeMetrics {
  let source: (() => readonly Challenge[]) | undefined;
  new Gauge({
    name: 'certgate_acme_challenges',
    help: 'ACME Challenges by type (HTTP-01, DNS-01) and state (unknown until processed, then the ACME state).',
    labelNames: ['type', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      if (!source) return;
      const counts = new Map<string, number>();
      for (const ch of source()) {
        const key = `${ch.spec.type}|${ch.status?.state || 'unknown'}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const type of TYPES) for (const state of STATES) this.set({ type, state }, counts.get(`${type}|${state}`) ?? 0);
    },
  });
  return {
    track: (list) => void (source = list),
    untrack: () => void (source = undefined),
  };
}
