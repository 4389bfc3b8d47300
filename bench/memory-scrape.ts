// What one /metrics scrape costs in memory with N Certificates observed: the worker's metrics
// registry with N Certificates' series, scraped over HTTP as the worker serves it (one metric at a
// time, the certificate gauges in pieces) and, side by side, answered with prom-client's registry.metrics() (every metric at once).
// Each way runs in its own process (node flags of the image), so one scrape's pages do not count
// for the other: RSS before, highest while scraping (sampled every 2 ms), heap used before and after.
//   npx tsx bench/memory-scrape.ts [--certificates 10000] [--rounds 3]
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Certificate } from '../api/types.generated.ts';
import { createWorkerMetrics } from '../lib/metrics/worker.ts';
import { serveMetrics } from '../worker/http.ts';
import { imageNodeFlags, REPO } from './compiled-worker.ts';
import { fmt, machineLine, markdownTable, MiB, procMemory } from './report.ts';

type Way = 'served' | 'registry.metrics()';

const certificate = (i: number): Certificate =>
  ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: `c-${i}`, namespace: 'bench-scale' },
    spec: { secretName: `c-${i}-tls`, issuerRef: { name: 'ca' } },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' }],
      notAfter: '2027-03-08T02:37:40Z',
      renewalTime: '2027-02-06T02:37:40Z',
    },
  }) as Certificate;

/** In the child: one scrape the given way; prints RSS and heap figures as JSON. */
async function scrapeOnce(way: Way, certificates: number): Promise<void> {
  const metrics = createWorkerMetrics();
  for (let i = 0; i < certificates; i++) metrics.certificates.observe(certificate(i));
  const rss = () => procMemory(process.pid).rssBytes;
  let server: http.Server | undefined;
  let port: number;
  if (way === 'served') {
    const listener = await serveMetrics({ host: '127.0.0.1', port: 0 }, metrics.registry);
    port = listener.port;
    server = { close: () => void listener.close() } as unknown as http.Server;
  } else {
    server = http.createServer(async (_, res) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(await metrics.registry.metrics()));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  }
  const before = rss();
  const heapBefore = process.memoryUsage().heapUsed;
  let highest = before;
  const sampler = setInterval(() => (highest = Math.max(highest, rss())), 2);
  // The scraper is this process too: its body is read as a stream and dropped, as Prometheus would.
  const bytes = await new Promise<number>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => (n += c.length));
        res.on('end', () => resolve(n));
      })
      .on('error', reject);
  });
  clearInterval(sampler);
  highest = Math.max(highest, rss());
  server.close();
  console.log(JSON.stringify({ before, highest, heapBefore, heapAfter: process.memoryUsage().heapUsed, bytes }));
  process.exit(0);
}

function runChild(way: Way, certificates: number): { before: number; highest: number; bytes: number } {
  const child = spawnSync(
    process.execPath,
    [...imageNodeFlags(), '--import', 'tsx', fileURLToPath(import.meta.url), '--child', way, '--certificates', String(certificates)],
    { cwd: REPO, encoding: 'utf8' },
  );
  if (child.status !== 0) throw new Error(`scrape child failed:\n${child.stdout}${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { certificates: { type: 'string' }, rounds: { type: 'string' }, child: { type: 'string' } } });
  const certificates = Number(values.certificates ?? 10_000);
  if (values.child) await scrapeOnce(values.child as Way, certificates);
  else {
    const rounds = Number(values.rounds ?? 3);
    const lifts: Record<Way, number[]> = { served: [], 'registry.metrics()': [] };
    let bytes = 0;
    for (let r = 0; r < rounds; r++)
      for (const way of ['served', 'registry.metrics()'] as const) {
        const m = runChild(way, certificates);
        lifts[way].push((m.highest - m.before) / MiB);
        bytes = m.bytes;
      }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const served = median(lifts.served);
    const baseline = median(lifts['registry.metrics()']);
    console.log(
      [
        `### One /metrics scrape with ${certificates} Certificates observed (${fmt(bytes / MiB, 1)} MiB of text)`,
        '',
        markdownTable(
          ['figure', 'served (one metric at a time, certificate gauges in pieces)', 'registry.metrics() (all at once)', 'ratio'],
          [
            [
              `RSS rise while scraping, MiB (median of ${rounds}; rounds: ${lifts.served.map((x) => fmt(x)).join(', ')} / ${lifts['registry.metrics()'].map((x) => fmt(x)).join(', ')})`,
              fmt(served),
              fmt(baseline),
              `${fmt(served / baseline, 2)}×`,
            ],
          ],
        ),
        '',
        machineLine(),
      ].join('\n'),
    );
  }
}
