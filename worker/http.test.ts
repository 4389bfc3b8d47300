// /metrics: the text prom-client's registry.metrics() makes, written one metric at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge } from 'prom-client';
import type { Certificate } from '../api/types.generated.ts';
import { createMetricsRegistry } from '../lib/metrics/registry.ts';
import { createWorkerMetrics } from '../lib/metrics/worker.ts';
import { serveMetrics } from './http.ts';

test('/metrics answers what registry.metrics() makes, rendering one metric after the other', async () => {
  const registry = createMetricsRegistry();
  let rendering = 0;
  let mostAtOnce = 0;
  // Each gauge yields while it collects: rendered all at once (registry.metrics()), both would be in flight together.
  const slowGauge = (name: string) =>
    new Gauge({
      name,
      help: `${name} "help"`,
      labelNames: ['name'],
      registers: [registry],
      async collect() {
        mostAtOnce = Math.max(mostAtOnce, ++rendering);
        await new Promise((resolve) => setImmediate(resolve));
        rendering--;
        this.set({ name: 'a\\b"c' }, 1.5);
      },
    });
  slowGauge('first_gauge');
  new Counter({ name: 'a_counter_total', help: 'counts', registers: [registry] }).inc(3);
  slowGauge('second_gauge');
  new Gauge({ name: 'empty_gauge', help: 'no series', registers: [registry] });
  const listener = await serveMetrics({ host: '127.0.0.1', port: 0 }, registry);
  try {
    const res = await fetch(`http://127.0.0.1:${listener.port}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), registry.contentType);
    const served = await res.text();
    assert.equal(mostAtOnce, 1, 'one metric at a time');
    assert.equal(served, await registry.metrics());
    assert.match(served, /^first_gauge\{name="a\\\\b\\"c"\} 1\.5$/m);
  } finally {
    await listener.close();
  }
});

test('/metrics of an empty registry is what registry.metrics() makes of it', async () => {
  const registry = createMetricsRegistry();
  const listener = await serveMetrics({ host: '127.0.0.1', port: 0 }, registry);
  try {
    assert.equal(await (await fetch(`http://127.0.0.1:${listener.port}/metrics`)).text(), await registry.metrics());
  } finally {
    await listener.close();
  }
});

test('/metrics writes the certificate gauges in pieces, the same text prom-client prints, quotes, backslashes and newlines escaped', async () => {
  const metrics = createWorkerMetrics();
  // More Certificates than one piece holds, some not Ready with a reason that needs escaping.
  for (let i = 0; i < 5003; i++)
    metrics.certificates.observe({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: `c-${i}`, namespace: 'apps' },
      spec: { secretName: `c-${i}-tls`, issuerRef: { name: 'ca', kind: i % 2 ? 'ClusterIssuer' : undefined, group: 'weird\\"group' } },
      status: {
        notAfter: i % 3 ? '2027-01-01T00:00:00Z' : undefined,
        conditions: [{ type: 'Ready', status: i % 5 ? 'True' : 'False', reason: i % 5 ? 'Ready' : 'Bad "key"\nhere\\' }],
      },
    } as Certificate);
  metrics.controllerSyncCalls.inc({ controller: 'certificates-trigger' });
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  const listener = await serveMetrics({ host: '127.0.0.1', port: 0 }, metrics.registry);
  try {
    const served = await (await fetch(`http://127.0.0.1:${listener.port}/metrics`)).text();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings, [], 'no listener piles up while the scraper reads (MaxListenersExceededWarning)');
    const printed = await metrics.registry.metrics();
    assert.equal(served.length, printed.length);
    assert.equal(served, printed);
    assert.match(served, /reason="Bad \\"key\\"\\nhere\\\\"/);
  } finally {
    await listener.close();
    process.off('warning', onWarning);
  }
});
