// cert-manager's Certificate metrics, same names and labels so existing dashboards and alerts work,
// plus certgate's own: why a Certificate is not Ready, and issuances by outcome.
// Each Certificate's series are removed when it is deleted (or its issuer labels change), and all of
// them when the worker stops leading.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Certificate } from '../../api/types.generated.ts';
import { semanticallyEqual } from '../semantic-equal.ts';

const CERT_LABELS = ['name', 'namespace', 'issuer_name', 'issuer_kind', 'issuer_group'] as const;
const READY_CONDITIONS = ['True', 'False', 'Unknown'] as const;

type CertLabels = Record<(typeof CERT_LABELS)[number], string>;

export interface CertificateMetrics {
  /** Sets every series of the Certificate from its status. */
  observe(cert: Certificate): void;
  /** Removes every series of the Certificate. */
  forget(namespace: string, name: string): void;
  /** Removes the series of every Certificate (the replica stopped leading). */
  forgetAll(): void;
}

export function registerCertificateMetrics(registry: Registry): CertificateMetrics {
  const expiration = new Gauge({
    name: 'certmanager_certificate_expiration_timestamp_seconds',
    help: 'The timestamp after which the certificate expires, expressed in Unix Epoch Time.',
    labelNames: CERT_LABELS,
    registers: [registry],
  });
  const notAfter = new Gauge({
    name: 'certmanager_certificate_not_after_timestamp_seconds',
    help: 'The timestamp after which the certificate is invalid, expressed as a Unix Epoch Time.',
    labelNames: CERT_LABELS,
    registers: [registry],
  });
  const renewal = new Gauge({
    name: 'certmanager_certificate_renewal_timestamp_seconds',
    help: 'The timestamp after which the certificate should be renewed, expressed in Unix Epoch Time.',
    labelNames: CERT_LABELS,
    registers: [registry],
  });
  const ready = new Gauge({
    name: 'certmanager_certificate_ready_status',
    help: 'The ready status of the certificate.',
    labelNames: [...CERT_LABELS, 'condition'],
    registers: [registry],
  });
  const notReady = new Gauge({
    name: 'certgate_certificate_not_ready',
    help: '1 for each Certificate whose Ready condition is not True, with the reason of that condition (Unknown when it has none).',
    labelNames: [...CERT_LABELS, 'reason'],
    registers: [registry],
  });
  const known = new Map<string, CertLabels>();
  const notReadyReasons = new Map<string, string>();

  function remove(labels: CertLabels): void {
    expiration.remove(labels);
    notAfter.remove(labels);
    renewal.remove(labels);
    for (const condition of READY_CONDITIONS) ready.remove({ ...labels, condition });
    const id = `${labels.namespace}/${labels.name}`;
    const reason = notReadyReasons.get(id);
    if (reason !== undefined) notReady.remove({ ...labels, reason });
    notReadyReasons.delete(id);
  }

  return {
    observe(cert) {
      const labels: CertLabels = {
        name: cert.metadata.name ?? '',
        namespace: cert.metadata.namespace ?? '',
        issuer_name: cert.spec.issuerRef.name,
        issuer_kind: cert.spec.issuerRef.kind || 'Issuer',
        issuer_group: cert.spec.issuerRef.group || 'cert-manager.io',
      };
      const id = `${labels.namespace}/${labels.name}`;
      const prior = known.get(id);
      if (prior && !semanticallyEqual(prior, labels)) remove(prior);
      known.set(id, labels);
      const seconds = (iso?: string) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);
      expiration.set(labels, seconds(cert.status?.notAfter));
      notAfter.set(labels, seconds(cert.status?.notAfter));
      renewal.set(labels, seconds(cert.status?.renewalTime));
      const readyCondition = cert.status?.conditions?.find((c) => c.type === 'Ready');
      const status = readyCondition?.status ?? 'Unknown';
      for (const condition of READY_CONDITIONS) ready.set({ ...labels, condition }, condition === status ? 1 : 0);
      const priorReason = notReadyReasons.get(id);
      const reason = status === 'True' ? undefined : readyCondition?.reason || 'Unknown';
      if (priorReason !== undefined && priorReason !== reason) notReady.remove({ ...labels, reason: priorReason });
      if (reason === undefined) notReadyReasons.delete(id);
      else {
        notReady.set({ ...labels, reason }, 1);
        notReadyReasons.set(id, reason);
      }
    },
    forget(namespace, name) {
      const id = `${namespace}/${name}`;
      const prior = known.get(id);
      if (!prior) return;
      remove(prior);
      known.delete(id);
    },
    forgetAll() {
      for (const gauge of [expiration, notAfter, renewal, ready, notReady]) gauge.reset();
      known.clear();
      notReadyReasons.clear();
    },
  };
}

export function registerControllerSyncCounter(registry: Registry): Counter<'controller'> {
  return new Counter({
    name: 'certmanager_controller_sync_call_count',
    help: 'The number of sync() calls made by a controller.',
    labelNames: ['controller'],
    registers: [registry],
  });
}

export type IssuanceResult = 'issued' | 'renewed' | 'failed';

/** Issuances by outcome: a first certificate, a renewal (a later revision), or a failed attempt. */
export function registerIssuanceCounter(registry: Registry): Counter<'namespace' | 'issuer_name' | 'issuer_kind' | 'result'> {
  return new Counter({
    name: 'certgate_certificate_issuances_total',
    help: 'Certificate issuances by result: issued (first revision), renewed (later revisions) or failed (a failed attempt).',
    labelNames: ['namespace', 'issuer_name', 'issuer_kind', 'result'],
    registers: [registry],
  });
}
