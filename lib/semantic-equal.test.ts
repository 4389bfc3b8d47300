import { test } from 'node:test';
import assert from 'node:assert/strict';
import { semanticallyEqual } from './semantic-equal.ts';

test('key order does not matter, at any depth', () => {
  assert.equal(semanticallyEqual({ a: 1, b: { x: [1, { p: 1, q: 2 }], y: 'z' } }, { b: { y: 'z', x: [1, { q: 2, p: 1 }] }, a: 1 }), true);
});

test('an undefined-valued key equals an absent one (JSON drops it), null does not', () => {
  assert.equal(semanticallyEqual({ a: 1, b: undefined }, { a: 1 }), true);
  assert.equal(semanticallyEqual({ a: 1, b: null }, { a: 1 }), false);
});

test('array order, values and types matter', () => {
  assert.equal(semanticallyEqual([1, 2], [2, 1]), false);
  assert.equal(semanticallyEqual({ a: '1' }, { a: 1 }), false);
  assert.equal(semanticallyEqual({ a: { b: 1 } }, { a: { b: 2 } }), false);
});
