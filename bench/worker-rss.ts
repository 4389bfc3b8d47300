// The worker's RSS as the image runs it: the same `certgate worker` with no Certificate, loaded
// through tsx (TypeScript compiled in the process) and compiled (the scripts/build.ts bundle, what the
// image runs); then the compiled worker again after a burst of CA Certificates created at once.
//   npx tsx bench/worker-rss.ts [--ca-burst 500] [--no-build]
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import type { Certificate, Issuer } from '../api/types.generated.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { createCsr, generatePrivateKey, signCertificate } from '../lib/pki/index.ts';
import { startApiServer, type EmbeddedApiServer } from '../test/apiserver/index.ts';
import { buildCompiledWorker, COMPILED_CERTGATE_ARGS, imageEnv, imageNodeFlags, REPO } from './compiled-worker.ts';
import { fmt, inParallel, machineLine, markdownTable, MiB, procMemory, ratio } from './report.ts';

export interface WorkerRssOptions {
  /** CA Certificates created at once before the last reading (default 500). */
  caBurst?: number;
  build?: boolean;
}

const NS = 'bench-worker-rss';
const SETTLE_MS = 3000;
const DEADLINE_MS = 600_000;
const started = performance.now();
const progress = (msg: string) => process.stderr.write(`[worker-rss ${((performance.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
const isReady = (o: { status?: { conditions?: Array<{ type: string; status: string }> } } | undefined) =>
  !!o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** A CA Issuer whose key pair is made here (the worker's memory is measured, not the CA's making). */
async function createCaIssuer(client: KubeClient): Promise<void> {
  const key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
  const certPem = await signCertificate({
    csr: await createCsr(key, { commonName: 'certgate worker-rss bench CA' }),
    durationMs: 86_400_000,
    isCA: true,
    signerKey: key,
  });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await client.create<V1Secret>(Resources.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bench-ca', namespace: NS },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(certPem), 'tls.key': b64(key.export({ type: 'pkcs8', format: 'pem' }).toString()) },
  });
  await client.create<Issuer>(Resources.Issuer, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name: 'ca', namespace: NS },
    spec: { ca: { secretName: 'bench-ca' } },
  });
}

function startWorker(api: EmbeddedApiServer, loader: string[]): { child: ChildProcess; output: () => string } {
  const args = [
    ...loader,
    'worker',
    '--kubeconfig',
    api.kubeconfigPath,
    '--no-leader-elect',
    '--namespace',
    NS,
    '--metrics-listen',
    '127.0.0.1:0',
    '--health-listen',
    '127.0.0.1:0',
  ];
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...imageEnv(), CERTGATE_LOG_LEVEL: 'warn' },
  });
  let out = '';
  const keep = (b: Buffer) => (out = (out + b.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => out };
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Polls until `done` holds (or the worker exits, or the deadline passes). */
async function until(what: string, worker: { child: ChildProcess; output: () => string }, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    if (worker.child.exitCode !== null) throw new Error(`worker exited while waiting for ${what}:\n${worker.output()}`);
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${DEADLINE_MS} ms:\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** RSS of the worker with no Certificate, once it has reconciled the Issuer (its caches and controllers run). */
async function idleRss(api: EmbeddedApiServer, client: KubeClient, loader: string[]) {
  // The Issuer's Ready condition is the worker's sign of life: reset it so this worker writes it again.
  const issuer = (await client.get<Issuer>(Resources.Issuer, NS, 'ca'))!;
  await client.replaceStatus(Resources.Issuer, { ...issuer, status: {} });
  const worker = startWorker(api, loader);
  try {
    await until('Issuer Ready', worker, async () => isReady(await client.get<Issuer>(Resources.Issuer, NS, 'ca')));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    return { worker, memory: procMemory(worker.child.pid!) };
  } catch (err) {
    await stopWorker(worker.child);
    throw err;
  }
}

export async function runWorkerRssBench(opts: WorkerRssOptions = {}): Promise<{ markdown: string }> {
  const burst = opts.caBurst ?? 500;
  if (opts.build !== false) buildCompiledWorker(progress);
  const api = await startApiServer();
  let compiled: ChildProcess | undefined;
  try {
    const client = new KubeClient(loadKubeConfig({ kubeconfig: api.kubeconfigPath }), 'certgate-bench');
    await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await createCaIssuer(client);

    progress('worker through tsx, no Certificate');
    const tsx = await idleRss(api, client, [...imageNodeFlags(), '--import', 'tsx', 'bin/certgate.js']);
    await stopWorker(tsx.worker.child);
    progress('compiled worker, no Certificate');
    const idle = await idleRss(api, client, COMPILED_CERTGATE_ARGS);
    compiled = idle.worker.child;

    progress(`${burst} CA Certificates at once`);
    const t0 = performance.now();
    await inParallel(
      Array.from({ length: burst }, (_, i) => i),
      16,
      (i) =>
        client.create<Certificate>(Resources.Certificate, {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: `burst-${i}`, namespace: NS },
          spec: { secretName: `burst-${i}-tls`, dnsNames: [`burst-${i}.example.test`], issuerRef: { name: 'ca' }, privateKey: { algorithm: 'ECDSA' } },
        }),
    );
    await until(`${burst} Certificates Ready`, idle.worker, async () => {
      const certs = (await client.list<Certificate>(Resources.Certificate, { namespace: NS })).items;
      return certs.filter(isReady).length >= burst;
    });
    const burstS = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const after = procMemory(compiled.pid!);

    const mib = (b: number) => fmt(b / MiB, 0);
    const rows = [
      [
        'worker RSS with no Certificate, MiB (compiled vs through tsx)',
        mib(idle.memory.rssBytes),
        mib(tsx.memory.rssBytes),
        ratio(idle.memory.rssBytes, tsx.memory.rssBytes),
        '',
      ],
      [
        `worker (compiled) RSS ${SETTLE_MS / 1000} s after ${burst} CA Certificates were Ready (${fmt(burstS, 1)} s), MiB (vs no Certificate)`,
        mib(after.rssBytes),
        mib(idle.memory.rssBytes),
        ratio(after.rssBytes, idle.memory.rssBytes),
        'under 200',
      ],
      ['worker (compiled) peak RSS over the burst, MiB', mib(after.peakRssBytes), '', '', ''],
    ];
    return {
      markdown: [
        `### Worker RSS: compiled vs tsx, and after ${burst} CA Certificates`,
        '',
        markdownTable(['figure', 'certgate', 'baseline', 'ratio', 'target'], rows),
        '',
        `\`certgate worker\` in its own process on an embedded API server, limited to namespace ${NS}; "no Certificate" is read ${SETTLE_MS / 1000} s after it made ` +
          'the CA Issuer Ready. tsx compiles the TypeScript sources inside the process; the image runs the compiled build. RSS and peak from /proc/PID/status.',
      ].join('\n'),
    };
  } finally {
    if (compiled) await stopWorker(compiled);
    await api.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { 'ca-burst': { type: 'string' }, 'no-build': { type: 'boolean' } } });
  const r = await runWorkerRssBench({ caBurst: values['ca-burst'] ? Number(values['ca-burst']) : undefined, build: !values['no-build'] });
  console.log(`${r.markdown}\n\n${machineLine()}`);
  process.exit(0);
}
