import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { createCsr, encodePrivateKeyPem, generatePrivateKey, signCertificate } from '../../lib/pki/index.ts';
import { X509Certificate } from 'node:crypto';
import { ariCertId } from '../../lib/acme/ari.ts';
import { backoffCapMs, decideRenewalTime, evaluateSecret, failureBackoffMs, issuanceReason, remainingBackoffMs } from './policy.ts';

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
    const pem = await signCertificate({
      csr: await createCsr(key, { dnsNames: ['web.example.test'] }),
      durationMs: 3 * HOUR,
      signerKey: key,
      now: new Date(now),
    });
    good = { metadata: { name: 'web-tls', annotations }, data: { 'tls.crt': b64(pem), 'tls.key': b64(encodePrivateKeyPem(key)) } };
    otherKeyPem = encodePrivateKeyPem(await generatePrivateKey({ algorithm: 'ECDSA' }));
    const rsa = await generatePrivateKey({ algorithm: 'RSA' });
    const rsaPem = await signCertificate({
      csr: await createCsr(rsa, { dnsNames: ['web.example.test'] }),
      durationMs: 3 * HOUR,
      signerKey: rsa,
      now: new Date(now),
    });
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
      [
        'a name added to the spec',
        () => [{ ...cert, spec: { ...cert.spec, dnsNames: ['web.example.test', 'www.example.test'] } }, good, now],
        'SecretMismatch',
      ],
      ['key algorithm changed in the spec', () => [cert, rsaSecret, now], 'SecretMismatch'],
      ['issuer changed', () => [{ ...cert, spec: { ...cert.spec, issuerRef: { name: 'other' } } }, good, now], 'IncorrectIssuer'],
      ['due for renewal (half of a short-lived lifetime passed)', () => [cert, good, now + 1.5 * HOUR + 1000], 'Renewing'],
      ['not yet due just before half of the lifetime', () => [cert, good, now + 1.5 * HOUR - 2000], undefined],
      ['due for renewal (2/3 of the lifetime passed)', () => [cert, good, now + 2 * HOUR + 1000], 'Renewing'],
      ['expired', () => [cert, good, now + 3 * HOUR + 1000], 'Expired'],
      ['renewBefore moves renewal earlier', () => [{ ...cert, spec: { ...cert.spec, renewBefore: '2h30m' } }, good, now + 31 * 60_000], 'Renewing'],
    ];
    for (const [name, input, want] of cases) {
      const [c, s, t] = input();
      assert.equal(evaluateSecret(c, s, t).reason, want, name);
    }
  });

  it('spec.renewal.policy Disabled: no renewal time, never Renewing, Expired reported but not issued for; unusable Secrets and spec changes still are', () => {
    const disabled: Certificate = { ...cert, spec: { ...cert.spec, renewal: { policy: 'Disabled' } } };
    const upToDate = evaluateSecret(disabled, good, now);
    assert.equal(upToDate.reason, undefined);
    assert.equal(upToDate.renewalTime, undefined, 'no status.renewalTime, as cert-manager');
    assert.equal(evaluateSecret(disabled, good, now + 2 * HOUR + 1000).reason, undefined, 'past the renewal time: not Renewing');
    const expired = evaluateSecret(disabled, good, now + 3 * HOUR + 1000);
    assert.equal(expired.reason, 'Expired', 'readiness still says Expired');
    assert.equal(expired.renewalTime, undefined);
    assert.equal(issuanceReason(disabled, expired), undefined, 'the trigger does not renew it');
    assert.equal(issuanceReason(cert, evaluateSecret(cert, good, now + 3 * HOUR + 1000)), 'Expired', 'without Disabled it does');
    assert.equal(issuanceReason(disabled, evaluateSecret(disabled, undefined, now)), 'DoesNotExist');
    const renamed = { ...disabled, spec: { ...disabled.spec, dnsNames: ['web.example.test', 'www.example.test'] } };
    assert.equal(issuanceReason(renamed, evaluateSecret(renamed, good, now)), 'SecretMismatch');
    const renewBefore: Certificate = { ...cert, spec: { ...cert.spec, renewal: { policy: 'RenewBefore' } } };
    assert.equal(evaluateSecret(renewBefore, good, now + 2 * HOUR + 1000).reason, 'Renewing', 'RenewBefore: the usual rules');
  });

  it('reports renewalTime at half the lifetime of a short-lived (3-hour) certificate, from the default fraction', () => {
    const e = evaluateSecret(cert, good, now);
    const lifetime = e.info!.notAfter.getTime() - e.info!.notBefore.getTime();
    assert.equal(e.renewalTime!.getTime(), Math.floor((e.info!.notBefore.getTime() + lifetime / 2) / 1000) * 1000);
    assert.equal(e.renewalTimeSource, 'DefaultFraction');
  });

  it('an ARI window for the stored certificate decides, unless renewBefore asks earlier', () => {
    const leaf = new X509Certificate(Buffer.from(good.data!['tls.crt'], 'base64').toString());
    const id = ariCertId(leaf);
    const e0 = evaluateSecret(cert, good, now);
    const nb = e0.info!.notBefore.getTime();
    const window = (fromH: number, toH: number, certID = id) => ({
      certID,
      suggestedWindowStart: new Date(nb + fromH * HOUR).toISOString(),
      suggestedWindowEnd: new Date(nb + toH * HOUR).toISOString(),
    });
    const withAri = (renewalInfo: object, spec: Partial<Certificate['spec']> = {}): Certificate => ({
      ...cert,
      spec: { ...cert.spec, ...spec },
      status: { renewalInfo },
    });
    // Later than the default (1.5 h): ARI still wins over the default fraction.
    const late = evaluateSecret(withAri(window(2, 2.5)), good, now);
    assert.equal(late.renewalTimeSource, 'ARIWindow');
    assert.ok(late.renewalTime!.getTime() >= nb + 2 * HOUR && late.renewalTime!.getTime() <= nb + 2.5 * HOUR, 'inside the window');
    assert.equal(evaluateSecret(withAri(window(2, 2.5)), good, now).renewalTime!.getTime(), late.renewalTime!.getTime(), 'the same point on every evaluation');
    assert.equal(evaluateSecret(withAri(window(2, 2.5)), good, late.renewalTime!.getTime()).reason, 'Renewing');
    assert.match(evaluateSecret(withAri(window(2, 2.5)), good, late.renewalTime!.getTime()).message!, /inside the CA's suggested renewal window/);
    // renewBefore asking for an earlier time than the window wins; a later one does not.
    assert.equal(evaluateSecret(withAri(window(2, 2.5), { renewBefore: '2h' }), good, now).renewalTimeSource, 'RenewBefore');
    assert.equal(evaluateSecret(withAri(window(2, 2.5), { renewBeforePercentage: 10 }), good, now).renewalTimeSource, 'ARIWindow');
    // A window moved into the past: due now.
    assert.equal(evaluateSecret(withAri(window(-2, -1)), good, now).reason, 'Renewing');
    // A window for another certificate, or an invalid one, is ignored.
    assert.equal(evaluateSecret(withAri(window(2, 2.5, 'AAAA.BBBB')), good, now).renewalTimeSource, 'DefaultFraction');
    assert.equal(evaluateSecret(withAri(window(2.5, 2)), good, now).renewalTimeSource, 'DefaultFraction');
  });
});

describe('decideRenewalTime', () => {
  const nb = new Date('2026-01-01T00:00:00Z');
  const days = (d: number) => new Date(nb.getTime() + d * 24 * HOUR);
  const c = (spec: Partial<Certificate['spec']> = {}): Certificate => ({ ...cert, spec: { ...cert.spec, ...spec } });
  const cases: Array<[string, Certificate, number, string, string]> = [
    ['90 days, no ARI: a third left', c(), 90, '2026-03-02T00:00:00.000Z', 'DefaultFraction'],
    ['6 days (shortlived), no ARI: half', c(), 6, '2026-01-04T00:00:00.000Z', 'DefaultFraction'],
    ['45 days, renewBefore 240h', c({ renewBefore: '240h' }), 45, '2026-02-05T00:00:00.000Z', 'RenewBefore'],
    ['6 days, renewBeforePercentage 20', c({ renewBeforePercentage: 20 }), 6, '2026-01-05T19:12:00.000Z', 'RenewBeforePercentage'],
  ];
  for (const [name, certificate, d, time, source] of cases) {
    it(name, () =>
      assert.deepEqual(Object.values(decideRenewalTime(certificate, { notBefore: nb, notAfter: days(d) }, 'id')).map(String), [
        new Date(time).toString(),
        source,
      ]),
    );
  }
});

describe('failure backoff', () => {
  it('doubles from base up to max', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 20].map((n) => failureBackoffMs(n, HOUR, 32 * HOUR) / HOUR),
      [1, 2, 4, 8, 16, 32, 32, 32],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => failureBackoffMs(n, 1000, 4000)),
      [1000, 2000, 4000, 4000],
    );
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
    // lastFailureTime has whole seconds: the failure may have come up to 999 ms after it, so the wait is counted from the end of that second.
    ['first failure, 10 minutes later', failed(1, 1, 1), failedAt + 10 * 60_000, 50 * 60_000 + 999],
    ['third failure waits 4h', failed(3, 1, 1), failedAt + HOUR, 3 * HOUR + 999],
    ['failed late in its second: still waiting an hour after the stamp', failed(1, 1, 1), failedAt + HOUR, 999],
    ['backoff over, counted from the end of the stamped second', failed(1, 1, 1), failedAt + HOUR + 999, 0],
    ['capped at max', failed(10, 1, 1), failedAt, 32 * HOUR + 999],
    ['spec changed since the failure', failed(3, 1, 2), failedAt + 1000, 0],
  ];
  for (const [name, c, now, want] of cases) it(name, () => assert.equal(remainingBackoffMs(c, now, HOUR, 32 * HOUR), want));

  it('never retries before the backoff is over, wherever in its second the failure came', () => {
    for (const offset of [0, 1, 500, 999]) {
      const failure = failedAt + offset; // written as lastFailureTime 2026-01-01T00:00:00Z
      const wait = remainingBackoffMs(failed(1, 1, 1), failure, HOUR, 32 * HOUR);
      assert.ok(failure + wait >= failure + HOUR, `failure at +${offset} ms: retry ${HOUR - wait} ms early`);
      assert.ok(wait - HOUR < 1000, 'and less than a second late');
    }
  });

  it('a lastFailureTime with fractional seconds is taken as it is', () => {
    const c = failed(1, 1, 1);
    c.status!.lastFailureTime = '2026-01-01T00:00:00.250Z';
    assert.equal(remainingBackoffMs(c, failedAt + 250, HOUR, 32 * HOUR), HOUR);
  });

  it('caps the backoff at an eighth of the validity left: a 6-day certificate with 3 days left waits 9 h, not 32', () => {
    const notAfter = new Date(failedAt + 72 * HOUR);
    const justAfter = failedAt + 999; // the end of the stamped second
    assert.equal(remainingBackoffMs(failed(10, 1, 1), justAfter, HOUR, 32 * HOUR, notAfter), 9 * HOUR - 999 / 8);
    assert.equal(remainingBackoffMs(failed(2, 1, 1), justAfter, HOUR, 32 * HOUR, notAfter), 2 * HOUR, 'below the cap: unchanged');
    // 90 days with 30 left: the cap (3.75 days) is above 32 h.
    assert.equal(remainingBackoffMs(failed(10, 1, 1), justAfter, HOUR, 32 * HOUR, new Date(failedAt + 720 * HOUR)), 32 * HOUR);
  });
});

describe('backoffCapMs', () => {
  const cases: Array<[string, number | undefined, number]> = [
    ['no certificate: the configured max', undefined, 32 * HOUR],
    ['expired: the configured max', -HOUR, 32 * HOUR],
    ['30 days left: the configured max', 720 * HOUR, 32 * HOUR],
    ['3 days left: 9 hours', 72 * HOUR, 9 * HOUR],
    ['4 minutes left: a minute', 4 * 60_000, 60_000],
  ];
  for (const [name, remaining, want] of cases) it(name, () => assert.equal(backoffCapMs(32 * HOUR, remaining), want));
});
