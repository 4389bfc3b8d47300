// The readiness controller as a table: a Certificate and its Secret in; the Ready condition,
// notBefore/notAfter/renewalTime written and the requeue (at expiry) out.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { fakeWorker, tlsSecret, Resources } from '../../test/worker/fake-context.ts';
import { issuedPair, type IssuedPair } from '../../test/worker/issued-pair.ts';
import { createReadinessController } from './readiness.ts';

const NS = 'apps';
const NOW = Date.parse('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

const cert = (): Certificate => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'web', namespace: NS, generation: 1 },
  spec: { secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: 'selfsigned' }, privateKey: { algorithm: 'ECDSA', size: 256 } },
});
const secretFor = (pair: IssuedPair) =>
  tlsSecret(NS, 'web-tls', pair, {
    'cert-manager.io/issuer-name': 'selfsigned',
    'cert-manager.io/issuer-kind': 'Issuer',
    'cert-manager.io/issuer-group': 'cert-manager.io',
    'cert-manager.io/certificate-name': 'web',
  });

interface Case {
  name: string;
  objects: () => KubernetesObject[];
  ready: { status: string; reason: string };
  times?: { notBefore: number; notAfter: number; renewalTime: number };
  requeueAfterMs?: number;
}

describe('readiness controller', () => {
  let fresh: IssuedPair;
  let due: IssuedPair;
  let expired: IssuedPair;
  const FRESH_FROM = NOW - 10 * DAY;
  const DUE_FROM = NOW - 70 * DAY;
  before(async () => {
    fresh = await issuedPair(['web.example.test'], FRESH_FROM, 90 * DAY);
    due = await issuedPair(['web.example.test'], DUE_FROM, 90 * DAY);
    expired = await issuedPair(['web.example.test'], NOW - 100 * DAY, 90 * DAY);
  });

  const cases: Case[] = [
    { name: 'no Secret: Ready=False DoesNotExist', objects: () => [cert()], ready: { status: 'False', reason: 'DoesNotExist' } },
    {
      name: 'an up-to-date certificate: Ready=True with its times, looked at again at expiry',
      objects: () => [cert(), secretFor(fresh)],
      ready: { status: 'True', reason: 'Ready' },
      times: { notBefore: FRESH_FROM, notAfter: FRESH_FROM + 90 * DAY, renewalTime: FRESH_FROM + 60 * DAY },
      requeueAfterMs: 80 * DAY,
    },
    {
      name: 'due for renewal: still Ready',
      objects: () => [cert(), secretFor(due)],
      ready: { status: 'True', reason: 'Ready' },
      times: { notBefore: DUE_FROM, notAfter: DUE_FROM + 90 * DAY, renewalTime: DUE_FROM + 60 * DAY },
      requeueAfterMs: 20 * DAY,
    },
    { name: 'expired: Ready=False Expired', objects: () => [cert(), secretFor(expired)], ready: { status: 'False', reason: 'Expired' } },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      const w = fakeWorker(c.objects(), { now: new Date(NOW).toISOString() });
      const result = await createReadinessController(w.ctx).sync(`${NS}/web`);
      assert.equal(w.writes.length, 1, 'one status write');
      const status = w.stored<Certificate>(Resources.Certificate, NS, 'web')!.status!;
      const ready = status.conditions!.find((x) => x.type === 'Ready')!;
      assert.deepEqual({ status: ready.status, reason: ready.reason }, c.ready);
      if (c.times)
        assert.deepEqual(
          { notBefore: status.notBefore, notAfter: status.notAfter, renewalTime: status.renewalTime },
          { notBefore: iso(c.times.notBefore), notAfter: iso(c.times.notAfter), renewalTime: iso(c.times.renewalTime) },
        );
      assert.equal(result?.requeueAfterMs, c.requeueAfterMs);

      // Level-triggered: a second pass over what it wrote changes nothing.
      w.settle();
      const writes = w.writes.length;
      await createReadinessController(w.ctx).sync(`${NS}/web`);
      assert.equal(w.writes.length, writes, 'no second write');
    });
  }
});
