// Benchmark: sequential certificates through certgate end to end, each timed from "Certificate
// created" to "its Secret holds tls.crt" (seen through a watch), against baselines run in the same
// process on the same services:
//   - HTTP-01 via pebble + BIND: certgate (worker + solver in-process on the embedded API server)
//     versus raw acme-client's lower-level order flow with the same poll backoff and key type;
//   - CA issuer (no ACME, the controller overhead alone) versus lib/pki key + CSR + sign in-process.
//   npx tsx bench/issuance.ts [--count 20] [--backoff-ms 50] [--no-ca]
import http from 'node:http';
import { createPrivateKey } from 'node:crypto';
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
import { issueCertificate, trustPebble, type ChallengeSolver } from '../test/services/acme-test-client.ts';
import { createIssuer, ensureNamespace, pebbleAcmeSpec, startTestSolver, waitFor } from '../test/e2e/acme-harness.ts';
import { parseWorkerArgs } from '../worker/flags.ts';
import { startWorker, type RunningWorker } from '../worker/main.ts';
import type { SolverHandle } from '../solver/main.ts';
import { fmt, machineLine, markdownTable, percentile, ratio } from './report.ts';
import { recordStages, type StageRecorder } from './stages.ts';

export interface IssuanceBenchOptions {
  /** Certificates per timed run (default 20). */
  count?: number;
  /** ACME poll backoff floor for certgate (--acme-backoff-min-ms) and the raw client (default 50). */
  backoffMs?: number;
  /** Also run the CA issuer against in-process signing (default true). */
  ca?: boolean;
  /** Per-certificate deadline (default 30 s). */
  perCertificateTimeoutMs?: number;
}

export interface RunFigures {
  durationsMs: number[];
  count: number;
  totalMs: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
}

export interface IssuanceBenchResult {
  acme: RunFigures;
  /** Both raw runs pooled; the halves show how much the machine drifted meanwhile. */
  rawAcme: RunFigures;
  rawAcmeBefore: RunFigures;
  rawAcmeAfter: RunFigures;
  ca?: RunFigures;
  directSign?: RunFigures;
  /** Markdown tables: where certgate's time goes, per run. */
  stages: { acme: string; ca?: string };
  markdown: string;
}

const NS = 'bench-issuance';
// The worker runs in this process: keep its info logs off the console (and out of the timings).
if (!process.env.CERTGATE_LOG_LEVEL) log.level = 'warn';

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
  const seen = (s: V1Secret) => {
    const name = s.metadata?.name ?? '';
    if (s.data?.['tls.crt']) {
      waiters.get(name)?.();
      waiters.delete(name);
    }
  };
  cache.on('add', seen);
  cache.on('update', seen);
  await cache.start();
  return {
    /** Register before creating the Certificate so no event is missed. */
    expect(secretName: string, timeoutMs: number): Promise<void> {
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

function certificate(name: string, issuerName: string): Certificate {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: NS },
    // RSA 2048, as acme-client's createCsr uses for the raw baseline.
    spec: { secretName: `${name}-tls`, dnsNames: [`${name}.example.test`], issuerRef: { name: issuerName }, privateKey: { algorithm: 'RSA', size: 2048 } },
  };
}

const issuerReady = (i: Issuer | undefined) => i?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** raw acme-client: one account, the lower-level order flow, a tiny HTTP-01 responder on pebble's port. */
async function runRawAcme(stack: AcmeStack, count: number, backoffMs: number, prefix: string): Promise<RunFigures> {
  const tokens = new Map<string, string>();
  const responder = http.createServer((req, res) => {
    const token = (req.url ?? '').split('/').pop() ?? '';
    const keyAuthorization = tokens.get(token);
    res.writeHead(keyAuthorization ? 200 : 404, { 'content-type': 'text/plain' }).end(keyAuthorization ?? '');
  });
  await new Promise<void>((resolve, reject) => responder.once('error', reject).listen(stack.pebble.httpPort, '127.0.0.1', resolve));
  try {
    trustPebble(stack.pebble);
    // The same polling as certgate's ACME clients (worker/acme/runtime.ts: min, 8 × min, 10 attempts).
    const client = new acme.Client({ directoryUrl: stack.pebble.directoryUrl, accountKey: await acme.crypto.createPrivateKey(2048), backoffMin: backoffMs, backoffMax: backoffMs * 8, backoffAttempts: 10 });
    await client.createAccount({ termsOfServiceAgreed: true });
    const solver: ChallengeSolver = {
      type: 'http-01',
      async present(_authz, challenge, keyAuthorization) {
        tokens.set(challenge.token, keyAuthorization);
        return async () => void tokens.delete(challenge.token);
      },
    };
    await issueCertificate(client, [`${prefix}-warmup.example.test`], solver); // JIT, connections
    return await timeSequential(count, (i) => issueCertificate(client, [`${prefix}-${i}.example.test`], solver).then(() => {}));
  } finally {
    responder.closeAllConnections();
    await new Promise((resolve) => responder.close(resolve));
  }
}

/** Creates Certificates one at a time for issuerName and times each until its Secret is filled. */
async function runCertgate(client: KubeClient, secrets: Awaited<ReturnType<typeof watchIssuedSecrets>>, stages: StageRecorder, prefix: string, issuerName: string, count: number, timeoutMs: number): Promise<{ figures: RunFigures; stages: string }> {
  const one = async (name: string) => {
    const issued = secrets.expect(`${name}-tls`, timeoutMs);
    stages.begin(name);
    await client.create(Resources.Certificate, certificate(name, issuerName));
    await issued;
    stages.end(name);
  };
  await one(`${prefix}-warmup`);
  const figures = await timeSequential(count, (i) => one(`${prefix}-${i}`));
  return { figures, stages: stages.markdown(Array.from({ length: count }, (_, i) => `${prefix}-${i}`)) };
}

/** The CA issuer's work without controllers: RSA key, CSR, sign with the CA pair, in this process. */
async function runDirectSign(caSecret: V1Secret, count: number): Promise<RunFigures> {
  const d = (k: string) => Buffer.from(caSecret.data?.[k] ?? '', 'base64').toString('utf8');
  const caKey = createPrivateKey(d('tls.key'));
  const caPem = d('tls.crt');
  const one = async (i: number) => {
    const key = await generatePrivateKey({ algorithm: 'RSA', size: 2048 });
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
  let stack: AcmeStack | undefined;
  let apiServer: EmbeddedApiServer | undefined;
  let solver: SolverHandle | undefined;
  let worker: RunningWorker | undefined;
  let secrets: Awaited<ReturnType<typeof watchIssuedSecrets>> | undefined;
  let stages: StageRecorder | undefined;
  try {
    [stack, apiServer] = await Promise.all([startAcmeStack(), startApiServer()]);
    // The baseline runs before and after certgate (it owns pebble's HTTP-01 port while certgate's
    // solver is down), so a machine whose load changes during the run shows up in its two halves.
    const rawAcmeBefore = await runRawAcme(stack, count, backoffMs, 'raw-before');

    const client = new KubeClient(loadKubeConfig({ kubeconfig: apiServer.kubeconfigPath }), 'certgate-bench');
    await ensureNamespace(client, NS);
    await ensureNamespace(client, 'certgate');
    await client.create(Resources.IngressClass, { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } } as any);
    solver = await startTestSolver(apiServer.kubeconfigPath, stack, NS);
    const config = parseWorkerArgs([
      '--no-leader-elect',
      '--metrics-listen', '127.0.0.1:0',
      '--health-listen', '127.0.0.1:0',
      '--acme-http01-self-check-port', String(stack.pebble.httpPort),
      '--acme-dns-nameserver', stack.bind.address,
      '--acme-backoff-min-ms', String(backoffMs),
    ]);
    worker = await startWorker(config, loadKubeConfig({ kubeconfig: apiServer.kubeconfigPath }));
    secrets = await watchIssuedSecrets(client, NS);
    stages = await recordStages(client, NS);

    await createIssuer(client, NS, 'pebble', pebbleAcmeSpec(stack));
    await waitFor('ACME Issuer Ready', async () => issuerReady(await client.get<Issuer>(Resources.Issuer, NS, 'pebble')), 30_000);
    const acmeRun = await runCertgate(client, secrets, stages, 'acme', 'pebble', count, timeoutMs);
    await solver.stop();
    solver = undefined;
    const rawAcmeAfter = await runRawAcme(stack, count, backoffMs, 'raw-after');
    const rawAcme = summarise([...rawAcmeBefore.durationsMs, ...rawAcmeAfter.durationsMs], rawAcmeBefore.totalMs + rawAcmeAfter.totalMs);

    let ca: RunFigures | undefined;
    let caStages: string | undefined;
    let directSign: RunFigures | undefined;
    if (opts.ca !== false) {
      await createIssuer(client, NS, 'selfsigned', { selfSigned: {} });
      const root = certificate('root-ca', 'selfsigned');
      root.spec = { secretName: 'root-ca-tls', isCA: true, commonName: 'certgate bench root', issuerRef: { name: 'selfsigned' }, privateKey: { algorithm: 'ECDSA' } };
      const rootIssued = secrets.expect('root-ca-tls', timeoutMs);
      await client.create(Resources.Certificate, root);
      await rootIssued;
      await createIssuer(client, NS, 'ca', { ca: { secretName: 'root-ca-tls' } });
      await waitFor('CA Issuer Ready', async () => issuerReady(await client.get<Issuer>(Resources.Issuer, NS, 'ca')), 30_000);
      ({ figures: ca, stages: caStages } = await runCertgate(client, secrets, stages, 'ca', 'ca', count, timeoutMs));
      directSign = await runDirectSign((await client.get<V1Secret>(Resources.Secret, NS, 'root-ca-tls'))!, count);
    }
    const result = { acme: acmeRun.figures, stages: { acme: acmeRun.stages, ca: caStages }, rawAcme, rawAcmeBefore, rawAcmeAfter, ca, directSign, markdown: '' };
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

function issuanceMarkdown(r: Omit<IssuanceBenchResult, 'markdown'>, backoffMs: number): string {
  const rows: string[][] = [];
  const add = (label: string, figure: RunFigures, base: RunFigures, baseLabel: string) => {
    rows.push([`${label}: certificates/s`, fmt(figure.perSecond, 2), `${fmt(base.perSecond, 2)} (${baseLabel})`, ratio(figure.perSecond, base.perSecond)]);
    rows.push([`${label}: p50 time to Secret, ms`, fmt(figure.p50Ms, 0), fmt(base.p50Ms, 0), ratio(figure.p50Ms, base.p50Ms)]);
    rows.push([`${label}: p95 time to Secret, ms`, fmt(figure.p95Ms, 0), fmt(base.p95Ms, 0), ratio(figure.p95Ms, base.p95Ms)]);
  };
  add('HTTP-01 via pebble', r.acme, r.rawAcme, `raw acme-client, ${r.rawAcme.count} pooled`);
  if (r.ca && r.directSign) add('CA issuer, no ACME', r.ca, r.directSign, 'lib/pki sign in-process');
  return [
    `### Issuance: ${r.acme.count} sequential certificates per run (RSA 2048 keys), ACME poll backoff ${backoffMs} ms`,
    '',
    markdownTable(['figure', 'certgate', 'baseline', 'certgate / baseline'], rows),
    '',
    'certgate = create a Certificate on the embedded API server, worker and HTTP-01 solver in this process, until its Secret holds tls.crt (watched). ' +
      `Raw acme-client = createOrder, authorizations, HTTP-01 responder, finalize, download; no Kubernetes; run ${r.rawAcmeBefore.count} before and ${r.rawAcmeAfter.count} after certgate (${fmt(r.rawAcmeBefore.perSecond, 2)} and ${fmt(r.rawAcmeAfter.perSecond, 2)} certificates/s: a large gap means the machine's load changed). ` +
      'For times, a ratio above 1× means certgate is slower.',
    '',
    'Where certgate\'s time goes, HTTP-01 run:',
    '',
    r.stages.acme,
    ...(r.stages.ca ? ['', 'CA run:', '', r.stages.ca] : []),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { count: { type: 'string' }, 'backoff-ms': { type: 'string' }, 'no-ca': { type: 'boolean' } } });
  const result = await runIssuanceBench({ count: values.count ? Number(values.count) : undefined, backoffMs: values['backoff-ms'] ? Number(values['backoff-ms']) : undefined, ca: !values['no-ca'] });
  console.log(`${result.markdown}\n\n${machineLine()}`);
}
