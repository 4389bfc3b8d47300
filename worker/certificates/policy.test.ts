import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { createCsr, encodePrivateKeyPem, generatePrivateKey, signCertificate } from '../../lib/pki/index.ts';
import { evaluateSecret, failureBackoffMs, remainingBackoffMs } from './policy.ts';

const HOUR = 3_600_000;
const b64 = (s: string) => Buffer.from(s).toString('base64');

const cert: Certificate = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'web', namespace: 'apps' },
  spec: { secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: 'ca' }, privateKey: { algorithm: 'ECDSA' } },
};
const annotations = { 'cert-manager.io/issuer-name': 'ca', 'cert-manager.io/issuer-kind': 'Issuer', 'cert-manager.io/issuer-group': 'cert-manager.io' };

describe('evaluateSecret (trigger and readiness policy)', () => {
  let good: V1Secret;
  let now: number;
  let otherKeyPem: string;
  let rsaSecret: V1Secret;

  before(async () => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA' });
    now = Date.now();
    const pem = await signCertificate({ csr: await createCsr(key, { dnsNames: ['web.example.test'] }), durationMs: 3 * HOUR, signerKey: key, now: new Date(now) });
    good = { metadata: { name: 'web-tls', annotations }, data: { 'tls.crt': b64(pem), 'tls.key': b64(encodePrivateKeyPem(key)) } };
    otherKeyPem = encodePrivateKeyPem(await generatePrivateKey({ algorithm: 'ECDSA' }));
    const rsa = await generatePrivateKey({ algorithm: 'RSA' });
    const rsaPem = await signCertificate({ csr: await createCsr(rsa, { dnsNames: ['web.example.test'] }), durationMs: 3 * HOUR, signerKey: rsa, now: new Date(now) });
    rsaSecret = { metadata: { annotations }, data: { 'tls.crt': b64(rsaPem), 'tls.key': b64(encodePrivateKeyPem(rsa)) } };
  });

  it('table', () => {
    const cases: Array<[string, () => [Certificate, V1Secret | undefined, number], string | undefined]> = [
      ['up to date', () => [cert, good, now], undefined],
      ['no Secret', () => [cert, undefined, now], 'DoesNotExist'],
      ['no tls.key', () => [cert, { ...good, data: { 'tls.crt': good.data!['tls.crt'] } }, now], 'MissingData'],
      ['garbage key', () => [cert, { ...good, data: { ...good.data, 'tls.key': b64('junk') } }, now], 'InvalidKeyPair'],
      ['garbage certificate', () => [cert, { ...good, data: { ...good.data, 'tls.crt': b64('junk') } }, now], 'InvalidCertificate'],
      ['key of another pair', () => [cert, { ...good, data: { ...good.data, 'tls.key': b64(otherKeyPem) } }, now], 'InvalidKeyPair'],
      ['a name added to the spec', () => [{ ...cert, spec: { ...cert.spec, dnsNames: ['web.example.test', 'www.example.test'] } }, good, now], 'SecretMismatch'],
      ['key algorithm changed in the spec', () => [cert, rsaSecret, now], 'SecretMismatch'],
      ['issuer changed', () => [{ ...cert, spec: { ...cert.spec, issuerRef: { name: 'other' } } }, good, now], 'IncorrectIssuer'],
      ['due for renewal (2/3 of the lifetime passed)', () => [cert, good, now + 2 * HOUR + 1000], 'Renewing'],
      ['expired', () => [cert, good, now + 3 * HOUR + 1000], 'Expired'],
      ['renewBefore moves renewal earlier', () => [{ ...cert, spec: { ...cert.spec, renewBefore: '2h30m' } }, good, now + 31 * 60_000], 'Renewing'],
    ];
    for (const [name, input, want] of cases) {
      const [c, s, t] = input();
      assert.equal(evaluateSecret(c, s, t).reason, want, name);
    }
  });

  it('reports renewalTime at 2/3 of the lifetime', () => {
    const e = evaluateSecret(cert, good, now);
    const lifetime = e.info!.notAfter.getTime() - e.info!.notBefore.getTime();
    assert.equal(e.renewalTime!.getTime(), Math.floor((e.info!.notBefore.getTime() + (2 * lifetime) / 3) / 1000) * 1000);
  });
});

describe('failure backoff', () => {
  it('doubles from base up to max', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map((n) => failureBackoffMs(n, HOUR, 32 * HOUR) / HOUR), [1, 2, 4, 8, 16, 32, 32, 32]);
    assert.deepEqual([1, 2, 3, 4].map((n) => failureBackoffMs(n, 1000, 4000)), [1000, 2000, 4000, 4000]);
  });
});

describe('remaining backoff before a retry', () => {
  const failedAt = Date.parse('2026-01-01T00:00:00Z');
  const failed = (attempts: number, observedGeneration: number, generation: number): Certificate => ({
    ...cert,
    metadata: { ...cert.metadata, generation },
    status: {
      failedIssuanceAttempts: attempts,
      lastFailureTime: '2026-01-01T00:00:00Z',
      conditions: [{ type: 'Issuing', status: 'False', reason: 'Failed', message: 'x', observedGeneration }],
    },
  });
  const cases: Array<[string, Certificate, number, number]> = [
    ['no failure', cert, failedAt, 0],
    ['first failure, 10 minutes later', failed(1, 1, 1), failedAt + 10 * 60_000, 50 * 60_000],
    ['third failure waits 4h', failed(3, 1, 1), failedAt + HOUR, 3 * HOUR],
    ['backoff over', failed(1, 1, 1), failedAt + HOUR, 0],
    ['capped at max', failed(10, 1, 1), failedAt, 32 * HOUR],
    ['spec changed since the failure', failed(3, 1, 2), failedAt + 1000, 0],
  ];
  for (const [name, c, now, want] of cases) it(name, () => assert.equal(remainingBackoffMs(c, now, HOUR, 32 * HOUR), want));
});
