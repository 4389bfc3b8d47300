import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { createWebhookMetrics, DURATION_BUCKETS } from './metrics.ts';

const seriesLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .sort();

test('the tallied counter and histogram expose exactly what prom-client would for the same observations', async () => {
  const ours = createWebhookMetrics({ processMetrics: false });
  const reference = new Registry();
  const refCounter = new Counter({
    name: 'certgate_webhook_admission_requests_total',
    help: 'x',
    labelNames: ['kind', 'operation', 'rule', 'result'],
    registers: [reference],
  });
  const refHistogram = new Histogram({
    name: 'certgate_webhook_admission_duration_seconds',
    help: 'x',
    labelNames: ['kind', 'operation'],
    buckets: [...DURATION_BUCKETS],
    registers: [reference],
  });
  // Values on, below and above bucket bounds, and past the last one.
  const durations = [0.0001, 0.0005, 0.0007, 0.001, 0.003, 0.2, 0.01, 0.0499];
  const outcomes = [
    ['Ingress', 'CREATE', 'none', 'allowed'],
    ['Ingress', 'CREATE', 'tls-host-not-in-rules', 'denied'],
    ['Certificate', 'UPDATE', 'none', 'allowed'],
    ['unknown', 'unknown', 'none', 'error'],
  ] as const;
  const compare = async () => {
    for (const name of ['certgate_webhook_admission_requests_total', 'certgate_webhook_admission_duration_seconds']) {
      assert.deepEqual(seriesLines(await ours.registry.getSingleMetricAsString(name)), seriesLines(await reference.getSingleMetricAsString(name)), name);
    }
  };
  for (let round = 0; round < 2; round++) {
    durations.forEach((d, i) => {
      const [kind, operation, rule, result] = outcomes[i % outcomes.length]!;
      ours.countRequest(kind, operation, rule, result);
      refCounter.inc({ kind, operation, rule, result });
      ours.observeDuration(kind, operation, d);
      refHistogram.observe({ kind, operation }, d);
    });
    await compare(); // a scrape in between must not lose or double anything
  }
  const text = await ours.registry.metrics();
  assert.match(text, /# TYPE certgate_webhook_admission_duration_seconds histogram/);
  assert.match(text, /certgate_webhook_admission_duration_seconds_bucket\{le="0.0005",kind="Ingress",operation="CREATE"\} 4/);
  assert.match(text, /certgate_webhook_admission_requests_total\{kind="Ingress",operation="CREATE",rule="tls-host-not-in-rules",result="denied"\} 4/);
});

test('a registry reset clears the histogram; counts after it start again', async () => {
  const m = createWebhookMetrics({ processMetrics: false });
  m.observeDuration('Ingress', 'CREATE', 0.002);
  m.countRequest('Ingress', 'CREATE', 'none', 'allowed');
  m.registry.resetMetrics();
  assert.doesNotMatch(await m.registry.metrics(), /_count\{/);
  m.observeDuration('Ingress', 'CREATE', 0.002);
  assert.match(await m.registry.metrics(), /certgate_webhook_admission_duration_seconds_count\{kind="Ingress",operation="CREATE"\} 1/);
});
