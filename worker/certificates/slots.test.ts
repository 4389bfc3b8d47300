// Issuance slots: at most `limit` Certificates issuing at once; parked ones start as slots free,
// user-driven first (newest first), then renewals due soonest.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Certificate } from '../../api/types.generated.ts';
import { handCache } from '../hand-cache.test-fixture.ts';
import { createIssuanceSlots } from './slots.ts';

const cert = (name: string, issuing: boolean): Certificate =>
  ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: 'ns' },
    spec: { secretName: `${name}-tls`, issuerRef: { name: 'ca' } },
    status: issuing ? { conditions: [{ type: 'Issuing', status: 'True' }] } : {},
  }) as Certificate;

describe('createIssuanceSlots', () => {
  it('admits up to the limit, parks the rest and starts them as issuances finish, users first', () => {
    const { cache, emit } = handCache<Certificate>();
    const started: string[] = [];
    const slots = createIssuanceSlots(cache, 2, (key) => started.push(key));
    const renewal = (dueMs: number) => ({ urgent: false, dueMs });
    const user = { urgent: true, dueMs: 0 };
    assert.equal(slots.acquire('ns/a', user), true);
    emit('add', cert('a', true));
    assert.equal(slots.acquire('ns/b', user), true);
    assert.equal(slots.acquire('ns/b', user), true, 'a granted key asks again (e.g. a conflict retry)');
    emit('add', cert('b', true));
    assert.equal(slots.acquire('ns/late-renewal', renewal(3000)), false);
    assert.equal(slots.acquire('ns/early-renewal', renewal(1000)), false);
    assert.equal(slots.acquire('ns/old-user', user), false);
    assert.equal(slots.acquire('ns/new-user', user), false);
    assert.equal(slots.acquire('ns/old-user', user), false, 'asking again keeps its place in line');
    assert.deepEqual(slots.counts(), { busy: 2, parked: 4 });

    emit('update', cert('a', false)); // a finished
    assert.deepEqual(started, ['ns/new-user'], 'the Certificate a user applied last goes first');
    assert.equal(slots.acquire('ns/new-user', user), true, 'its slot is held for it');
    emit('add', cert('new-user', true));
    emit('delete', cert('b', true));
    emit('update', cert('new-user', false));
    assert.deepEqual(started, ['ns/new-user', 'ns/old-user', 'ns/early-renewal']);
    assert.deepEqual(slots.counts(), { busy: 2, parked: 1 });
  });

  it('frees the slot when an issuance ends, however many come one after another', () => {
    const { cache, emit } = handCache<Certificate>();
    const slots = createIssuanceSlots(cache, 2, () => {});
    for (let i = 0; i < 20; i++) {
      assert.equal(slots.acquire(`ns/c-${i}`, { urgent: true, dueMs: 0 }), true, `certificate ${i} starts`);
      emit('add', cert(`c-${i}`, true));
      emit('update', cert(`c-${i}`, false));
    }
    assert.deepEqual(slots.counts(), { busy: 0, parked: 0 });
  });

  it('counts the Certificates already issuing in the cache (a restart, a new leader)', () => {
    const { cache } = handCache<Certificate>([cert('x', true), cert('y', true), cert('z', false)]);
    const slots = createIssuanceSlots(cache, 2, () => {});
    assert.equal(slots.acquire('ns/z', { urgent: true, dueMs: 0 }), false);
    assert.deepEqual(slots.counts(), { busy: 2, parked: 1 });
  });
});
