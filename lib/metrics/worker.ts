// Every metric the worker exposes, built into one private Registry (served on /metrics).
// Other modules (lib/metrics/acme.ts) register into ctx.metrics.registry.
import type { Counter } from 'prom-client';
import { registerCertificateMetrics, registerControllerSyncCounter, type CertificateMetrics } from './certificates.ts';
import { registerIssuerMetrics, type IssuerMetrics } from './issuers.ts';
import { createMetricsRegistry, type Registry } from './registry.ts';

export interface WorkerMetrics {
  registry: Registry;
  certificates: CertificateMetrics;
  issuers: IssuerMetrics;
  controllerSyncCalls: Counter<'controller'>;
  /**
   * Drops every per-object gauge (Certificates, issuers) and keeps counters, histograms and process
   * metrics. Called when the controllers stop: a follower must not export the last values it saw,
   * or two replicas export conflicting series and alerts fire from the follower. The readiness and
   * issuer controllers set them again from the caches when this replica leads again.
   */
  forgetObjects(): void;
}

export function createWorkerMetrics(registry: Registry = createMetricsRegistry()): WorkerMetrics {
  const certificates = registerCertificateMetrics(registry);
  const issuers = registerIssuerMetrics(registry);
  return {
    registry,
    certificates,
    issuers,
    controllerSyncCalls: registerControllerSyncCounter(registry),
    forgetObjects() {
      certificates.forgetAll();
      issuers.forgetAll();
    },
  };
}
