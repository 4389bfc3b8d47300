// The webhook's metrics, in a private prom-client Registry (no global state: tests start several servers).
//
// The admission path only bumps numbers in small maps; prom-client sees them when it is scraped.
// Calling prom-client per request (it hashes the label set on every inc/observe) cost the
// webhook more CPU than its rules do (bench/webhook.ts). Label values are bounded (see server.ts),
// so the maps stay small.
import { Counter, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

export type AdmissionResult = 'allowed' | 'denied' | 'warned' | 'audited' | 'error';

export interface WebhookMetrics {
  readonly registry: Registry;
  /** Counts one request for one rule outcome (or rule "none"). */
  countRequest(kind: string, operation: string, rule: string, result: AdmissionResult): void;
  /** Records how long one admission request took. */
  observeDuration(kind: string, operation: string, seconds: number): void;
}

export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1] as const;

export function createWebhookMetrics(opts: { processMetrics?: boolean } = {}): WebhookMetrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const pending = new Map<string, { labels: Record<'kind' | 'operation' | 'rule' | 'result', string>; n: number }>();
  new Counter({
    name: 'certgate_webhook_admission_requests_total',
    help: 'Admission requests by kind, operation, rule and result; rule is "none" for requests no rule fired on.',
    labelNames: ['kind', 'operation', 'rule', 'result'] as const,
    registers: [registry],
    collect() {
      for (const t of pending.values()) {
        if (t.n > 0) this.inc(t.labels, t.n);
        t.n = 0;
      }
    },
  });
  const duration = new DurationHistogram(
    'certgate_webhook_admission_duration_seconds',
    'Time to answer one admission request, from body parsed to answer written.',
  );
  registry.registerMetric(duration as unknown as Metric);
  return {
    registry,
    countRequest(kind, operation, rule, result) {
      const key = `${kind}|${operation}|${rule}|${result}`;
      const t = pending.get(key);
      if (t) t.n++;
      else pending.set(key, { labels: { kind, operation, rule, result }, n: 1 });
    },
    observeDuration: (kind, operation, seconds) => duration.observe(kind, operation, seconds),
  };
}

interface DurationSeries {
  kind: string;
  operation: string;
  buckets: number[]; // observations per bucket, not cumulative; the last one is +Inf
  sum: number;
  count: number;
}

/** A histogram by kind and operation, exposed to prom-client's Registry as a metric of type histogram. */
class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, DurationSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  observe(kind: string, operation: string, seconds: number): void {
    const key = `${kind}|${operation}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { kind, operation, buckets: new Array(DURATION_BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    s.buckets[i]++;
    s.sum += seconds;
    s.count++;
  }

  // The shape prom-client's Registry formats: cumulative _bucket series with "le", then _sum and _count.
  get() {
    const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
    for (const s of this.series.values()) {
      const labels = { kind: s.kind, operation: s.operation };
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
