import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayCertificatePlan } from './gateway-listeners.ts';

const gateway = (listeners: unknown[], annotations: Record<string, string> = {}) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'gw', namespace: 'apps', annotations },
  spec: { gatewayClassName: 'c', listeners },
});
const https = (name: string, hostname: string | undefined, refs: unknown[], extra: Record<string, unknown> = {}) => ({
  name,
  protocol: 'HTTPS',
  port: 443,
  hostname,
  tls: { certificateRefs: refs, ...extra },
});

describe('gatewayCertificatePlan (as cert-manager gateway-shim reads listeners)', () => {
  it('one Secret per certificateRef, hostnames of every listener that references it, without repeats', () => {
    const plan = gatewayCertificatePlan(
      gateway([
        https('a', 'a.example.com', [{ name: 'shared' }]),
        https('b', 'b.example.com', [{ name: 'shared' }, { name: 'own', kind: 'Secret', group: '' }]),
        https('a-again', 'a.example.com', [{ name: 'shared' }], { mode: 'Terminate' }),
        { name: 'tls', protocol: 'TLS', port: 8443, hostname: 't.example.com', tls: { mode: 'Terminate', certificateRefs: [{ name: 't' }] } },
      ]),
    );
    assert.deepEqual(plan.secrets, [
      { secretName: 'shared', hostnames: ['a.example.com', 'b.example.com'], listeners: [0, 1, 2] },
      { secretName: 'own', hostnames: ['b.example.com'], listeners: [1] },
      { secretName: 't', hostnames: ['t.example.com'], listeners: [3] },
    ]);
    assert.deepEqual(plan.skipped, []);
  });

  const skips: Array<[string, unknown, string, RegExp]> = [
    ['no hostname', https('x', undefined, [{ name: 's' }]), 'spec.listeners[0].hostname', /no hostname/],
    ['no tls block', { name: 'x', protocol: 'HTTPS', port: 443, hostname: 'x.example.com' }, 'spec.listeners[0].tls', /no tls block/],
    ['no certificateRefs', https('x', 'x.example.com', []), 'spec.listeners[0].tls.certificateRefs', /no certificateRefs/],
    [
      'a ref that is not a Secret',
      https('x', 'x.example.com', [{ name: 's', group: 'example.com', kind: 'Vault' }]),
      'spec.listeners[0].tls.certificateRefs[0]',
      /example\.com\/Vault, not a Secret/,
    ],
    [
      'a Secret in another namespace',
      https('x', 'x.example.com', [{ name: 's', namespace: 'certs' }]),
      'spec.listeners[0].tls.certificateRefs[0].namespace',
      /namespace "certs"/,
    ],
  ];
  for (const [name, listener, field, reason] of skips) {
    it(`skips a listener with ${name}`, () => {
      const plan = gatewayCertificatePlan(gateway([listener]));
      assert.deepEqual(plan.secrets, []);
      assert.equal(plan.skipped.length, 1);
      assert.equal(plan.skipped[0]!.field, field);
      assert.match(plan.skipped[0]!.reason, reason);
    });
  }

  it('ignores, without a reason, HTTP listeners, Passthrough and listeners named in cert-manager.io/ignore-tls-listeners', () => {
    const plan = gatewayCertificatePlan(
      gateway(
        [
          { name: 'http', protocol: 'HTTP', port: 80, hostname: 'h.example.com' },
          { name: 'pass', protocol: 'TLS', port: 443, hostname: 'p.example.com', tls: { mode: 'Passthrough' } },
          https('skip-me', 'i.example.com', [{ name: 'i' }]),
          https('kept', 'k.example.com', [{ name: 'k' }]),
        ],
        { 'cert-manager.io/ignore-tls-listeners': 'other, skip-me' },
      ),
    );
    assert.deepEqual(
      plan.secrets.map((s) => s.secretName),
      ['k'],
    );
    assert.deepEqual(plan.skipped, []);
  });

  it('garbage shapes give an empty plan, never an exception', () => {
    for (const spec of [null, 'x', { listeners: 'x' }, { listeners: [null, 7, { tls: 'x' }, { protocol: 'HTTPS', tls: { certificateRefs: [null, 3] } }] }]) {
      assert.doesNotThrow(() => gatewayCertificatePlan({ metadata: { namespace: 'apps' }, spec }));
    }
  });
});
