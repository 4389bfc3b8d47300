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
}

export function createWorkerMetrics(registry: Registry = createMetricsRegistry()): WorkerMetrics {
  return {
    registry,
    certificates: registerCertificateMetrics(registry),
    issuers: registerIssuerMetrics(registry),
    controllerSyncCalls: registerControllerSyncCounter(registry),
  };
}
