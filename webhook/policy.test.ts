import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, namespaceMode } from './policy.ts';
import type { Finding } from './rules/ids.ts';

const deny: Finding = { rule: 'tls-host-not-in-rules', field: 'spec.tls[0].hosts[0]', value: 'a.example.com', message: 'fix it', severity: 'deny' };
const warn: Finding = { rule: 'issuer-not-ready', field: 'metadata.annotations', value: 'le', message: 'wait', severity: 'warn' };
const none = new Set<never>();

test('enforce denies deny findings and warns the rest', () => {
  const d = decide([deny, warn], 'enforce', none);
  assert.equal(d.allowed, false);
  assert.equal(d.message, 'certgate: [tls-host-not-in-rules] spec.tls[0].hosts[0] "a.example.com": fix it');
  assert.deepEqual(d.warnings, ['[issuer-not-ready] metadata.annotations "le": wait']);
  assert.deepEqual(d.results, [
    { rule: 'tls-host-not-in-rules', result: 'denied' },
    { rule: 'issuer-not-ready', result: 'warned' },
  ]);
  assert.match(
    decide([deny, { ...deny, field: 'spec.tls[1].hosts[0]' }], 'enforce', none).message!,
    /^certgate found 2 problems:\n- \[tls-host-not-in-rules\]/,
  );
});

test('warn allows with every finding as a warning; audit allows silently; off ignores', () => {
  const w = decide([deny, warn], 'warn', none);
  assert.equal(w.allowed, true);
  assert.equal(w.warnings.length, 2);
  const a = decide([deny, warn], 'audit', none);
  assert.deepEqual([a.allowed, a.warnings, a.results.map((r) => r.result)], [true, [], ['audited', 'audited']]);
  assert.deepEqual(decide([deny], 'off', none), { allowed: true, warnings: [], results: [] });
});

test('disabled rules are dropped', () => {
  const d = decide([deny, warn], 'enforce', new Set(['tls-host-not-in-rules'] as const));
  assert.equal(d.allowed, true);
  assert.deepEqual(
    d.results.map((r) => r.rule),
    ['issuer-not-ready'],
  );
});

test('warnings are clipped to 256 characters', () => {
  const d = decide([{ ...warn, message: 'x'.repeat(400) }], 'enforce', none);
  assert.equal(d.warnings[0].length, 256);
  assert.ok(d.warnings[0].endsWith('...'));
});

test('namespace label overrides the cluster mode; bad values fall back', () => {
  const ns = (v?: string) => ({ metadata: { name: 'n', labels: (v ? { 'certgate.io/tls': v } : {}) as Record<string, string> } });
  assert.equal(namespaceMode('enforce', ns('warn')), 'warn');
  assert.equal(namespaceMode('warn', ns('off')), 'off');
  assert.equal(namespaceMode('audit', ns('bogus')), 'audit');
  assert.equal(namespaceMode('enforce', undefined), 'enforce');
});
