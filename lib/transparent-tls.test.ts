// The transparent TLS decision (lib/transparent-tls.ts) as the webhook and the worker share it:
// named cases, and the host check agreeing with the webhook's own name rule on random input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addTransparentTls, defaultIssuerFor, secretNameFor, transparentTlsApplies } from './transparent-tls.ts';

const issuer = { kind: 'ClusterIssuer' as const, name: 'le' };
const plain = (extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) => ({
  metadata: { name: 'web', namespace: 'apps', ...extra },
  spec: { rules: [{ host: 'a.example.com' }, { host: 'A.bad' }, { host: '10.0.0.1' }, { host: 'a.example.com' }, { host: '*.example.com' }, {}] },
});
const ns = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}) => ({ metadata: { name: 'apps', labels, annotations } });

test('adds tls with the valid, distinct rule hosts and the issuer annotation; the input is not changed', () => {
  const ingress = plain({ annotations: { team: 'x' } });
  const before = structuredClone(ingress);
  const out = addTransparentTls(ingress, issuer);
  assert.equal(out.changed, true);
  if (!out.changed) return;
  const obj = out.object as any;
  assert.deepEqual(obj.spec.tls, [{ hosts: ['a.example.com', '*.example.com'], secretName: 'web-tls' }]);
  assert.deepEqual(obj.metadata.annotations, { team: 'x', 'cert-manager.io/cluster-issuer': 'le' });
  assert.deepEqual(out.hosts, ['a.example.com', '*.example.com']);
  assert.deepEqual(out.addedIssuer, issuer);
  assert.deepEqual(ingress, before);
});

test('left alone, with the reason a user should hear when there is one', () => {
  const cases: Array<[string, unknown, Parameters<typeof addTransparentTls>[1], string | undefined]> = [
    ['own tls block', { ...plain(), spec: { ...plain().spec, tls: [{ secretName: 'mine' }] } }, issuer, undefined],
    ['opt-out annotation', plain({ annotations: { 'certgate.io/transparent-tls': 'false' } }), issuer, undefined],
    ['HTTP-01 solver Ingress', plain({ labels: { 'acme.cert-manager.io/http01-solver': 'true' } }), issuer, undefined],
    ['no valid host', { metadata: { name: 'web' }, spec: { rules: [{ host: 'UPPER.example.com' }] } }, issuer, undefined],
    ['generateName only', { metadata: { generateName: 'web-' }, spec: { rules: [{ host: 'a.example.com' }] } }, issuer, 'needs metadata.name'],
    ['no default issuer', plain(), undefined, 'no default issuer'],
    ['bad namespace annotation', plain(), { error: 'bad annotation' }, 'skipped: bad annotation'],
    ['not an object', 'nonsense', issuer, undefined],
  ];
  for (const [name, ingress, iss, reason] of cases) {
    const out = addTransparentTls(ingress, iss);
    assert.equal(out.changed, false, name);
    if (out.changed) continue;
    if (reason) assert.match(out.reason ?? '', new RegExp(reason), name);
    else assert.equal(out.reason, undefined, name);
  }
});

test('an issuer annotation the Ingress already has is kept and none is added', () => {
  const out = addTransparentTls(plain({ annotations: { 'cert-manager.io/issuer': 'mine' } }), undefined);
  assert.ok(out.changed);
  assert.deepEqual((out.object as any).metadata.annotations, { 'cert-manager.io/issuer': 'mine' });
  assert.equal(out.addedIssuer, undefined);
});

test('where it applies: label enforce, or cluster-wide unless labelled off', () => {
  assert.match(transparentTlsApplies(ns({ 'certgate.io/tls': 'enforce' }), false) ?? '', /namespace "apps" is labelled certgate.io\/tls=enforce/);
  assert.match(transparentTlsApplies(ns({ 'certgate.io/tls': 'warn' }), true) ?? '', /cluster-wide/);
  assert.match(transparentTlsApplies(undefined, true) ?? '', /cluster-wide/);
  assert.equal(transparentTlsApplies(ns({ 'certgate.io/tls': 'off' }), true), undefined);
  assert.equal(transparentTlsApplies(ns({ 'certgate.io/tls': 'warn' }), false), undefined);
  assert.equal(transparentTlsApplies(undefined, false), undefined);
});

test('default issuer: namespace annotation first, then the cluster default; a bad annotation is an error', () => {
  const cluster = { kind: 'Issuer' as const, name: 'x', group: 'cert-manager.io' };
  assert.deepEqual(defaultIssuerFor(ns({}, { 'certgate.io/default-issuer': 'ClusterIssuer.le' }), cluster), { kind: 'ClusterIssuer', name: 'le' });
  assert.equal(defaultIssuerFor(ns(), cluster), cluster);
  assert.equal(defaultIssuerFor(undefined, undefined), undefined);
  assert.match(
    (defaultIssuerFor(ns({}, { 'certgate.io/default-issuer': 'letsencrypt' }), cluster) as { error: string }).error,
    /is not Issuer.NAME or ClusterIssuer.NAME/,
  );
});

test('Secret names stay within 253 characters and never end in a dot or dash before -tls', () => {
  assert.equal(secretNameFor('web'), 'web-tls');
  const long = secretNameFor(`${'a'.repeat(248)}.-b`);
  assert.ok(long.length <= 253 && long.endsWith('a-tls'), long);
});
