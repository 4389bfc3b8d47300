import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffToJsonPatch } from './json-patch.ts';

test('diff to JSON Patch: add, replace, remove, escaped keys', () => {
  const before = { metadata: { name: 'a', labels: { x: '1' } }, spec: { rules: [1], old: true } };
  const after = { metadata: { name: 'a', labels: { x: '2' }, annotations: { 'cert-manager.io/issuer': 'le' } }, spec: { rules: [1], tls: [{ hosts: ['h'] }] } };
  assert.deepEqual(diffToJsonPatch(before, after), [
    { op: 'replace', path: '/metadata/labels/x', value: '2' },
    { op: 'add', path: '/metadata/annotations', value: { 'cert-manager.io/issuer': 'le' } },
    { op: 'remove', path: '/spec/old' },
    { op: 'add', path: '/spec/tls', value: [{ hosts: ['h'] }] },
  ]);
  assert.deepEqual(diffToJsonPatch({ metadata: { annotations: { a: 'b' } } }, { metadata: { annotations: { a: 'b', 'x/y~z': 'v' } } }), [
    { op: 'add', path: '/metadata/annotations/x~1y~0z', value: 'v' },
  ]);
  assert.deepEqual(diffToJsonPatch({ a: [1, 2] }, { a: [1, 2] }), []);
});
