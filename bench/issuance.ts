// Benchmark: sequential certificates through certgate end to end, each timed from "Certificate
// created" to "its Secret holds tls.crt" (seen through a watch), against baselines run in the same
// process on the same services:
//   - HTTP-01 via pebble + BIND, ECDSA and RSA keys: certgate (worker + solver in-process on the
//     embedded API server) versus the fastest bare acme-client loop (EC account key, keep-alive, the
//     same poll backoff and key type), with the worker's API requests and TLS connections counted,
//     for first issuance and for a renewal of the same Certificates;
//   - CA issuer (no ACME, the controller overhead alone): 500 Certificates at once versus lib/pki
//     key + CSR + sign in-process.
//   npx tsx bench/issuance.ts [--count 20] [--backoff-ms 50] [--no-ca] [--ca-burst 500] [--key-type ECDSA|RSA] [--cpu-prof DIR]
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import https from 'node:https';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import acme from 'acme-client';
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import type { Certificate, Issuer } from '../api/types.generated.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { log } from '../lib/log.ts';
import { createCsr, generatePrivateKey, signCertificate } from '../lib/pki/index.ts';
import { startApiServer, type EmbeddedApiServer } from '../test/apiserver/index.ts';
import { startAcmeStack, type AcmeStack } from '../test/services/index.ts';
import { issueCertificate, type ChallengeSolver } from '../test/services/acme-test-client.ts';
import { createIssuer, ensureNamespace, pebbleAcmeSpec, startTestSolver } from '../test/e2e/acme-harness.ts';
import { parseWorkerArgs } from '../worker/flags.ts';
import { startWorker, type RunningWorker } from '../worker/main.ts';
import type { SolverHandle } from '../solver/main.ts';
import { fmt, machineLine, markdownTable, percentile, ratio } from './report.ts';
import { recordStages, type StageRecorder } from './stages.ts';
import { ApiTrafficCounter, countTlsConnections, perItem, routesPerItem, type TrafficCount } from './traffic.ts';
import { waitFor } from '../test/fixtures.ts';
import { triggerRenewal } from '../cli/renew.ts';

export type KeyType = 'ECDSA' | 'RSA';
const KEY_TYPES: readonly KeyType[] = ['ECDSA', 'RSA'];

export interface IssuanceBenchOptions {
  /** Certificates per timed run (default 20). */
  count?: number;
  /** ACME poll backoff floor for certgate (--acme-backoff-min-ms) and the raw client (default 50). */
  backoffMs?: number;
  /** Also run the CA issuer burst (default true). */
  ca?: boolean;
  /** Certificates created at once for the CA issuer burst (default 500). */
  caBurst?: number;
  /** Per-certificate deadline (default 30 s). */
  perCertificateTimeoutMs?: number;
  /** ACME runs for these key types only (default both). */
  keyTypes?: readonly KeyType[];
  /** Write a V8 CPU profile of each certgate ACME run (timed certificates only) into this directory. */
  cpuProfileDir?: string;
}

export interface RunFigures {
  durationsMs: number[];
  count: number;
  totalMs: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
}

export interface AcmeKeyTypeResult {
  keyType: KeyType;
  certgate: RunFigures;
  /** The bare acme-client loop before and after certgate; the baseline is the faster of the two. */
  rawBefore: RunFigures;
  rawAfter: RunFigures;
  /** The worker's Kubernetes API requests and new API-server TLS connections per certificate (watches included). */
  api: TrafficCount;
  /** New TLS connections to the ACME CA per certificate: certgate's worker, and the bare loop. */
  acmeConnections: { certgate: number; raw: number };
  /** The worker's requests per certificate by route, largest first. */
  routes: Array<[string, number]>;
  /**
   * The same Certificates renewed one at a time (Issuing=True/ManuallyTriggered, as `certgate renew`
   * and `cmctl renew` write it): the steady state of a running cluster, whose Secrets are labelled and cached.
   */
  renewal: { figures: RunFigures; api: TrafficCount; routes: Array<[string, number]> };
  /** CPU ms per certificate of this process: certgate (worker, embedded API server and solver together), and the bare loop. */
  cpuMs: { certgate: number; raw: number };
}

export interface CaBurstResult {
  count: number;
  /** Seconds from the first create until every Secret holds tls.crt. */
  seconds: number;
  /** The same keys, CSRs and signatures in this process, one after another. */
  directSign: RunFigures;
  api: TrafficCount;
}

export interface IssuanceBenchResult {
  acme: AcmeKeyTypeResult[];
  ca?: CaBurstResult;
  /** Markdown: where certgate's time goes in the ECDSA ACME run. */
  stages: string;
  markdown: string;
}

const NS = 'bench-issuance';

function parseKeyType(value: string): KeyType {
  const keyType = KEY_TYPES.find((k) => k === value.toUpperCase());
  if (!keyType) throw new Error(`--key-type must be one of ${KEY_TYPES.join(', ')}, not "${value}"`);
  return keyType;
}
// The worker runs in this process: keep its info logs off the console (and out of the timings).
if (!process.env.CERTGATE_LOG_LEVEL) log.level = 'warn';

/**
 * A V8 CPU profile of this process between start() and stop(name): certgate's timed certificates
 * alone, without the bare loop, the services' start-up or the module loading a whole-process
 * --cpu-prof also records. Open the file in Chrome DevTools or speedscope.
 */
async function cpuProfiler(dir: string | undefined) {
  if (!dir) return { start: async () => {}, stop: async (_name: string) => {} };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  return {
    start: () => session.post('Profiler.start'),
    async stop(name: string) {
      const { profile } = await session.post('Profiler.stop');
      const file = path.join(dir, `${name}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      process.stderr.write(`CPU profile: ${file}\n`);
    },
  };
}

/** Runs fn(i) for i = 0..count-1 one after another and summarises the durations. */
async function timeSequential(count: number, fn: (i: number) => Promise<void>): Promise<RunFigures> {
  const durations: number[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await fn(i);
    durations.push(performance.now() - t0);
  }
  return summarise(durations, performance.now() - start);
}

function summarise(durationsMs: number[], totalMs: number): RunFigures {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  const count = sorted.length;
  return { durationsMs: sorted, count, totalMs, perSecond: (count * 1000) / totalMs, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95) };
}

/** Resolves when a Secret in the namespace first holds a certificate; driven by a watch, not polling. */
async function watchIssuedSecrets(client: KubeClient, namespace: string) {
  const cache = client.cache<V1Secret>(Resources.Secret, { namespace });
  const waiters = new Map<string, () => void>();
  /** Secret name -> the tls.crt a renewal must replace (a waiter resolves on a different one). */
  const replacing = new Map<string, string>();
  const seen = (s: V1Secret) => {
    const name = s.metadata?.name ?? '';
    const crt = s.data?.['tls.crt'];
    if (crt && crt !== replacing.get(name)) {
      replacing.delete(name);
      waiters.get(name)?.();
      waiters.delete(name);
    }
  };
  cache.on('add', seen);
  cache.on('update', seen);
  await cache.start();
  return {
    /** Register before creating the Certificate so no event is missed; with `renewal`, waits for a tls.crt other than the current one. */
    expect(secretName: string, timeoutMs: number, opts: { renewal?: boolean } = {}): Promise<void> {
      const current = cache.get(secretName, namespace)?.data?.['tls.crt'];
      if (opts.renewal && current) replacing.set(secretName, current);
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(secretName);
          reject(new Error(`Secret ${namespace}/${secretName} got no certificate within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(secretName, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    stop: () => cache.stop(),
  };
}

function certificate(name: string, issuerName: string, keyType: KeyType): Certificate {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: NS },
    spec: {
      secretName: `${name}-tls`,
      dnsNames: [`${name}.example.test`],
      issuerRef: { name: issuerName },
      privateKey: keyType === 'RSA' ? { algorithm: 'RSA', size: 2048 } : { algorithm: 'ECDSA' },
    },
  };
}

const issuerReady = (i: Issuer | undefined) => i?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const pebblePort = (stack: AcmeStack) => Number(new URL(stack.pebble.directoryUrl).port);

/**
 * The fastest bare acme-client loop: one EC account, keep-alive, the lower-level order flow, a tiny
 * HTTP-01 responder on pebble's port, the same polling as certgate and a fresh key of the same type per certificate.
 */
/** CPU time of this process (user + system) since `before`, in ms. */
function cpuMsSince(before: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1000;
}

async function runRawAcme(
  stack: AcmeStack,
  count: number,
  backoffMs: number,
  prefix: string,
  keyType: KeyType,
): Promise<{ figures: RunFigures; connections: number; cpuMs: number }> {
  const tokens = new Map<string, string>();
  const responder = http.createServer((req, res) => {
    const token = (req.url ?? '').split('/').pop() ?? '';
    const keyAuthorization = tokens.get(token);
    res.writeHead(keyAuthorization ? 200 : 404, { 'content-type': 'text/plain' }).end(keyAuthorization ?? '');
  });
  await new Promise<void>((resolve, reject) => responder.once('error', reject).listen(stack.pebble.httpPort, '127.0.0.1', resolve));
  const agent = new https.Agent({ ca: stack.pebble.caBundlePem, keepAlive: true });
  const connections = countTlsConnections(pebblePort(stack));
  try {
    acme.axios.defaults.httpsAgent = agent;
    // The same polling as certgate's ACME clients (worker/acme/runtime.ts: min, 8 × min, 10 attempts).
    const client = new acme.Client({
      directoryUrl: stack.pebble.directoryUrl,
      accountKey: await acme.crypto.createPrivateEcdsaKey(),
      backoffMin: backoffMs,
      backoffMax: backoffMs * 8,
      backoffAttempts: 10,
    });
    // The parsed account key, as certgate gives its clients (lib/acme/client.ts): with a PEM,
    // acme-client has node parse the key again for every signature.
    const http = (client as unknown as { http: { accountKey: Buffer | KeyObject } }).http;
    http.accountKey = createPrivateKey(http.accountKey as Buffer);
    await client.createAccount({ termsOfServiceAgreed: true });
    const solver: ChallengeSolver = {
      type: 'http-01',
      async present(_authz, challenge, keyAuthorization) {
        tokens.set(challenge.token, keyAuthorization);
        return async () => void tokens.delete(challenge.token);
      },
    };
    const keyOpts = { keyType: keyType === 'RSA' ? ('rsa' as const) : ('ecdsa' as const) };
    await issueCertificate(client, [`${prefix}-warmup.example.test`], solver, keyOpts); // JIT, connections
    const before = connections.count();
    const cpuBefore = process.cpuUsage();
    const figures = await timeSequential(count, (i) => issueCertificate(client, [`${prefix}-${i}.example.test`], solver, keyOpts).then(() => {}));
    return { figures, connections: (connections.count() - before) / count, cpuMs: cpuMsSince(cpuBefore) / count };
  } finally {
    connections.stop();
    agent.destroy();
    responder.closeAllConnections();
    await new Promise((resolve) => responder.close(resolve));
  }
}

/** Creates Certificates one at a time for issuerName and times each until its Secret is filled. */
async function runCertgate(
  client: KubeClient,
  secrets: Awaited<ReturnType<typeof watchIssuedSecrets>>,
  stages: StageRecorder,
  prefix: string,
  issuerName: string,
  keyType: KeyType,
  count: number,
  timeoutMs: number,
  afterWarmup: () => Promise<void>,
): Promise<RunFigures> {
  const one = async (name: string) => {
    const issued = secrets.expect(`${name}-tls`, timeoutMs);
    stages.begin(name);
    await client.create(Resources.Certificate, certificate(name, issuerName, keyType));
    await issued;
    stages.end(name);
  };
  await one(`${prefix}-warmup`);
  await afterWarmup();
  return timeSequential(count, (i) => one(`${prefix}-${i}`));
}

/** Renews the Certificates `${prefix}-0..count-1` one after another, each until its Secret holds a new certificate. */
async function runRenewals(
  client: KubeClient,
  secrets: Awaited<ReturnType<typeof watchIssuedSecrets>>,
  prefix: string,
  count: number,
  timeoutMs: number,
): Promise<RunFigures> {
  return timeSequential(count, async (i) => {
    const name = `${prefix}-${i}`;
    const renewed = secrets.expect(`${name}-tls`, timeoutMs, { renewal: true });
    const outcome = await triggerRenewal(client, { namespace: NS, name }, Date.now(), async () => undefined);
    if (outcome.action !== 'triggered') throw new Error(`${NS}/${name} was still issuing: nothing to renew`);
    await renewed;
  });
}

/** Creates `count` Certificates at once (16 creates in flight) and waits until every Secret holds tls.crt. */
async function runCaBurst(client: KubeClient, secrets: Awaited<ReturnType<typeof watchIssuedSecrets>>, count: number): Promise<number> {
  const names = Array.from({ length: count }, (_, i) => `burst-${i}`);
  const start = performance.now();
  const issued = Promise.all(names.map((n) => secrets.expect(`${n}-tls`, 600_000)));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < names.length) await client.create(Resources.Certificate, certificate(names[next++], 'ca', 'ECDSA'));
    }),
  );
  await issued;
  return (performance.now() - start) / 1000;
}

/** The CA issuer's work without controllers: ECDSA key, CSR, sign with the CA pair, in this process. */
async function runDirectSign(caSecret: V1Secret, count: number): Promise<RunFigures> {
  const d = (k: string) => Buffer.from(caSecret.data?.[k] ?? '', 'base64').toString('utf8');
  const caKey = createPrivateKey(d('tls.key'));
  const caPem = d('tls.crt');
  const one = async (i: number) => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    const csr = await createCsr(key, { dnsNames: [`direct-${i}.example.test`] });
    await signCertificate({ csr, durationMs: 90 * 24 * 3_600_000, signerKey: caKey, signerCertificatePem: caPem });
  };
  await one(-1);
  return timeSequential(count, one);
}

export async function runIssuanceBench(opts: IssuanceBenchOptions = {}): Promise<IssuanceBenchResult> {
  const count = opts.count ?? 20;
  const backoffMs = opts.backoffMs ?? 50;
  const timeoutMs = opts.perCertificateTimeoutMs ?? 30_000;
  const traffic = new ApiTrafficCounter();
  const profiler = await cpuProfiler(opts.cpuProfileDir);
  let stack: AcmeStack | undefined;
  let apiServer: EmbeddedApiServer | undefined;
  let solver: SolverHandle | undefined;
  let worker: RunningWorker | undefined;
  let secrets: Awaited<ReturnType<typeof watchIssuedSecrets>> | undefined;
  let stages: StageRecorder | undefined;
  try {
    [stack, apiServer] = await Promise.all([startAcmeStack(), startApiServer({ onRequest: traffic.onRequest })]);
    const client = new KubeClient(loadKubeConfig({ kubeconfig: apiServer.kubeconfigPath }), 'certgate-bench');
    await ensureNamespace(client, NS);
    await ensureNamespace(client, 'certgate');
    await client.create(Resources.IngressClass, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx' },
      spec: { controller: 'k8s.io/ingress-nginx' },
    } as any);
    const config = parseWorkerArgs([
      '--no-leader-elect',
      '--metrics-listen',
      '127.0.0.1:0',
      '--health-listen',
      '127.0.0.1:0',
      '--acme-http01-self-check-port',
      String(stack.pebble.httpPort),
      '--acme-dns-nameserver',
      stack.bind.address,
      '--acme-backoff-min-ms',
      String(backoffMs),
    ]);
    // The worker has its own identity, so the API server counts its requests apart from ours and the solver's.
    const workerKubeConfig = loadKubeConfig({ kubeconfig: await apiServer.kubeconfigFor('certgate', 'certgate-worker') });
    const workerToken = workerKubeConfig.getCurrentUser()?.token ?? '';
    worker = await startWorker(config, workerKubeConfig);
    secrets = await watchIssuedSecrets(client, NS);
    stages = await recordStages(client, NS);

    await createIssuer(client, NS, 'pebble', pebbleAcmeSpec(stack));
    await waitFor('ACME Issuer Ready', async () => issuerReady(await client.get<Issuer>(Resources.Issuer, NS, 'pebble')), 30_000);
    const acmeResults: AcmeKeyTypeResult[] = [];
    let stagesMarkdown = '';
    for (const keyType of opts.keyTypes ?? KEY_TYPES) {
      const prefix = keyType.toLowerCase();
      // The bare loop owns pebble's HTTP-01 port while certgate's solver is down: before and after
      // certgate, so a machine whose load changes during the run shows up in its two halves.
      const rawBefore = await runRawAcme(stack, count, backoffMs, `raw-${prefix}-before`, keyType);
      solver = await startTestSolver(apiServer.kubeconfigPath, stack, NS);
      const acmeConnections = countTlsConnections(pebblePort(stack));
      let apiBefore = traffic.of(workerToken);
      let routesBefore = traffic.routes(workerToken);
      let connectionsBefore = 0;
      let cpuBefore = process.cpuUsage();
      const figures = await runCertgate(client, secrets, stages, `acme-${prefix}`, 'pebble', keyType, count, timeoutMs, async () => {
        // The warm-up's last writes (Certificate status, key Secret, Events) follow its Secret: not the run's.
        await settled(() => traffic.of(workerToken).requests);
        await profiler.start(); // first: starting it costs CPU that is not certgate's
        apiBefore = traffic.of(workerToken);
        routesBefore = traffic.routes(workerToken);
        connectionsBefore = acmeConnections.count();
        cpuBefore = process.cpuUsage();
      });
      await profiler.stop(`certgate-${prefix}`);
      // Writes that follow the last Secret (Ready condition, Events) belong to the run too.
      await settled(() => traffic.of(workerToken).requests);
      const certgateCpuMs = cpuMsSince(cpuBefore) / count;
      const api = perItem(traffic.of(workerToken), apiBefore, count);
      const routes = routesPerItem(traffic.routes(workerToken), routesBefore, count);
      const certgateConnections = (acmeConnections.count() - connectionsBefore) / count;
      const renewalApiBefore = traffic.of(workerToken);
      const renewalRoutesBefore = traffic.routes(workerToken);
      const renewalFigures = await runRenewals(client, secrets, `acme-${prefix}`, count, timeoutMs);
      await settled(() => traffic.of(workerToken).requests);
      const renewal = {
        figures: renewalFigures,
        api: perItem(traffic.of(workerToken), renewalApiBefore, count),
        routes: routesPerItem(traffic.routes(workerToken), renewalRoutesBefore, count),
      };
      acmeConnections.stop();
      await solver.stop();
      solver = undefined;
      const rawAfter = await runRawAcme(stack, count, backoffMs, `raw-${prefix}-after`, keyType);
      if (keyType === 'ECDSA') stagesMarkdown = stages.markdown(Array.from({ length: count }, (_, i) => `acme-${prefix}-${i}`));
      acmeResults.push({
        keyType,
        certgate: figures,
        rawBefore: rawBefore.figures,
        rawAfter: rawAfter.figures,
        api,
        acmeConnections: { certgate: certgateConnections, raw: (rawBefore.connections + rawAfter.connections) / 2 },
        routes,
        renewal,
        cpuMs: { certgate: certgateCpuMs, raw: (rawBefore.cpuMs + rawAfter.cpuMs) / 2 },
      });
    }

    let ca: CaBurstResult | undefined;
    if (opts.ca !== false) {
      const burst = opts.caBurst ?? 500;
      await createIssuer(client, NS, 'selfsigned', { selfSigned: {} });
      const root = certificate('root-ca', 'selfsigned', 'ECDSA');
      root.spec = {
        secretName: 'root-ca-tls',
        isCA: true,
        commonName: 'certgate bench root',
        issuerRef: { name: 'selfsigned' },
        privateKey: { algorithm: 'ECDSA' },
      };
      const rootIssued = secrets.expect('root-ca-tls', timeoutMs);
      await client.create(Resources.Certificate, root);
      await rootIssued;
      await createIssuer(client, NS, 'ca', { ca: { secretName: 'root-ca-tls' } });
      await waitFor('CA Issuer Ready', async () => issuerReady(await client.get<Issuer>(Resources.Issuer, NS, 'ca')), 30_000);
      const apiBefore = traffic.of(workerToken);
      const seconds = await runCaBurst(client, secrets, burst);
      await settled(() => traffic.of(workerToken).requests);
      const api = perItem(traffic.of(workerToken), apiBefore, burst);
      const directSign = await runDirectSign((await client.get<V1Secret>(Resources.Secret, NS, 'root-ca-tls'))!, burst);
      ca = { count: burst, seconds, directSign, api };
    }
    const result = { acme: acmeResults, ca, stages: stagesMarkdown, markdown: '' };
    result.markdown = issuanceMarkdown(result, backoffMs);
    return result;
  } finally {
    await stages?.stop().catch(() => {});
    await secrets?.stop().catch(() => {});
    await worker?.stop().catch(() => {});
    await solver?.stop().catch(() => {});
    await apiServer?.stop().catch(() => {});
    await stack?.stop().catch(() => {});
  }
}

/** Resolves once the counter has not moved for quietMs (a worker finishing its last writes). */
async function settled(counter: () => number, quietMs = 500, maxMs = 10_000): Promise<void> {
  const start = performance.now();
  let last = counter();
  let since = performance.now();
  while (performance.now() - since < quietMs && performance.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 50));
    const now = counter();
    if (now !== last) [last, since] = [now, performance.now()];
  }
}

/** Event writes per certificate, from the per-route counts: created, and repeated ones counted up (PATCH), as client-go's recorder does. */
const eventsPerItem = (routes: Array<[string, number]>) => routes.filter(([route]) => /^(POST|PATCH) events\b/.test(route)).reduce((sum, [, n]) => sum + n, 0);

const routeList = (routes: Array<[string, number]>) => routes.map(([route, n]) => `${route} ${fmt(n, 1)}`).join(', ');

const fastest = (a: RunFigures, b: RunFigures) => (a.perSecond >= b.perSecond ? a : b);

function issuanceMarkdown(r: Omit<IssuanceBenchResult, 'markdown'>, backoffMs: number): string {
  const rows: string[][] = [];
  for (const k of r.acme) {
    const base = fastest(k.rawBefore, k.rawAfter);
    const label = `ACME HTTP-01, ${k.keyType}`;
    rows.push([
      `${label}: certificates/s`,
      fmt(k.certgate.perSecond, 2),
      `${fmt(base.perSecond, 2)} (fastest bare acme-client loop; before ${fmt(k.rawBefore.perSecond, 2)}, after ${fmt(k.rawAfter.perSecond, 2)})`,
      ratio(k.certgate.perSecond, base.perSecond),
      'at least 0.5×',
    ]);
    rows.push([`${label}: p50 time to Secret, ms`, fmt(k.certgate.p50Ms, 0), fmt(base.p50Ms, 0), ratio(k.certgate.p50Ms, base.p50Ms), '']);
    rows.push([`${label}: p95 time to Secret, ms`, fmt(k.certgate.p95Ms, 0), fmt(base.p95Ms, 0), ratio(k.certgate.p95Ms, base.p95Ms), '']);
    const events = eventsPerItem(k.routes);
    rows.push([`${label}: Kubernetes API requests per certificate (worker), Events excluded`, fmt(k.api.requests - events, 1), '', '', 'at most 15']);
    rows.push([
      `${label}: Kubernetes API requests per certificate (worker), all, with ${fmt(events, 1)} Events (cert-manager's own on the success path)`,
      fmt(k.api.requests, 1),
      'before this work: ~112',
      ratio(k.api.requests, 112),
      '',
    ]);
    const renewalEvents = eventsPerItem(k.renewal.routes);
    rows.push([
      `${label}: Kubernetes API requests per renewal (worker), Events excluded`,
      fmt(k.renewal.api.requests - renewalEvents, 1),
      '',
      '',
      'at most 15',
    ]);
    rows.push([
      `${label}: Kubernetes API requests per renewal (worker), all, with ${fmt(renewalEvents, 1)} Events`,
      fmt(k.renewal.api.requests, 1),
      '',
      '',
      '',
    ]);
    rows.push([
      `${label}: renewals/s, one after another (\`certgate renew\`, until the Secret holds the new certificate)`,
      fmt(k.renewal.figures.perSecond, 2),
      '',
      '',
      '',
    ]);
    rows.push([
      `${label}: new API-server TLS connections per certificate (worker)`,
      fmt(k.api.connections, 2),
      'before this work: ~122',
      ratio(k.api.connections, 122),
      'at most 2',
    ]);
    rows.push([
      `${label}: new TLS connections to the ACME CA per certificate`,
      fmt(k.acmeConnections.certgate, 2),
      `${fmt(k.acmeConnections.raw, 2)} (bare loop)`,
      '',
      '',
    ]);
    rows.push([
      `${label}: CPU ms per certificate (certgate: worker, embedded API server, solver and the bench's watches share this process)`,
      fmt(k.cpuMs.certgate, 0),
      `${fmt(k.cpuMs.raw, 0)} (bare loop)`,
      ratio(k.cpuMs.certgate, k.cpuMs.raw),
      '',
    ]);
  }
  if (r.ca) {
    rows.push([
      `CA issuer, ECDSA: ${r.ca.count} Certificates created at once, s until every Secret holds tls.crt`,
      fmt(r.ca.seconds, 2),
      `${fmt(r.ca.directSign.totalMs / 1000, 3)} (the same keys and signatures in-process, one by one)`,
      ratio(r.ca.seconds, r.ca.directSign.totalMs / 1000),
      'under 20 s',
    ]);
    rows.push([`CA issuer burst: Kubernetes API requests per certificate (worker)`, fmt(r.ca.api.requests, 1), '', '', 'at most 15']);
    rows.push([`CA issuer burst: new API-server TLS connections per certificate (worker)`, fmt(r.ca.api.connections, 3), '', '', 'at most 2']);
  }
  const n = r.acme[0]?.certgate.count ?? 0;
  return [
    `### Issuance: ${n} sequential ACME certificates per key type, ACME poll backoff ${backoffMs} ms${r.ca ? `; ${r.ca.count} CA certificates at once` : ''}`,
    '',
    markdownTable(['figure', 'certgate', 'baseline', 'certgate / baseline', 'target'], rows),
    '',
    'certgate = create a Certificate on the embedded API server, worker and HTTP-01 solver in this process, until its Secret holds tls.crt (watched). ' +
      'Bare acme-client loop = one EC account key, a keep-alive agent, createOrder, authorizations, HTTP-01 responder, finalize, download, a fresh key of the same type per certificate, the same polling; ' +
      `no Kubernetes; ${n} before and ${n} after certgate, the faster of the two is the baseline (a large gap means the machine's load changed). ` +
      "Requests and connections are counted by the embedded API server for the worker's own identity (watches included), and TLS connections to pebble in this process. " +
      'Renewals: the same Certificates once more, one at a time, each triggered as `certgate renew` and `cmctl renew` do (Issuing=True, ManuallyTriggered); ' +
      'their Secrets are labelled and cached, as in a running cluster where most issuances are renewals. ' +
      'For times, a ratio above 1× means certgate is slower.',
    '',
    ...r.acme.flatMap((k) => [
      `The worker's API requests per ${k.keyType} certificate by route, first issuance: ${routeList(k.routes)}.`,
      `The worker's API requests per ${k.keyType} renewal by route: ${routeList(k.renewal.routes)}.`,
    ]),
    '',
    "Where certgate's time goes, ACME ECDSA run:",
    '',
    r.stages,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      'backoff-ms': { type: 'string' },
      'no-ca': { type: 'boolean' },
      'ca-burst': { type: 'string' },
      'key-type': { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const result = await runIssuanceBench({
    count: values.count ? Number(values.count) : undefined,
    backoffMs: values['backoff-ms'] ? Number(values['backoff-ms']) : undefined,
    ca: !values['no-ca'],
    caBurst: values['ca-burst'] ? Number(values['ca-burst']) : undefined,
    keyTypes: values['key-type'] ? [parseKeyType(values['key-type'])] : undefined,
    cpuProfileDir: values['cpu-prof'],
  });
  console.log(`${result.markdown}\n\n${machineLine()}`);
  process.exit(0);
}
