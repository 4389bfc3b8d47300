// Every metric the worker exposes, built into one private Registry (served on /metrics).
// Other modules (lib/metrics/acme.ts) register into ctx.metrics.registry.
import { Gauge, type Counter } from 'prom-client';
import { registerCertificateMetrics, registerControllerSyncCounter, registerIssuanceCounter, type CertificateMetrics } from './certificates.ts';
import { registerChallengeMetrics, type ChallengeMetrics } from './challenges.ts';
import { registerIssuerMetrics, type IssuerMetrics } from './issuers.ts';
import { createMetricsRegistry, type Registry } from './registry.ts';

export interface WorkerMetrics {
  registry: Registry;
  certificates: CertificateMetrics;
  issuers: IssuerMetrics;
  controllerSyncCalls: Counter<'controller'>;
  issuances: Counter<'namespace' | 'issuer_name' | 'issuer_kind' | 'result'>;
  challenges: ChallengeMetrics;
  /** client-go's leader_election_master_status: 1 while this replica holds the Lease named `name`. */
  leader: Gauge<'name'>;
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
    issuances: registerIssuanceCounter(registry),
    challenges: registerChallengeMetrics(registry),
    leader: new Gauge({
      name: 'leader_election_master_status',
      help: "Whether this replica leads (1) or not (0), by Lease name (as client-go's leader election metric).",
      labelNames: ['name'],
      registers: [registry],
    }),
    forgetObjects() {
      certificates.forgetAll();
      issuers.forgetAll();
    },
  };
}
