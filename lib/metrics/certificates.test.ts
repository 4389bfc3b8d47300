import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Certificate } from '../../api/types.generated.ts';
import { createWorkerMetrics } from './worker.ts';

const cert = (name: string, ready: 'True' | 'False', issuer = 'ca'): Certificate => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name, namespace: 'apps' },
  spec: { secretName: `${name}-tls`, issuerRef: { name: issuer, kind: 'ClusterIssuer' } },
  status: { notAfter: '2027-01-01T00:00:00Z', renewalTime: '2026-12-01T00:00:00Z', conditions: [{ type: 'Ready', status: ready }] },
});

describe('certificate metrics', () => {
  it('uses cert-manager names and labels, and removes a deleted Certificate', async () => {
    const m = createWorkerMetrics();
    m.certificates.observe(cert('web', 'True'));
    m.certificates.observe(cert('api', 'False'));
    let text = await m.registry.metrics();
    const labels = 'name="web",namespace="apps",issuer_name="ca",issuer_kind="ClusterIssuer",issuer_group="cert-manager.io"';
    assert.match(text, new RegExp(`certmanager_certificate_expiration_timestamp_seconds\\{${labels}\\} 1798761600`));
    assert.match(text, new RegExp(`certmanager_certificate_not_after_timestamp_seconds\\{${labels}\\} 1798761600`));
    assert.match(text, new RegExp(`certmanager_certificate_renewal_timestamp_seconds\\{${labels}\\} 1796083200`));
    assert.match(text, new RegExp(`certmanager_certificate_ready_status\\{${labels},condition="True"\\} 1`));
    assert.match(text, new RegExp(`certmanager_certificate_ready_status\\{${labels},condition="False"\\} 0`));
    assert.match(text, /certmanager_certificate_ready_status\{name="api".*condition="False"\} 1/);

    m.certificates.observe(cert('web', 'True', 'other')); // issuer changed: old series go
    text = await m.registry.metrics();
    assert.doesNotMatch(text, /name="web",namespace="apps",issuer_name="ca"/);
    assert.match(text, /name="web",namespace="apps",issuer_name="other"/);

    m.certificates.forget('apps', 'web');
    text = await m.registry.metrics();
    assert.doesNotMatch(text, /name="web"/);
    assert.match(text, /name="api"/);
  });

  it('names the reason of each not-Ready Certificate, follows reason changes and drops the series once Ready', async () => {
    const m = createWorkerMetrics();
    const withReady = (status: 'True' | 'False', reason?: string): Certificate => {
      const c = cert('api', 'False');
      c.status!.conditions = [{ type: 'Ready', status, ...(reason ? { reason } : {}) }];
      return c;
    };
    const series = async () => (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('certgate_certificate_not_ready{'));
    m.certificates.observe(withReady('False'));
    assert.deepEqual(await series(), [
      'certgate_certificate_not_ready{name="api",namespace="apps",issuer_name="ca",issuer_kind="ClusterIssuer",issuer_group="cert-manager.io",reason="Unknown"} 1',
    ]);
    m.certificates.observe(withReady('False', 'DoesNotExist'));
    assert.deepEqual(
      (await series()).map((l) => /reason="(\w+)"/.exec(l)![1]),
      ['DoesNotExist'],
    );
    m.certificates.observe(withReady('True', 'Ready'));
    assert.deepEqual(await series(), []);
    m.certificates.observe(withReady('False', 'Expired'));
    m.forgetObjects();
    assert.deepEqual(await series(), []);
  });

  it('counts challenges by type and state from the tracked list, zeros included, nothing when untracked', async () => {
    const m = createWorkerMetrics();
    const challenge = (type: 'HTTP-01' | 'DNS-01', state?: string) => ({ spec: { type }, status: state ? { state } : undefined }) as never;
    const value = async (labels: string) =>
      /\} (\d+)$/.exec((await m.registry.metrics()).split('\n').find((l) => l.startsWith(`certgate_acme_challenges{${labels}}`)) ?? '')?.[1];
    m.challenges.track(() => [challenge('HTTP-01'), challenge('HTTP-01', 'pending'), challenge('HTTP-01', 'pending'), challenge('DNS-01', 'valid')]);
    assert.equal(await value('type="HTTP-01",state="pending"'), '2');
    assert.equal(await value('type="HTTP-01",state="unknown"'), '1');
    assert.equal(await value('type="DNS-01",state="valid"'), '1');
    assert.equal(await value('type="DNS-01",state="pending"'), '0');
    m.challenges.untrack();
    assert.equal(await value('type="HTTP-01",state="pending"'), undefined);
  });
});
