// Issuer and ClusterIssuer readiness as a gauge, queried by the chart's CertgateIssuerNotReady alert
// (charts/certgate/templates/_alerts.tpl): one series per Ready condition value, 1 for the current
// one. namespace is "" for ClusterIssuers. Series are removed when the issuer is deleted, and all of
// them when the worker stops leading.
import { Gauge, type Registry } from 'prom-client';
import type { ClusterIssuer, Issuer } from '../../api/types.generated.ts';

const READY_CONDITIONS = ['True', 'False', 'Unknown'] as const;

export type IssuerKind = 'Issuer' | 'ClusterIssuer';

export interface IssuerMetrics {
  /** Sets the issuer's ready series from its status (no Ready condition counts as Unknown). */
  observe(kind: IssuerKind, issuer: Issuer | ClusterIssuer): void;
  /** Removes the issuer's series; namespace is ignored for ClusterIssuers. */
  forget(kind: IssuerKind, namespace: string | undefined, name: string): void;
  /** Removes the series of every issuer (the replica stopped leading). */
  forgetAll(): void;
}

export function registerIssuerMetrics(registry: Registry): IssuerMetrics {
  const ready = new Gauge({
    name: 'certgate_issuer_ready_status',
    help: 'The ready status of the Issuer or ClusterIssuer: 1 for its current Ready condition value.',
    labelNames: ['name', 'namespace', 'kind', 'condition'],
    registers: [registry],
  });
  const labelsOf = (kind: IssuerKind, namespace: string | undefined, name: string) => ({
    name,
    namespace: kind === 'ClusterIssuer' ? '' : (namespace ?? ''),
    kind,
  });
  return {
    observe(kind, issuer) {
      const labels = labelsOf(kind, issuer.metadata.namespace, issuer.metadata.name ?? '');
      const status = issuer.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
      for (const condition of READY_CONDITIONS) ready.set({ ...labels, condition }, condition === status ? 1 : 0);
    },
    forget(kind, namespace, name) {
      const labels = labelsOf(kind, namespace, name);
      for (const condition of READY_CONDITIONS) ready.remove({ ...labels, condition });
    },
    forgetAll() {
      ready.reset();
    },
  };
}
