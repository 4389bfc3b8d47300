import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareClaimants, secretWinner } from './secret-claims.ts';

test('secretWinner: the oldest Ingress, then the first by name; one not stored yet comes last', () => {
  const older = { name: 'zeta', created: '2026-12-07T10:00:00Z' };
  const newer = { name: 'alpha', created: '2026-12-07T10:00:01Z' };
  const sameSecondB = { name: 'b', created: '2026-12-07T10:00:00Z' };
  const sameSecondA = { name: 'a', created: '2026-12-07T10:00:00Z' };
  const unstored = { name: 'aaa' };
  assert.equal(secretWinner([newer, older]), older);
  assert.equal(secretWinner([sameSecondB, sameSecondA]), sameSecondA, 'created in the same second: by name');
  assert.equal(secretWinner([unstored, newer]), newer);
  assert.equal(secretWinner([]), undefined);
  assert.equal(compareClaimants(older, older), 0);
  assert.deepEqual(
    [newer, sameSecondB, older, unstored, sameSecondA].sort(compareClaimants).map((c) => c.name),
    ['a', 'b', 'zeta', 'alpha', 'aaa'],
  );
});
