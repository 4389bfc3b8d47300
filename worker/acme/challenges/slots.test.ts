// Challenge slots (--max-concurrent-challenges): at most `limit` Challenges presented or validated
// at once; the others wait and start oldest first as Challenges finish.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Challenge } from '../../../api/types.generated.ts';
import type { WatchedCache } from '../../../lib/kube/client.ts';
import { handCache, type Obj } from '../../hand-cache.test-fixture.ts';
import { createChallengeSlots, holdsSlot } from './slots.ts';

const challenge = (name: string, createdSecond: number, status: Challenge['status'] = {}): Challenge =>
  ({
    apiVersion: 'acme.cert-manager.io/v1',
    kind: 'Challenge',
    metadata: { name, namespace: 'ns', creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, createdSecond)).toISOString() },
    spec: {},
    status,
  }) as unknown as Challenge;
/** handCache over Challenges (its object type is Certificate-shaped). */
function challengeCache(initial: Challenge[] = []) {
  const { cache, emit } = handCache(initial as unknown as Obj[]);
  return { cache: cache as unknown as WatchedCache<Challenge>, emit: (verb: 'add' | 'update' | 'delete', ch: Challenge) => emit(verb, ch as unknown as Obj) };
}
const presented = (name: string, createdSecond: number) => challenge(name, createdSecond, { presented: true, processing: true, state: 'pending' });

describe('createChallengeSlots', () => {
  it('admits up to the limit; the others wait and start oldest first as Challenges finish', () => {
    const { cache, emit } = challengeCache();
    const started: string[] = [];
    const slots = createChallengeSlots(cache, 1, (key) => started.push(key));
    assert.equal(slots.acquire(challenge('a', 1)), true);
    assert.equal(slots.acquire(challenge('a', 1)), true, 'a granted Challenge asks again (a retried pass)');
    emit('update', presented('a', 1));
    assert.equal(slots.acquire(challenge('c', 3)), false);
    assert.equal(slots.acquire(challenge('b', 2)), false);
    assert.deepEqual(slots.counts(), { busy: 1, waiting: 2 });

    emit('update', challenge('a', 1, { state: 'valid', presented: true, processing: false }));
    assert.deepEqual(started, ['ns/b'], 'the oldest waiting Challenge goes first');
    assert.equal(slots.acquire(challenge('c', 3)), false, 'the slot is held for b');
    assert.equal(slots.acquire(challenge('b', 2)), true);
    emit('update', presented('b', 2));
    emit('delete', presented('b', 2));
    assert.deepEqual(started, ['ns/b', 'ns/c']);
    assert.deepEqual(slots.counts(), { busy: 1, waiting: 0 });
  });

  it('counts Challenges already presented when it starts (a restart or a new leader)', () => {
    const { cache } = challengeCache([presented('x', 1), presented('y', 2), challenge('done', 0, { state: 'invalid', presented: true })]);
    const slots = createChallengeSlots(cache, 2, () => {});
    assert.deepEqual(slots.counts(), { busy: 2, waiting: 0 });
    assert.equal(slots.acquire(challenge('z', 3)), false);
  });

  it('a grant whose pass never presented anything is given back after a minute', () => {
    const { cache } = challengeCache();
    let now = 0;
    const slots = createChallengeSlots(
      cache,
      1,
      () => {},
      () => now,
    );
    assert.equal(slots.acquire(challenge('a', 1)), true);
    assert.equal(slots.acquire(challenge('b', 2)), false);
    now = 61_000;
    assert.equal(slots.acquire(challenge('b', 2)), true);
  });

  it('holdsSlot: presented or processing, not final, not being deleted', () => {
    assert.equal(holdsSlot(challenge('a', 1)), false);
    assert.equal(holdsSlot(challenge('a', 1, { processing: true, state: 'processing' })), true);
    assert.equal(holdsSlot(challenge('a', 1, { presented: true, processing: false, state: 'pending' })), true, 'presented after a provider error');
    for (const state of ['valid', 'invalid', 'errored', 'expired'] as const)
      assert.equal(holdsSlot(challenge('a', 1, { presented: true, state })), false, state);
    assert.equal(holdsSlot({ ...presented('a', 1), metadata: { ...presented('a', 1).metadata, deletionTimestamp: new Date() } } as Challenge), false);
  });
});
