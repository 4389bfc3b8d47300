// The webhook's metrics, in a private prom-client Registry (no global state: tests start several servers).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type AdmissionResult = 'allowed' | 'denied' | 'warned' | 'audited' | 'error';

export interface WebhookMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'kind' | 'operation' | 'rule' | 'result'>;
  readonly duration: Histogram<'kind' | 'operation'>;
}

export function createWebhookMetrics(opts: { processMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'certgate_webhook_admission_requests_total',
    help: 'Admission requests by kind, operation, rule and result; rule is "none" for requests no rule fired on.',
    labelNames: ['kind', 'operation', 'rule', 'result'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'certgate_webhook_admission_duration_seconds',
    help: 'Time to answer one admission request, from body parsed to answer written.',
    labelNames: ['kind', 'operation'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [registry],
  });
  return { registry, requests, duration };
}
