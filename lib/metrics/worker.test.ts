import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { collectDefaultMetrics } from 'prom-client';
import type { Certificate, Issuer } from '../../api/types.generated.ts';
import { createAcmeMetrics } from './acme.ts';
import { createWorkerMetrics } from './worker.ts';

const cert: Certificate = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'web', namespace: 'apps' },
  spec: { secretName: 'web-tls', issuerRef: { name: 'ca' } },
  status: { notAfter: '2027-01-01T00:00:00Z', renewalTime: '2026-12-01T00:00:00Z', conditions: [{ type: 'Ready', status: 'True' }] },
};
const issuer: Issuer = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Issuer',
  metadata: { name: 'ca', namespace: 'apps' },
  spec: { selfSigned: {} },
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
};

/** Names of the series with at least one sample, e.g. "certmanager_certificate_ready_status". */
const seriesNames = (text: string) =>
  new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0]),
  );

describe('forgetObjects (the worker stopped leading)', () => {
  it('drops every Certificate and issuer gauge, keeps counters, histograms and process metrics; observe rebuilds', async () => {
    const m = createWorkerMetrics();
    collectDefaultMetrics({ register: m.registry });
    const acme = createAcmeMetrics(m.registry);
    m.certificates.observe(cert);
    m.certificates.observe({ ...cert, metadata: { name: 'api', namespace: 'apps' } });
    m.issuers.observe('Issuer', issuer);
    m.controllerSyncCalls.inc({ controller: 'certificates-readiness' }, 3);
    acme.observeRequest({ url: 'https://ca.example/acme/new-order', method: 'POST', status: 201, durationSeconds: 0.1 });

    m.forgetObjects();
    const after = await m.registry.metrics();
    const names = seriesNames(after);
    for (const gone of [
      'certmanager_certificate_expiration_timestamp_seconds',
      'certmanager_certificate_not_after_timestamp_seconds',
      'certmanager_certificate_renewal_timestamp_seconds',
      'certmanager_certificate_ready_status',
      'certgate_issuer_ready_status',
    ]) {
      assert.ok(!names.has(gone), `${gone} has no series after forgetObjects`);
    }
    assert.match(after, /certmanager_controller_sync_call_count\{controller="certificates-readiness"\} 3/);
    assert.match(after, /certmanager_http_acme_client_request_count\{[^}]*path="\/acme\/new-order"[^}]*\} 1/);
    assert.match(after, /certmanager_http_acme_client_request_duration_seconds_count\{/);
    assert.ok(names.has('process_cpu_user_seconds_total') && names.has('nodejs_heap_size_used_bytes'), 'process metrics stay');

    // Leading again: the controllers observe from the caches and the series come back, once each.
    m.certificates.observe(cert);
    m.issuers.observe('Issuer', issuer);
    const rebuilt = await m.registry.metrics();
    assert.match(
      rebuilt,
      /certmanager_certificate_expiration_timestamp_seconds\{name="web",namespace="apps",issuer_name="ca",issuer_kind="Issuer",issuer_group="cert-manager.io"\} 1798761600/,
    );
    assert.match(rebuilt, /certgate_issuer_ready_status\{name="ca",namespace="apps",kind="Issuer",condition="True"\} 1/);
    assert.doesNotMatch(rebuilt, /name="api"/, 'a Certificate not observed again stays gone');
    m.certificates.forget('apps', 'web'); // still tracked after the reset
    assert.doesNotMatch(await m.registry.metrics(), /certmanager_certificate_ready_status\{/);
  });
});
