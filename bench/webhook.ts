// Benchmark: Ingress AdmissionReviews at the certgate webhook (1,000 Ingresses in its view) and, in
// the same run, at a bare node:https server answering the same JSON. autocannon drives both from
// this process; each target runs in its own child process. Prints a markdown table.
//   npx tsx bench/webhook.ts [--duration 10] [--connections 10] [--rate 1000]
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { staticClusterView } from '../webhook/cluster-view.ts';
import { defaultWebhookConfig } from '../webhook/config.ts';
import { handleValidate } from '../webhook/admission/handlers.ts';
import { decodeReview, encodeReview } from '../webhook/admission/review.ts';
import { admissionReview, INGRESS_KIND, testTls } from '../webhook/test-helpers.ts';
import { benchObjects, NAMESPACE, reviewedIngress, type BenchSetup } from './webhook-data.ts';

export interface WebhookBenchOptions {
  durationSeconds?: number; // per measurement (default 10)
  connections?: number; // for the throughput runs (default 10)
  fixedRate?: number; // requests/s for the latency run (default 1000)
  ingressCount?: number; // default 1000
}

export interface BenchRow {
  target: 'certgate webhook' | 'bare node:https';
  load: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuMicrosPerRequest: number; // server process CPU (user + system) per answered request
}

export interface WebhookBenchResult {
  rows: BenchRow[];
  throughputRatio: number; // webhook / bare at full load
  markdown: string;
}

function startTarget(kind: 'webhook' | 'bare', setup: BenchSetup): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(new URL('./webhook-target.ts', import.meta.url)), [kind, JSON.stringify(setup)], { execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF && kind === process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/cpuprof2'] : [])], env: { ...process.env, CERTGATE_LOG_LEVEL: 'warn' } });
  return new Promise((resolve, reject) => {
    child.once('message', (m: any) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`${kind} target exited with ${code}`)));
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: any) => resolve(m.cpuMicros));
    child.send('cpu');
  });
}

async function measure(child: ChildProcess, port: number, body: string, opts: { connections: number; duration: number; rate?: number }) {
  const cpuBefore = await cpuOf(child);
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `https://127.0.0.1:${port}/validate`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections: opts.connections,
        duration: opts.duration,
        overallRate: opts.rate,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    // autocannon's own percentiles are whole milliseconds; keep the exact response times.
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  const cpu = (await cpuOf(child)) - cpuBefore;
  latencies.sort((a, b) => a - b);
  return { rps: result.requests.total / opts.duration, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors: result.errors + result.timeouts + result.non2xx, cpu: cpu / Math.max(1, result.requests.total) };
}

export async function runWebhookBench(opts: WebhookBenchOptions = {}): Promise<WebhookBenchResult> {
  const duration = opts.durationSeconds ?? 10;
  const connections = opts.connections ?? 10;
  const rate = opts.fixedRate ?? 1000;
  const ingressCount = opts.ingressCount ?? 1000;
  const tls = await testTls(['127.0.0.1']);
  const review = admissionReview(INGRESS_KIND, reviewedIngress(), { namespace: NAMESPACE, uid: '5a1e0c9a-0000-4000-8000-000000000001' });
  const body = JSON.stringify(review);
  // The exact answer the webhook gives, so the bare server sends identical bytes.
  const answer = JSON.stringify(encodeReview(handleValidate(decodeReview(review), { view: staticClusterView(benchObjects(ingressCount)), config: defaultWebhookConfig() }).response));
  const setup: BenchSetup = { ingressCount, tls: { key: tls.key, cert: tls.cert }, answer };
  const rows: BenchRow[] = [];
  for (const kind of ['webhook', 'bare'] as const) {
    const { child, port } = await startTarget(kind, setup);
    try {
      await measure(child, port, body, { connections, duration: 1 }); // warm-up (JIT, TLS sessions)
      const full = await measure(child, port, body, { connections, duration });
      const fixed = await measure(child, port, body, { connections, duration, rate });
      const target = kind === 'webhook' ? 'certgate webhook' : 'bare node:https';
      rows.push({ target, load: `${connections} connections, unthrottled`, requestsPerSecond: full.rps, p50Ms: full.p50, p99Ms: full.p99, errors: full.errors, cpuMicrosPerRequest: full.cpu });
      rows.push({ target, load: `${rate} requests/s`, requestsPerSecond: fixed.rps, p50Ms: fixed.p50, p99Ms: fixed.p99, errors: fixed.errors, cpuMicrosPerRequest: fixed.cpu });
    } finally {
      child.disconnect();
      if (!process.env.BENCH_CPU_PROF) child.kill();
    }
  }
  const throughputRatio = rows[0].requestsPerSecond / rows[2].requestsPerSecond;
  const fmt = (n: number, d = 2) => n.toFixed(d);
  const markdown = [
    `Webhook benchmark: Ingress AdmissionReviews to /validate, ${ingressCount} Ingresses in the cache, ${duration} s per row, autocannon, TLS 1.3 keep-alive.`,
    '',
    '| target | load | requests/s | p50 ms | p99 ms | server CPU µs/request | errors |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.target} | ${r.load} | ${fmt(r.requestsPerSecond, 0)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.cpuMicrosPerRequest, 0)} | ${r.errors} |`),
    '',
    `Throughput ratio (webhook / bare server, unthrottled): ${(throughputRatio * 100).toFixed(0)}% (target at least 60%); p99 at ${rate} requests/s: ${fmt(rows[1].p99Ms)} ms (target under 5 ms). Load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs.`,
  ].join('\n');
  return { rows, throughputRatio, markdown };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const result = await runWebhookBench({ durationSeconds: arg('duration'), connections: arg('connections'), fixedRate: arg('rate'), ingressCount: arg('ingresses') });
  console.log(result.markdown);
}
