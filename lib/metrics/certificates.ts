// cert-manager's Certificate metrics, same names and labels so existing dashboards and alerts work,
// plus certgate's own: why a Certificate is not Ready, and issuances by outcome.
// Each Certificate's series are removed when it is deleted (or its issuer labels change), and all of
// them when the worker stops leading. The series are made at each scrape from what was observed.
import { Counter, Gauge, type GaugeConfiguration, type LabelValues, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { Certificate } from '../../api/types.generated.ts';
import { metricHeader, seriesLine, type PiecewiseExposition } from './registry.ts';

const CERT_LABELS = ['name', 'namespace', 'issuer_name', 'issuer_kind', 'issuer_group'] as const;
const READY_CONDITIONS = ['True', 'False', 'Unknown'] as const;

type CertLabel = (typeof CERT_LABELS)[number];
type CertLabels = Record<CertLabel, string>;

/** What the series of one Certificate say, kept between scrapes instead of the series themselves. */
interface Observed {
  labels: CertLabels;
  notAfterSeconds: number;
  renewalSeconds: number;
  ready: (typeof READY_CONDITIONS)[number];
  /** The Ready condition's reason while it is not True. */
  notReadyReason?: string;
}

/** Certificates whose series one piece of a scrape holds at once. */
const CERTIFICATES_PER_PIECE = 500;

/**
 * A gauge whose series are made at each scrape from what was observed: prom-client's own gauges
 * keep every series (its labels, a key of all label values and a value, about 200 bytes) between
 * scrapes, which is more than a kilobyte per Certificate for these six. /metrics writes it in pieces
 * (exposition()): with 10,000 Certificates, prom-client's rendering of all its series at once held
 * tens of MiB at each scrape.
 */
class ScrapedGauge<T extends string> extends Gauge<T> implements PiecewiseExposition {
  constructor(
    private readonly config: GaugeConfiguration<T>,
    private readonly observed: ReadonlyMap<string, Observed>,
    private readonly seriesOf: (o: Observed) => Array<MetricValue<T>>,
  ) {
    super(config);
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<T>>> {
    return { ...(await super.get()), values: [...this.observed.values()].flatMap(this.seriesOf) };
  }

  *exposition(): Iterable<string> {
    yield metricHeader(this.config.name, this.config.help, 'gauge');
    let piece = '';
    let certificates = 0;
    for (const o of this.observed.values()) {
      for (const v of this.seriesOf(o)) piece += `\n${seriesLine(this.config.name, v.labels as Record<string, string>, v.value)}`;
      if (++certificates % CERTIFICATES_PER_PIECE === 0) {
        yield piece;
        piece = '';
      }
    }
    if (piece) yield piece;
  }
}

export interface CertificateMetrics {
  /** Sets every series of the Certificate from its status. */
  observe(cert: Certificate): void;
  /** Removes every series of the Certificate. */
  forget(namespace: string, name: string): void;
  /** Removes the series of every Certificate (the replica stopped leading). */
  forgetAll(): void;
}

export function registerCertificateMetrics(registry: Registry): CertificateMetrics {
  const observed = new Map<string, Observed>(); // "namespace/name" ->
  const gauge = <T extends string>(name: string, help: string, labelNames: readonly T[], series: (o: Observed) => Array<MetricValue<T>>) =>
    new ScrapedGauge<T>({ name, help, labelNames, registers: [registry] }, observed, series);
  const each = (value: (o: Observed) => number) => (o: Observed) => [{ labels: o.labels as LabelValues<CertLabel>, value: value(o) }];
  gauge(
    'certmanager_certificate_expiration_timestamp_seconds',
    'The timestamp after which the certificate expires, expressed in Unix Epoch Time.',
    CERT_LABELS,
    each((o) => o.notAfterSeconds),
  );
  gauge(
    'certmanager_certificate_not_after_timestamp_seconds',
    'The timestamp after which the certificate is invalid, expressed as a Unix Epoch Time.',
    CERT_LABELS,
    each((o) => o.notAfterSeconds),
  );
  gauge(
    'certmanager_certificate_renewal_timestamp_seconds',
    'The timestamp after which the certificate should be renewed, expressed in Unix Epoch Time.',
    CERT_LABELS,
    each((o) => o.renewalSeconds),
  );
  gauge('certmanager_certificate_ready_status', 'The ready status of the certificate.', [...CERT_LABELS, 'condition'], (o) =>
    READY_CONDITIONS.map((condition) => ({ labels: { ...o.labels, condition }, value: condition === o.ready ? 1 : 0 })),
  );
  gauge(
    'certgate_certificate_not_ready',
    '1 for each Certificate whose Ready condition is not True, with the reason of that condition (Unknown when it has none).',
    [...CERT_LABELS, 'reason'],
    (o) => (o.notReadyReason === undefined ? [] : [{ labels: { ...o.labels, reason: o.notReadyReason }, value: 1 }]),
  );

  const seconds = (iso?: string) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);
  return {
    observe(cert) {
      const readyCondition = cert.status?.conditions?.find((c) => c.type === 'Ready');
      const ready = readyCondition?.status === 'True' || readyCondition?.status === 'False' ? readyCondition.status : 'Unknown';
      observed.set(`${cert.metadata.namespace ?? ''}/${cert.metadata.name ?? ''}`, {
        labels: {
          name: cert.metadata.name ?? '',
          namespace: cert.metadata.namespace ?? '',
          issuer_name: cert.spec.issuerRef.name,
          issuer_kind: cert.spec.issuerRef.kind || 'Issuer',
          issuer_group: cert.spec.issuerRef.group || 'cert-manager.io',
        },
        notAfterSeconds: seconds(cert.status?.notAfter),
        renewalSeconds: seconds(cert.status?.renewalTime),
        ready,
        notReadyReason: ready === 'True' ? undefined : readyCondition?.reason || 'Unknown',
      });
    },
    forget(namespace, name) {
      observed.delete(`${namespace}/${name}`);
    },
    forgetAll() {
      observed.clear();
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
