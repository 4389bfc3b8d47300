// At most `limit` Certificates are being issued at once (Issuing=True). The trigger parks the rest
// and starts them as slots free up: issuances a user is waiting on (a new Certificate, a changed
// spec) first, the most recent first; then renewals, due soonest first. With 10,000 Certificates
// this finishes pipelines one after another instead of moving all 10,000 through every stage
// together, and a Certificate applied meanwhile starts at the next free slot.
// Slots are counted from the cache (level-based: a restart or a new leader counts the same).
import type { Certificate } from '../../api/types.generated.ts';
import type { WatchedCache } from '../../lib/kube/client.ts';
import { DueHeap } from '../../lib/workqueue.ts';
import { keyOf } from '../controller.ts';
import { isIssuing } from './common.ts';

interface Waiting {
  /** A user waits on it (new Certificate, spec changed); otherwise a renewal. */
  urgent: boolean;
  /** Renewals: when due (ms since epoch); the soonest goes first. */
  dueMs: number;
}

interface IssuanceSlots {
  /** True: go ahead and start issuing. False: parked; `start(key)` is called when a slot frees. */
  acquire(key: string, waiting: Waiting): boolean;
  /** Give back a slot acquired by a pass that then found nothing to issue. */
  giveBack(key: string): void;
  /** Certificates issuing or granted a slot, and parked. */
  counts(): { busy: number; parked: number };
  /** A Certificate as this worker just wrote it (ahead of the cache): an issuance that ended frees its slot now. */
  seen(cert: Certificate): void;
}

/** A slot granted to a trigger pass that never set Issuing (it failed) is given back after this. */
const GRANT_TTL_MS = 60_000;

export function createIssuanceSlots(
  certificates: WatchedCache<Certificate>,
  limit: number,
  start: (key: string) => void,
  now: () => number = Date.now,
  /** The newest version known of a Certificate the cache reports: a lagging watch must not restart an issuance our own write ended. */
  newest: (cert: Certificate) => Certificate = (cert) => cert,
): IssuanceSlots {
  const issuing = new Set<string>();
  const granted = new Map<string, number>(); // key -> granted at
  const urgent = new Set<string>();
  const urgentOrder: string[] = []; // a stack: newest on top; entries no longer in `urgent` are skipped
  const renewals = new DueHeap(); // parked renewals by due time: the soonest is found without a scan

  const busy = () => {
    const t = now();
    for (const [key, at] of granted) if (issuing.has(key) || t - at > GRANT_TTL_MS) granted.delete(key);
    return issuing.size + granted.size;
  };
  const nextParked = (): string | undefined => {
    // O(1) amortised: 10,000 parked Certificates must not cost 10,000 steps per freed slot.
    while (urgentOrder.length && !urgent.has(urgentOrder[urgentOrder.length - 1])) urgentOrder.pop();
    if (urgentOrder.length) return urgentOrder[urgentOrder.length - 1];
    return renewals.shift();
  };
  const unpark = (key: string) => {
    urgent.delete(key);
    renewals.remove(key);
  };
  const release = () => {
    while (busy() < limit) {
      const key = nextParked();
      if (key === undefined) return;
      unpark(key);
      granted.set(key, now());
      start(key);
    }
  };
  const observe = (c: Certificate) => {
    const key = keyOf(c);
    if (isIssuing(c) && !c.metadata?.deletionTimestamp) {
      issuing.add(key);
      granted.delete(key); // the grant became an issuance: counted once, and not again after it ends
      unpark(key);
    } else if (issuing.delete(key)) release();
  };
  for (const c of certificates.list()) observe(c);
  certificates.on('add', (c: Certificate) => observe(newest(c)));
  certificates.on('update', (c: Certificate) => observe(newest(c)));
  certificates.on('delete', (c: Certificate) => {
    const key = keyOf(c);
    unpark(key);
    granted.delete(key);
    if (issuing.delete(key)) release();
  });

  return {
    acquire(key, waiting) {
      if (issuing.has(key) || granted.has(key)) return true;
      if (busy() < limit) {
        unpark(key);
        granted.set(key, now());
        return true;
      }
      // A parked key asked again (its Certificate changed meanwhile) keeps its place: recency is
      // when it first asked, so the Certificate a user applied last really goes first.
      if (waiting.urgent) {
        renewals.remove(key);
        if (!urgent.has(key)) urgentOrder.push(key);
        urgent.add(key);
      } else if (!urgent.has(key)) {
        renewals.remove(key);
        renewals.push(key, waiting.dueMs);
      }
      return false;
    },
    giveBack(key) {
      if (granted.delete(key)) release();
    },
    counts: () => ({ busy: busy(), parked: urgent.size + renewals.size }),
    seen: observe,
  };
}
