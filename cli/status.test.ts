import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Certificate } from '../api/types.generated.ts';
import { describeRenewalSource } from './status.ts';

const DAY = 86_400_000;
const nb = Date.parse('2026-01-01T00:00:00Z');
const cert = (spec: Partial<Certificate['spec']>, status: Certificate['status']): Certificate => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'web', namespace: 'apps' },
  spec: { secretName: 'web-tls', issuerRef: { name: 'le' }, ...spec },
  status,
});
const lifetime = (days: number) => ({ notBefore: new Date(nb).toISOString(), notAfter: new Date(nb + days * DAY).toISOString() });

test('certgate status says where the renewal time comes from', () => {
  const cases: Array<[string, Certificate, string | undefined]> = [
    [
      'ARI window',
      cert({}, { renewalTimeSource: 'ARIWindow', renewalInfo: { suggestedWindowStart: '2026-01-04T00:00:00Z', suggestedWindowEnd: '2026-01-06T00:00:00Z' } }),
      'a random time inside the window the CA suggests (ARI): 2026-01-04T00:00:00Z to 2026-01-06T00:00:00Z',
    ],
    ['renewBefore', cert({ renewBefore: '360h' }, { renewalTimeSource: 'RenewBefore' }), 'spec.renewBefore (360h before expiry)'],
    [
      'renewBeforePercentage',
      cert({ renewBeforePercentage: 25 }, { renewalTimeSource: 'RenewBeforePercentage' }),
      'spec.renewBeforePercentage (25% of the lifetime before expiry)',
    ],
    ['default, 90 days', cert({}, { renewalTimeSource: 'DefaultFraction', ...lifetime(90) }), 'default: when a third of the lifetime is left'],
    [
      'default, 6 days',
      cert({}, { renewalTimeSource: 'DefaultFraction', ...lifetime(6) }),
      'default: when half of the lifetime is left (short-lived, 10 days or less)',
    ],
    ['not yet known', cert({}, {}), undefined],
  ];
  for (const [name, c, want] of cases) assert.equal(describeRenewalSource(c), want, name);
});
