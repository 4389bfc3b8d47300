// Scale run (minutes; not part of `make test` or the default `make bench`): N Certificates on a CA
// Issuer (ECDSA) beside M unrelated Secrets of about 8 KiB, with the worker compiled as the image
// runs it and the embedded API server each in its own process.
//   npx tsx bench/scale.ts [--certificates 10000] [--secrets 30000] [--secret-bytes 6144] [--late-after 1000] [--timeout-min 30]
//                          [--after-ready-s 60] [--no-build]
// Prints: time from worker start until every Certificate is Ready; how long a Certificate applied
// while the others are in flight took to become Ready; the worker's RSS over time (sampled from
// /proc) and the API server's, every 5 s for --after-ready-s once all are Ready (flat or not), and
// where the worker's RSS lies at the end (V8 heap from its /metrics, malloc and code from smaps).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import type { Certificate } from '../api/types.generated.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { createCsr, generatePrivateKey, signCertificate } from '../lib/pki/index.ts';
import { buildCompiledWorker, COMPILED_CERTGATE_ARGS, imageEnv, REPO } from './compiled-worker.ts';
import { fmt, inParallel, machineLine, markdownTable, metricValue, MiB, procMemory, procMemoryParts } from './report.ts';

export interface ScaleOptions {
  certificates?: number;
  secrets?: number;
  secretBytes?: number;
  /** Apply the late Certificate once this many are Ready (default: a tenth). */
  lateAfter?: number;
  build?: boolean;
  timeoutMs?: number;
  /** How long RSS is sampled once all are Ready (default 60 s). */
  afterReadyMs?: number;
}

const NS = 'bench-scale';
const started = performance.now();
const progress = (msg: string) => process.stderr.write(`[scale ${((performance.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);

function startChild(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string; firstLine: Promise<string> } {
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CERTGATE_LOG_LEVEL: 'warn', ...env } });
  let out = '';
  let firstLineSeen: (line: string) => void;
  const firstLine = new Promise<string>((resolve) => (firstLineSeen = resolve));
  child.stdout!.on('data', (b: Buffer) => {
    out = (out + b.toString()).slice(-8000);
    const nl = out.indexOf('\n');
    if (nl >= 0) firstLineSeen(out.slice(0, nl).trim());
  });
  child.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-8000)));
  return { child, output: () => out, firstLine };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

/** A CA key pair made in this process (the worker's issuance is what is measured, not the CA's). */
async function caSecret(): Promise<V1Secret> {
  const key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
  const csr = await createCsr(key, { commonName: 'certgate scale bench CA' } as any);
  const certPem = await signCertificate({ csr, durationMs: 365 * 86_400_000, isCA: true, signerKey: key });
  const keyPem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'scale-ca', namespace: NS },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(certPem), 'tls.key': b64(keyPem) },
  };
}

/** CPU time (user + system) the process has used so far, ms: /proc/PID/stat in clock ticks of 10 ms (USER_HZ 100). */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A loopback port free right now (for the worker's /metrics, read at the end). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const certificate = (name: string): Certificate => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name, namespace: NS },
  spec: { secretName: `${name}-tls`, dnsNames: [`${name}.example.test`], issuerRef: { name: 'ca' }, privateKey: { algorithm: 'ECDSA' } },
});
const isReady = (c: Certificate) => !!c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');

export async function runScaleBench(opts: ScaleOptions = {}): Promise<string> {
  const certificates = opts.certificates ?? 10_000;
  const secrets = opts.secrets ?? 30_000;
  const secretBytes = opts.secretBytes ?? 6 * 1024; // base64: about 8 KiB stored
  const lateAfter = opts.lateAfter ?? Math.max(1, Math.floor(certificates / 10));
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  const afterReadyMs = Math.max(10_000, opts.afterReadyMs ?? 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'certgate-scale-'));
  let api: ReturnType<typeof startChild> | undefined;
  let worker: ReturnType<typeof startChild> | undefined;
  try {
    if (opts.build !== false) buildCompiledWorker(progress);
    // BENCH_API_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the embedded API server.
    const apiNodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
    api = startChild([...apiNodeArgs, '--import', 'tsx', 'test/apiserver/main.ts', '--dir', dir]);
    const kubeconfig = await Promise.race([
      api.firstLine,
      new Promise<never>((_, rej) => api!.child.once('exit', () => rej(new Error(`API server exited:\n${api!.output()}`)))),
    ]);
    const client = new KubeClient(loadKubeConfig({ kubeconfig }), 'certgate-bench');
    await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });

    progress(`seeding ${secrets} unrelated Secrets`);
    const payload = randomBytes(secretBytes).toString('base64');
    await inParallel(
      Array.from({ length: secrets }, (_, i) => i),
      32,
      (i) =>
        client.create<V1Secret>(Resources.Secret, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: `app-${i}`, namespace: i % 2 ? NS : 'default' },
          type: 'Opaque',
          data: { payload },
        }),
    );
    await client.create(Resources.Secret, await caSecret());
    await client.create(Resources.Issuer, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'ca', namespace: NS },
      spec: { ca: { secretName: 'scale-ca' } },
    });
    progress(`seeding ${certificates} Certificates`);
    await inParallel(
      Array.from({ length: certificates }, (_, i) => i),
      32,
      (i) => client.create(Resources.Certificate, certificate(`c-${i}`)),
    );
    const apiSeeded = procMemory(api.child.pid!);

    // Ready is counted from a watch: the bench's own requests stay off the clock.
    const ready = new Set<string>();
    const readyAt = new Map<string, number>();
    const cache = client.cache<Certificate>(Resources.Certificate, { namespace: NS });
    const seen = (c: Certificate) => {
      if (isReady(c) && !ready.has(c.metadata!.name!)) {
        ready.add(c.metadata!.name!);
        readyAt.set(c.metadata!.name!, performance.now());
      }
    };
    cache.on('add', seen);
    cache.on('update', seen);
    await cache.start();

    progress('starting the compiled worker');
    // BENCH_WORKER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the worker alone.
    const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const metricsPort = await freePort();
    worker = startChild(
      [
        ...nodeArgs,
        ...COMPILED_CERTGATE_ARGS,
        'worker',
        '--kubeconfig',
        kubeconfig,
        '--no-leader-elect',
        '--metrics-listen',
        `127.0.0.1:${metricsPort}`,
        '--health-listen',
        '127.0.0.1:0',
        '--namespace',
        NS,
      ],
      imageEnv(),
    );
    const t0 = performance.now();
    const apiCpuBefore = procCpuMs(api.child.pid!);
    const samples: Array<{ s: number; ready: number; workerRss: number; apiRss: number }> = [];
    let late: { appliedAt: number; readyMs?: number } | undefined;
    let timedOut = false;
    const total = certificates + 1;
    await new Promise<void>((resolve, reject) => {
      const exit = () => reject(new Error(`worker exited:\n${worker!.output()}`));
      worker!.child.once('exit', exit);
      const timer = setInterval(() => {
        const now = performance.now();
        try {
          const w = procMemory(worker!.child.pid!);
          const a = procMemory(api!.child.pid!);
          if (samples.length === 0 || now - t0 - samples[samples.length - 1].s * 1000 >= 5000)
            samples.push({ s: (now - t0) / 1000, ready: ready.size, workerRss: w.rssBytes, apiRss: a.rssBytes });
        } catch {
          /* a process ended: the exit handler reports it */
        }
        if (!late && ready.size >= lateAfter) {
          late = { appliedAt: now };
          progress(`${ready.size} Ready: applying one more Certificate`);
          client.create(Resources.Certificate, certificate('late-arrival')).catch(reject);
        }
        if (late && late.readyMs === undefined && readyAt.has('late-arrival')) late.readyMs = readyAt.get('late-arrival')! - late.appliedAt;
        if (ready.size >= total) {
          clearInterval(timer);
          worker!.child.off('exit', exit);
          resolve();
        } else if (now - t0 > timeoutMs) {
          // Report what was reached: the figures of a run that ran out of time are still figures.
          clearInterval(timer);
          worker!.child.off('exit', exit);
          timedOut = true;
          resolve();
        }
      }, 250);
    });
    const allReadyS = (performance.now() - t0) / 1000;
    const readyCount = ready.size;
    const cpuPerReady = (pid: number, before: number) => fmt((procCpuMs(pid) - before) / Math.max(1, readyCount), 1);
    const workerCpu = cpuPerReady(worker.child.pid!, 0);
    const apiCpu = cpuPerReady(api.child.pid!, apiCpuBefore);
    progress(`${ready.size}/${total} Ready after ${fmt(allReadyS)} s; sampling RSS for ${afterReadyMs / 1000} s`);
    // RSS every 5 s once all are Ready: "flat over time" is read from these.
    const afterReady: Array<{ s: number; rss: number }> = [];
    for (let s = 5; s * 1000 <= afterReadyMs; s += 5) {
      await new Promise((r) => setTimeout(r, 5000));
      afterReady.push({ s, rss: procMemory(worker.child.pid!).rssBytes });
    }
    const rssAt = (s: number) => afterReady.find((x) => x.s === s)!.rss;
    const workerAfter = procMemory(worker.child.pid!);
    const apiAfter = procMemory(api.child.pid!);
    const parts = procMemoryParts(worker.child.pid!);
    const workerMetrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
    await cache.stop();

    const mib = (b: number) => fmt(b / MiB, 0);
    // A run stopped by --timeout-min leaves the worker issuing: its samples are not those of an idle worker.
    const since = timedOut ? 'the timeout (the worker still issuing)' : 'all Ready';
    const rows = [
      timedOut
        ? [
            `${certificates} CA Certificates (ECDSA) + 1 applied later: NOT all Ready, stopped after ${fmt(allReadyS, 0)} s`,
            `${ready.size}/${total} Ready`,
            'under 300 s',
          ]
        : [`${certificates} CA Certificates (ECDSA) + 1 applied later: worker start until all Ready, s`, fmt(allReadyS, 1), 'under 300'],
      [
        `a Certificate applied once ${lateAfter} were Ready: until it is Ready, s`,
        late?.readyMs === undefined ? 'n/a' : fmt(late.readyMs / 1000, 1),
        'within 5',
      ],
      ['worker CPU (user + system) per Ready Certificate, from its start, ms', workerCpu, ''],
      ['embedded API server CPU per Ready Certificate over the same time, ms', apiCpu, ''],
      [`worker (compiled) RSS 10 s after ${since}, MiB`, mib(rssAt(10)), 'under 200'],
      [
        `worker RSS ${afterReady.at(-1)!.s} s after ${since}, MiB (lowest / highest sample after the first 10 s)`,
        `${mib(workerAfter.rssBytes)} (${mib(Math.min(...afterReady.slice(1).map((x) => x.rss)))} / ${mib(Math.max(...afterReady.slice(1).map((x) => x.rss)))})`,
        'flat',
      ],
      ['worker (compiled) peak RSS, MiB', mib(workerAfter.peakRssBytes), ''],
      [`embedded API server RSS with the seeded objects, before the worker, MiB`, mib(apiSeeded.rssBytes), ''],
      ['embedded API server peak RSS, MiB', mib(apiAfter.peakRssBytes), 'under 1536'],
    ];
    const timeline = samples.filter((_, i) => i % Math.max(1, Math.ceil(samples.length / 12)) === 0 || i === samples.length - 1);
    return [
      `### Scale: ${certificates} CA Certificates beside ${secrets} unrelated Secrets of ~${Math.round((secretBytes * 4) / 3 / 1024)} KiB`,
      '',
      markdownTable(['figure', 'certgate', 'target'], rows),
      '',
      'Worker and embedded API server each in their own process; the worker bundled (`scripts/build.ts`) as the image runs it, ' +
        `limited to namespace ${NS}; the Certificates and Secrets exist before the worker starts. RSS from /proc/PID/status.`,
      '',
      'Over time (s since the worker started: Certificates Ready, worker RSS MiB, API server RSS MiB): ' +
        timeline.map((s) => `${fmt(s.s, 0)} s: ${s.ready}, ${mib(s.workerRss)}, ${mib(s.apiRss)}`).join('; ') +
        '.',
      '',
      `Worker RSS after ${since} (s: MiB): ` + afterReady.map((x) => `${x.s}: ${mib(x.rss)}`).join(', ') + '.',
      '',
      `Where the worker's ${mib(workerAfter.rssBytes)} MiB lie at the end: V8 heap ${mib(metricValue(workerMetrics, 'nodejs_heap_size_total_bytes'))} ` +
        `(used ${mib(metricValue(workerMetrics, 'nodejs_heap_size_used_bytes'))}), external ${mib(metricValue(workerMetrics, 'nodejs_external_memory_bytes'))}; ` +
        `from smaps: files ${mib(parts.files)}, malloc [heap] ${mib(parts.mallocHeap)}, malloc arenas ${mib(parts.mallocArenas)}, ` +
        `other anonymous (V8 pages, stacks, large blocks) ${mib(parts.otherAnon)}.`,
    ].join('\n');
  } finally {
    await stop(worker?.child);
    await stop(api?.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      certificates: { type: 'string' },
      secrets: { type: 'string' },
      'secret-bytes': { type: 'string' },
      'late-after': { type: 'string' },
      'timeout-min': { type: 'string' },
      'after-ready-s': { type: 'string' },
      'no-build': { type: 'boolean' },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const markdown = await runScaleBench({
    certificates: num(values.certificates),
    secrets: num(values.secrets),
    secretBytes: num(values['secret-bytes']),
    lateAfter: num(values['late-after']),
    timeoutMs: values['timeout-min'] ? Number(values['timeout-min']) * 60_000 : undefined,
    afterReadyMs: values['after-ready-s'] ? Number(values['after-ready-s']) * 1000 : undefined,
    build: !values['no-build'],
  });
  console.log(`${markdown}\n\n${machineLine()}`);
  process.exit(0);
}
