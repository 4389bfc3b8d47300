// RecentValues: the bounded memo behind the X.509 and CSR parse caches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentValues } from './recent-values.ts';

test('RecentValues computes a key once and forgets the oldest key beyond its limit', () => {
  const computed: string[] = [];
  const recent = new RecentValues<string, string>(2);
  const upper = (k: string) => recent.get(k, () => (computed.push(k), k.toUpperCase()));
  assert.equal(upper('a'), 'A');
  assert.equal(upper('a'), 'A');
  assert.equal(upper('b'), 'B');
  assert.deepEqual(computed, ['a', 'b'], 'a second ask is answered from memory');
  upper('c'); // over the limit of 2: "a" goes
  upper('b');
  upper('a');
  assert.deepEqual(computed, ['a', 'b', 'c', 'a']);
});

test('RecentValues keeps a key that is asked for again over one asked for once', () => {
  const computed: string[] = [];
  const recent = new RecentValues<string, string>(2);
  const upper = (k: string) => recent.get(k, () => (computed.push(k), k.toUpperCase()));
  upper('a');
  upper('b');
  upper('a'); // "a" is now the most recent
  upper('c'); // over the limit: "b", the least recently asked, goes
  upper('a');
  upper('b');
  assert.deepEqual(computed, ['a', 'b', 'c', 'b']);
});

test('RecentValues does not remember a computation that threw', () => {
  const recent = new RecentValues<string, number>(4);
  let calls = 0;
  const failing = () => {
    calls++;
    throw new Error('no');
  };
  assert.throws(() => recent.get('k', failing), /no/);
  assert.equal(
    recent.get('k', () => 7),
    7,
  );
  assert.equal(calls, 1);
});
