import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCertificateSpec, defaultPrivateKey, renewalTime, renewalPlan, renewBeforeMs, certificateDurationMs, DEFAULT_DURATION_MS } from './defaults.ts';
import type { CertificateSpec } from './types.generated.ts';

const H = 3_600_000;
const base: CertificateSpec = { secretName: 's', issuerRef: { name: 'i' }, dnsNames: ['a.example.com'] };

describe('defaultPrivateKey', () => {
  const cases: Array<[string, Parameters<typeof defaultPrivateKey>[0], ReturnType<typeof defaultPrivateKey>]> = [
    ['nothing set', undefined, { algorithm: 'RSA', size: 2048, encoding: 'PKCS1', rotationPolicy: 'Always' }],
    ['ECDSA without size', { algorithm: 'ECDSA' }, { algorithm: 'ECDSA', size: 256, encoding: 'PKCS1', rotationPolicy: 'Always' }],
    ['ECDSA 384 PKCS8', { algorithm: 'ECDSA', size: 384, encoding: 'PKCS8' }, { algorithm: 'ECDSA', size: 384, encoding: 'PKCS8', rotationPolicy: 'Always' }],
    [
      'RSA 4096 never rotated',
      { algorithm: 'RSA', size: 4096, rotationPolicy: 'Never' },
      { algorithm: 'RSA', size: 4096, encoding: 'PKCS1', rotationPolicy: 'Never' },
    ],
    ['size 0 means default', { size: 0 }, { algorithm: 'RSA', size: 2048, encoding: 'PKCS1', rotationPolicy: 'Always' }],
    ['Ed25519 has no size', { algorithm: 'Ed25519', size: 256 }, { algorithm: 'Ed25519', size: undefined, encoding: 'PKCS1', rotationPolicy: 'Always' }],
  ];
  for (const [name, input, expected] of cases) it(name, () => assert.deepEqual(defaultPrivateKey(input), expected));
});

describe('defaultCertificateSpec', () => {
  it('fills duration 2160h, the private key and usages digital signature + key encipherment', () => {
    const spec = defaultCertificateSpec(base);
    assert.equal(spec.duration, '2160h');
    assert.deepEqual(spec.privateKey, { algorithm: 'RSA', size: 2048, encoding: 'PKCS1', rotationPolicy: 'Always' });
    assert.deepEqual(spec.usages, ['digital signature', 'key encipherment']);
    assert.equal(spec.revisionHistoryLimit, 1);
    assert.deepEqual(spec.dnsNames, ['a.example.com']);
  });
  it('keeps what the user set', () => {
    const spec = defaultCertificateSpec({ ...base, duration: '24h', usages: ['server auth'], privateKey: { algorithm: 'ECDSA' } });
    assert.equal(spec.duration, '24h');
    assert.deepEqual(spec.usages, ['server auth']);
    assert.equal(spec.privateKey.size, 256);
  });
  it('treats an empty usages list as unset', () => {
    assert.deepEqual(defaultCertificateSpec({ ...base, usages: [] }).usages, ['digital signature', 'key encipherment']);
  });
  it('does not modify its input or share arrays with it', () => {
    const input: CertificateSpec = structuredClone(base);
    const spec = defaultCertificateSpec(input);
    spec.dnsNames!.push('b.example.com');
    spec.usages.push('client auth');
    assert.deepEqual(input, base);
  });
});

describe('certificateDurationMs', () => {
  it('is 90 days by default', () => assert.equal(certificateDurationMs({}), DEFAULT_DURATION_MS));
  it('parses spec.duration', () => assert.equal(certificateDurationMs({ duration: '1h30m' }), 1.5 * H));
  it('reports a bad duration', () => assert.throws(() => certificateDurationMs({ duration: '90 days' }), /invalid duration "90 days"/));
});

describe('renewalTime', () => {
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const ninetyDays = new Date(notBefore.getTime() + 2160 * H);
  const cases: Array<{ name: string; notAfter: Date; renewBefore?: string; pct?: number; expected: string }> = [
    { name: 'default: when a third of 90 days is left (day 60)', notAfter: ninetyDays, expected: '2026-03-02T00:00:00.000Z' },
    { name: 'renewBefore 360h: 15 days before expiry', notAfter: ninetyDays, renewBefore: '360h', expected: '2026-03-17T00:00:00.000Z' },
    { name: 'renewBefore longer than the lifetime: default applies', notAfter: ninetyDays, renewBefore: '2400h', expected: '2026-03-02T00:00:00.000Z' },
    { name: 'renewBefore equal to the lifetime: default applies', notAfter: ninetyDays, renewBefore: '2160h', expected: '2026-03-02T00:00:00.000Z' },
    {
      name: 'renewBefore just under the lifetime: renew right after issuance',
      notAfter: ninetyDays,
      renewBefore: '2159h',
      expected: '2026-01-01T01:00:00.000Z',
    },
    {
      name: 'renewBeforePercentage 25 of 60 minutes: at minute 45',
      notAfter: new Date(notBefore.getTime() + H),
      pct: 25,
      expected: '2026-01-01T00:45:00.000Z',
    },
    { name: 'renewBeforePercentage 50 of 90 days: day 45', notAfter: ninetyDays, pct: 50, expected: '2026-02-15T00:00:00.000Z' },
    { name: 'truncated to whole seconds', notAfter: new Date(notBefore.getTime() + 11 * 24 * H + 10_000), expected: '2026-01-08T08:00:06.000Z' },
    {
      name: 'short-lived (6 days): default at half the lifetime (day 3)',
      notAfter: new Date(notBefore.getTime() + 144 * H),
      expected: '2026-01-04T00:00:00.000Z',
    },
    { name: 'exactly 10 days is short-lived: day 5', notAfter: new Date(notBefore.getTime() + 240 * H), expected: '2026-01-06T00:00:00.000Z' },
    { name: '11 days is not: a third left (day 7 8h)', notAfter: new Date(notBefore.getTime() + 264 * H), expected: '2026-01-08T08:00:00.000Z' },
    {
      name: 'short-lived with renewBeforePercentage 25: day 4.5',
      notAfter: new Date(notBefore.getTime() + 144 * H),
      pct: 25,
      expected: '2026-01-05T12:00:00.000Z',
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(renewalTime(notBefore, c.notAfter, c.renewBefore, c.pct).toISOString(), c.expected));
  }
  it('says which rule decided', () => {
    assert.equal(renewalPlan(notBefore, ninetyDays).source, 'DefaultFraction');
    assert.equal(renewalPlan(notBefore, ninetyDays, '360h').source, 'RenewBefore');
    assert.equal(renewalPlan(notBefore, ninetyDays, '2400h').source, 'DefaultFraction');
    assert.equal(renewalPlan(notBefore, ninetyDays, '360h', 10).source, 'RenewBeforePercentage');
  });
  it('rejects notAfter before notBefore', () => assert.throws(() => renewalTime(ninetyDays, notBefore), /must be after notBefore/));
  it('rejects invalid dates', () => assert.throws(() => renewalTime(new Date('nope'), ninetyDays), /valid notBefore and notAfter/));
  it('rejects a percentage outside 1..99', () => {
    for (const pct of [0, 100, 12.5, -1]) assert.throws(() => renewBeforeMs(H, undefined, pct), /between 1 and 99/);
  });
  it('rejects a bad renewBefore string', () => assert.throws(() => renewalTime(notBefore, ninetyDays, '15 days'), /invalid duration "15 days"/));
});
