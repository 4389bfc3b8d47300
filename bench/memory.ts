// Benchmark: the worker's memory with many unrelated Secrets in the cluster (cert-manager's most
// reported problem: its Secret informer caches every Secret). For each Secret count (0 = the
// baseline, then N) a fresh embedded API server gets N unrelated ~8 KiB Secrets and M SelfSigned
// Certificates; `node bin/certgate.js worker` runs as a child process until every Certificate is
// Ready, then its RSS (/proc), peak RSS and V8 heap (after a full GC) are read. For contrast the
// same is read from a child holding a naive list+watch cache of ALL Secrets.
//   npx tsx bench/memory.ts [--secrets 2000] [--certificates 50]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import type { Certificate } from '../api/types.generated.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { startApiServer, type EmbeddedApiServer } from '../test/apiserver/index.ts';
import { fmt, inParallel, machineLine, markdownTable, MiB, procMemory, ratio } from './report.ts';

export interface MemoryBenchOptions {
  /** Unrelated Secrets in the measured run (default 2000; the baseline has 0). */
  secrets?: number;
  /** Managed SelfSigned Certificates in both runs (default 50). */
  certificates?: number;
  /** Bytes of data per unrelated Secret before base64 (default 6 KiB, about 8 KiB encoded). */
  secretBytes?: number;
}

export interface MemoryFigures {
  /** Worker only: from its start until every Certificate was Ready. */
  syncMs?: number;
  rssBytes: number;
  peakRssBytes: number;
  heapUsedBytes: number;
}

export interface MemoryBenchResult {
  worker: { baseline: MemoryFigures; loaded: MemoryFigures };
  allSecretsCache: { baseline: MemoryFigures; loaded: MemoryFigures; cachedSecrets: number };
  markdown: string;
}

const NS = 'bench-memory';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const PROBE = new URL('./memory-probe.ts', import.meta.url).href;
const CHILD_TIMEOUT_MS = 240_000;
const started = performance.now();
/** Progress on stderr, so stdout stays the markdown. */
const progress = (msg: string) => process.stderr.write(`[memory ${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);

async function seedCluster(client: KubeClient, secretCount: number, certificateCount: number, secretBytes: number): Promise<void> {
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  // Unrelated application Secrets, half in "default", half beside the Certificates.
  const payload = randomBytes(secretBytes).toString('base64');
  const indexes = Array.from({ length: secretCount }, (_, i) => i);
  await inParallel(indexes, 16, (i) =>
    client.create<V1Secret>(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `app-secret-${i}`, namespace: i % 2 ? NS : 'default' },
      type: 'Opaque',
      data: { payload },
    }),
  );
  await client.create(Resources.Issuer, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name: 'selfsigned', namespace: NS },
    spec: { selfSigned: {} },
  });
  await inParallel(
    Array.from({ length: certificateCount }, (_, i) => i),
    8,
    (i) =>
      client.create<Certificate>(Resources.Certificate, {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: `managed-${i}`, namespace: NS },
        spec: {
          secretName: `managed-${i}-tls`,
          dnsNames: [`managed-${i}.example.test`],
          issuerRef: { name: 'selfsigned' },
          privateKey: { algorithm: 'ECDSA' },
        },
      }),
  );
}

/** A child with the memory probe preloaded and an IPC channel; stdout/stderr kept for errors. */
function spawnProbed(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', PROBE, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, CERTGATE_LOG_LEVEL: 'warn' },
  });
  let out = '';
  const keep = (b: Buffer) => (out = (out + b.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => out };
}

function readMemory(child: ChildProcess): Promise<MemoryFigures> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: any) => {
      if (!m?.memory) return;
      child.off('message', onMessage);
      try {
        const proc = procMemory(child.pid!);
        resolve({ rssBytes: proc.rssBytes, peakRssBytes: proc.peakRssBytes, heapUsedBytes: m.memory.heapUsed });
      } catch (err) {
        reject(err);
      }
    };
    child.on('message', onMessage);
    child.send('memory');
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.connected) child.disconnect();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function failIfExits(child: ChildProcess, what: string, output: () => string): Promise<never> {
  return new Promise((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`${what} exited (${code ?? signal}) before it was measured:\n${output()}`))),
  );
}

async function withDeadline<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The real worker binary until every Certificate is Ready, then a short settle and the reading. */
async function measureWorker(api: EmbeddedApiServer, client: KubeClient, certificateCount: number): Promise<MemoryFigures> {
  const { child, output } = spawnProbed([
    'bin/certgate.js',
    'worker',
    '--kubeconfig',
    api.kubeconfigPath,
    '--no-leader-elect',
    '--metrics-listen',
    '127.0.0.1:0',
    '--health-listen',
    '127.0.0.1:0',
  ]);
  const exited = failIfExits(child, 'worker', output);
  exited.catch(() => {});
  const t0 = performance.now();
  try {
    const allReady = (async () => {
      for (;;) {
        const certs = (await client.list<Certificate>(Resources.Certificate, { namespace: NS })).items;
        const ready = certs.filter((c) => c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length;
        if (ready === certificateCount) return progress(`${ready} Certificates Ready`);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await withDeadline(`worker making ${certificateCount} Certificates Ready`, Promise.race([allReady, exited]), CHILD_TIMEOUT_MS).catch((err) => {
      throw new Error(`${err.message}; worker output:\n${output()}`);
    });
    const syncMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2000)); // let the queues drain and watches settle
    return { syncMs, ...(await withDeadline('worker memory reading', Promise.race([readMemory(child), exited]), 10_000)) };
  } finally {
    await stopChild(child);
  }
}

async function measureAllSecretsCache(api: EmbeddedApiServer): Promise<{ figures: MemoryFigures; cachedSecrets: number }> {
  const { child, output } = spawnProbed([fileURLToPath(new URL('./all-secrets-cache.ts', import.meta.url)), api.kubeconfigPath]);
  const exited = failIfExits(child, 'all-Secrets cache', output);
  exited.catch(() => {});
  try {
    const listed = new Promise<number>((resolve) => child.on('message', (m: any) => m?.ready && resolve(m.secrets)));
    const cachedSecrets = await withDeadline('all-Secrets cache listing', Promise.race([listed, exited]), CHILD_TIMEOUT_MS);
    await new Promise((r) => setTimeout(r, 1000));
    return { figures: await withDeadline('cache memory reading', Promise.race([readMemory(child), exited]), 10_000), cachedSecrets };
  } finally {
    await stopChild(child);
  }
}

async function measureCluster(secretCount: number, certificateCount: number, secretBytes: number) {
  const api = await startApiServer();
  try {
    const client = new KubeClient(loadKubeConfig({ kubeconfig: api.kubeconfigPath }), 'certgate-bench');
    progress(`seeding ${secretCount} Secrets and ${certificateCount} Certificates`);
    await seedCluster(client, secretCount, certificateCount, secretBytes);
    progress('starting the worker');
    const worker = await measureWorker(api, client, certificateCount);
    progress('starting the all-Secrets cache');
    const cache = await measureAllSecretsCache(api);
    return { worker, cache };
  } finally {
    await api.stop();
  }
}

export async function runMemoryBench(opts: MemoryBenchOptions = {}): Promise<MemoryBenchResult> {
  const secrets = opts.secrets ?? 2000;
  const certificates = opts.certificates ?? 50;
  const secretBytes = opts.secretBytes ?? 6 * 1024;
  const baseline = await measureCluster(0, certificates, secretBytes);
  const loaded = await measureCluster(secrets, certificates, secretBytes);
  const result = {
    worker: { baseline: baseline.worker, loaded: loaded.worker },
    allSecretsCache: { baseline: baseline.cache.figures, loaded: loaded.cache.figures, cachedSecrets: loaded.cache.cachedSecrets },
    markdown: '',
  };
  const mib = (b: number) => fmt(b / MiB, 1);
  const rows = (label: string, base: MemoryFigures, load: MemoryFigures) => [
    [`${label}: RSS after sync, MiB`, mib(load.rssBytes), mib(base.rssBytes), ratio(load.rssBytes, base.rssBytes)],
    [`${label}: peak RSS, MiB`, mib(load.peakRssBytes), mib(base.peakRssBytes), ratio(load.peakRssBytes, base.peakRssBytes)],
    [`${label}: V8 heap used after GC, MiB`, mib(load.heapUsedBytes), mib(base.heapUsedBytes), ratio(load.heapUsedBytes, base.heapUsedBytes)],
  ];
  const c = result.allSecretsCache;
  result.markdown = [
    `### Worker memory with ${secrets} unrelated Secrets (~${Math.round((secretBytes * 4) / 3 / 1024)} KiB each) and ${certificates} SelfSigned Certificates`,
    '',
    markdownTable(
      ['figure', `${secrets} unrelated Secrets`, 'baseline: 0 unrelated Secrets', 'ratio'],
      [
        ...rows('certgate worker', result.worker.baseline, result.worker.loaded),
        [
          'certgate worker: start until all Certificates Ready, s',
          fmt(result.worker.loaded.syncMs! / 1000),
          fmt(result.worker.baseline.syncMs! / 1000),
          ratio(result.worker.loaded.syncMs!, result.worker.baseline.syncMs!),
        ],
        ...rows('what an unfiltered cache would cost (all-Secrets informer alone)', c.baseline, c.loaded),
      ],
    ),
    '',
    `The worker (\`node bin/certgate.js worker\`) caches only Secrets labelled controller.cert-manager.io/fao=true, so its ratio should stay near 1×. ` +
      `The all-Secrets informer held ${c.cachedSecrets} Secrets: +${mib(c.loaded.heapUsedBytes - c.baseline.heapUsedBytes)} MiB heap, +${mib(c.loaded.rssBytes - c.baseline.rssBytes)} MiB RSS over its baseline.`,
  ].join('\n');
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { secrets: { type: 'string' }, certificates: { type: 'string' } } });
  const result = await runMemoryBench({
    secrets: values.secrets ? Number(values.secrets) : undefined,
    certificates: values.certificates ? Number(values.certificates) : undefined,
  });
  console.log(`${result.markdown}\n\n${machineLine()}`);
}
