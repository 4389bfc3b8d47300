// At most `limit` Challenges are presented and validated at once (cert-manager's
// --max-concurrent-challenges). A Challenge holds a slot from the moment it is presented (route or
// TXT record) until it reaches a final state or is deleted; the others wait with state "pending",
// processing false and a reason, and start oldest first as slots free up, as cert-manager's
// challenge scheduler picks them.
// Slots are counted from the cache (status.presented or status.processing on a Challenge that is
// not final): a restart or a new leader counts the same. A slot granted to a pass that has not yet
// written presented/processing is held in memory until the Challenge is final or deleted, or for a while.
import { FINAL_ACME_STATES } from '../../../api/constants.ts';
import type { Challenge } from '../../../api/types.generated.ts';
import type { WatchedCache } from '../../../lib/kube/client.ts';
import { keyOf } from '../../controller.ts';

export interface ChallengeSlots {
  /** True: present it now. False: it waits; `start(key)` is called when a slot frees for it. */
  acquire(challenge: Challenge): boolean;
  readonly limit: number;
  /** Challenges holding a slot, and waiting. */
  counts(): { busy: number; waiting: number };
}

/** A slot granted to a pass that never marked its Challenge presented (it failed) is given back after this. */
const GRANT_TTL_MS = 60_000;

/** The Challenge is being presented or validated: it counts against the limit. */
export function holdsSlot(ch: Challenge): boolean {
  const st = ch.status ?? {};
  if (ch.metadata?.deletionTimestamp || (st.state && FINAL_ACME_STATES.has(st.state))) return false;
  return st.presented === true || st.processing === true;
}

const createdMs = (ch: Challenge) => new Date(ch.metadata?.creationTimestamp ?? 0).getTime() || 0;

export function createChallengeSlots(
  challenges: WatchedCache<Challenge>,
  limit: number,
  start: (key: string) => void,
  now: () => number = Date.now,
): ChallengeSlots {
  const busy = new Set<string>();
  const granted = new Map<string, number>(); // key -> granted at
  const waiting = new Map<string, number>(); // key -> creation time; the oldest starts first

  const busyCount = () => {
    const t = now();
    for (const [key, at] of granted) if (busy.has(key) || t - at > GRANT_TTL_MS) granted.delete(key);
    return busy.size + granted.size;
  };
  const oldestWaiting = (): string | undefined => {
    let oldest: string | undefined;
    let oldestMs = Infinity;
    for (const [key, ms] of waiting) if (ms < oldestMs || (ms === oldestMs && key < oldest!)) [oldest, oldestMs] = [key, ms];
    return oldest;
  };
  const release = () => {
    while (busyCount() < limit) {
      const key = oldestWaiting();
      if (key === undefined) return;
      waiting.delete(key);
      granted.set(key, now());
      start(key);
    }
  };
  const observe = (ch: Challenge) => {
    const key = keyOf(ch);
    if (holdsSlot(ch)) {
      busy.add(key);
      granted.delete(key);
      waiting.delete(key);
      return;
    }
    // A Challenge validated quickly may reach its final state without ever writing presented or
    // processing (reconcile.ts): its in-memory grant ends there too.
    const final = !!ch.status?.state && FINAL_ACME_STATES.has(ch.status.state);
    if (busy.delete(key) || (final && granted.delete(key))) release();
  };
  for (const ch of challenges.list()) observe(ch);
  challenges.on('add', observe);
  challenges.on('update', observe);
  challenges.on('delete', (ch: Challenge) => {
    const key = keyOf(ch);
    waiting.delete(key);
    const wasGranted = granted.delete(key);
    if (busy.delete(key) || wasGranted) release();
  });

  return {
    limit,
    acquire(ch) {
      const key = keyOf(ch);
      if (busy.has(key) || granted.has(key)) return true;
      if (busyCount() < limit && oldestWaiting() === undefined) {
        granted.set(key, now());
        return true;
      }
      waiting.set(key, createdMs(ch));
      release(); // a free slot goes to the oldest waiting Challenge, maybe this one
      return granted.has(key);
    },
    counts: () => ({ busy: busyCount(), waiting: waiting.size }),
  };
}
