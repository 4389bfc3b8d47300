// The soak: certgate's worker, webhook and solver (one child process, scripts/soak/stack.ts) under
// an embedded API server that is restarted every few minutes, with watches forced through 410
// Expired (a watch gap, changes made in it, history compacted), while Certificates are issued,
// replaced and renewed throughout and Challenges and Ingresses come and go. It ends by checking
// that every Certificate is Ready, every cache equals the API server, and (runs of 30 minutes or
// more) the child's RSS did not grow over the second half of the run. Not part of `make test`:
//   npx tsx scripts/soak.ts                 # one hour (restart every 4 min, 410 every 3 min)
//   npx tsx scripts/soak.ts --minutes 5     # short mode (restart every 60 s, 410 every 45 s)
// Prints a summary and a JSON line of figures; exits 1 when a final check fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import type { Certificate } from '../api/types.generated.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { startApiServer, type EmbeddedApiServer, type StartOptions } from '../test/apiserver/index.ts';
import { triggerRenewal } from '../cli/renew.ts';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    'restart-every': { type: 'string' }, // seconds
    'expire-every': { type: 'string' }, // seconds
    certificates: { type: 'string', default: '40' }, // how many exist at once
    log: { type: 'string' }, // where the child's log goes (default: a temp file)
  },
});
const minutes = Number(args.minutes);
const short = minutes < 30;
const restartEveryMs = Number(args['restart-every'] ?? (short ? 60 : 240)) * 1000;
const expireEveryMs = Number(args['expire-every'] ?? (short ? 45 : 180)) * 1000;
const maxCertificates = Number(args.certificates);
const NS = 'soak';

const dir = mkdtempSync(join(tmpdir(), 'certgate-soak-'));
const logPath = args.log ?? join(dir, 'stack.log');
const serverOptions = (port?: number): StartOptions => ({ dir, statePath: join(dir, 'state.json'), port, historyWindow: 500 });
const figures = { restarts: 0, expiries: 0, created: 0, replaced: 0, renewalsTriggered: 0, challengesChurned: 0, ingressesChurned: 0, failedDriverCalls: 0 };
const rssSamples: Array<{ tMin: number; rssMb: number }> = [];
const t0 = Date.now();
const elapsedMin = () => (Date.now() - t0) / 60_000;
const note = (msg: string) => process.stdout.write(`[${elapsedMin().toFixed(1).padStart(5)} min] ${msg}\n`);

let server: EmbeddedApiServer = await startApiServer(serverOptions());
const port = Number(new URL(server.url).port);
let client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }), 'certgate-soak-driver');
await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
await client.create(Resources.Issuer, {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Issuer',
  metadata: { name: 'selfsigned', namespace: NS },
  spec: { selfSigned: {} },
} as KubernetesObject);

const child = startStack();
process.once('exit', () => child.kill('SIGTERM')); // never leave the stack running, whatever happens here
const control = await controlPort(child);
note(`API server ${server.url}, stack pid ${child.pid}, control port ${control}, log ${logPath}`);

/** One driver call; a failure (the API server is restarting) is counted, not fatal. */
async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    figures.failedDriverCalls++;
    if (process.env.SOAK_VERBOSE) note(`${what}: ${(e as Error).message}`);
    return undefined;
  }
}

let serial = 0;
const certificate = (name: string) =>
  ({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: NS },
    spec: { secretName: `${name}-tls`, dnsNames: [`${name}.soak.test`], issuerRef: { name: 'selfsigned' }, privateKey: { algorithm: 'ECDSA', size: 256 } },
  }) as KubernetesObject;

/** Issue a new Certificate; at the cap, the oldest one is deleted first, so the object count stays level. */
async function issueOne(): Promise<void> {
  const list = await client.list<Certificate>(Resources.Certificate, { namespace: NS });
  if (list.items.length >= maxCertificates) {
    const oldest = list.items.sort((a, b) => new Date(a.metadata.creationTimestamp!).getTime() - new Date(b.metadata.creationTimestamp!).getTime())[0];
    await client.delete(Resources.Certificate, NS, oldest.metadata.name!);
    await client.delete(Resources.Secret, NS, oldest.spec.secretName);
    figures.replaced++;
  }
  await client.create(Resources.Certificate, certificate(`c-${++serial}`));
  figures.created++;
}

async function renewOne(): Promise<void> {
  const ready = (await client.list<Certificate>(Resources.Certificate, { namespace: NS })).items.filter((c) =>
    c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
  );
  if (ready.length === 0) return;
  const pick = ready[Math.floor(Math.random() * ready.length)];
  const outcome = await triggerRenewal(client, { namespace: NS, name: pick.metadata.name! }, Date.now(), async () => undefined);
  if (outcome.action === 'triggered') figures.renewalsTriggered++;
}

/** A Challenge and an Ingress made and the previous ones deleted: food for the solver's and the webhook's caches. */
let churn = 0;
async function churnOne(): Promise<void> {
  churn++;
  await client.create(Resources.Challenge, {
    apiVersion: 'acme.cert-manager.io/v1',
    kind: 'Challenge',
    metadata: { name: `ch-${churn}`, namespace: NS },
    spec: {
      authorizationURL: 'https://ca.test/authz',
      dnsName: 'x.soak.test',
      issuerRef: { name: 'none' },
      key: `k${churn}`,
      solver: { http01: { ingress: {} } },
      token: `t${churn}`,
      type: 'HTTP-01',
      url: 'https://ca.test/chal',
    },
  } as KubernetesObject);
  await client.create(Resources.Ingress, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: `in-${churn}`, namespace: NS },
    spec: {
      rules: [
        { host: `in-${churn}.soak.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
      ],
    },
  } as KubernetesObject);
  if (churn > 3) {
    await client.delete(Resources.Challenge, NS, `ch-${churn - 3}`);
    await client.delete(Resources.Ingress, NS, `in-${churn - 3}`);
  }
  figures.challengesChurned++;
  figures.ingressesChurned++;
}

async function restartApiServer(): Promise<void> {
  await server.stop();
  await sleep(2000);
  server = await startApiServer(serverOptions(port));
  client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }), 'certgate-soak-driver'); // no keep-alive sockets from the old server
  figures.restarts++;
}

/** A watch gap with changes in it, then compaction: every watch comes back to 410 Expired and must relist. */
async function expireWatches(): Promise<void> {
  const release = server.holdWatches();
  try {
    await attempt('churn in gap', churnOne);
    await attempt('issue in gap', issueOne);
    await attempt('renew in gap', renewOne);
    await sleep(2000);
    server.compactHistory();
  } finally {
    release();
  }
  figures.expiries++;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const getJson = async (path: string) => (await fetch(`http://127.0.0.1:${control}${path}`)).json();

// The run.
const endAt = t0 + minutes * 60_000;
let nextRestart = t0 + restartEveryMs;
let nextExpiry = t0 + expireEveryMs;
let nextIssue = t0;
let nextRenew = t0 + 10_000;
let nextChurn = t0;
let nextSample = t0;
while (Date.now() < endAt) {
  const now = Date.now();
  if (now >= nextRestart) {
    await restartApiServer();
    note(`API server restarted (${figures.restarts})`);
    nextRestart = now + restartEveryMs;
  } else if (now >= nextExpiry) {
    await expireWatches();
    note(`watches expired (${figures.expiries})`);
    nextExpiry = now + expireEveryMs;
  }
  if (now >= nextIssue) {
    await attempt('issue', issueOne);
    nextIssue = now + (short ? 5_000 : 15_000);
  }
  if (now >= nextRenew) {
    await attempt('renew', renewOne);
    nextRenew = now + (short ? 7_000 : 20_000);
  }
  if (now >= nextChurn) {
    await attempt('churn', churnOne);
    nextChurn = now + 10_000;
  }
  if (now >= nextSample) {
    rssSamples.push({ tMin: elapsedMin(), rssMb: rssMb(child.pid!) });
    nextSample = now + (short ? 10_000 : 30_000);
  }
  await sleep(250);
}

// The end: everything settles, then the checks.
note('load stopped; waiting for every Certificate Ready and every cache equal to the API server');
const settleDeadline = Date.now() + 5 * 60_000;
let notReady: string[] = [];
let drift: string[] = [];
let ready: Record<string, number> = {};
for (;;) {
  const certs = (await attempt('final list', () => client.list<Certificate>(Resources.Certificate, { namespace: NS })))?.items ?? [];
  notReady = certs.filter((c) => !c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).map((c) => c.metadata.name!);
  drift = ((await getJson('/drift')) as { drift: string[] }).drift;
  ready = (await getJson('/ready')) as Record<string, number>;
  if ((notReady.length === 0 && drift.length === 0 && Object.values(ready).every((s) => s === 200)) || Date.now() > settleDeadline) break;
  await sleep(1000);
}
const certificatesAtEnd = (await client.list<Certificate>(Resources.Certificate, { namespace: NS })).items.length;

// RSS over the second half of the run: least-squares slope, and the mean of its first and last fifth.
const half = rssSamples.filter((s) => s.tMin >= minutes / 2);
const slopeMbPerMin = slope(half.map((s) => [s.tMin, s.rssMb]));
const fifth = Math.max(1, Math.floor(half.length / 5));
const rssStartMb = mean(half.slice(0, fifth).map((s) => s.rssMb));
const rssEndMb = mean(half.slice(-fifth).map((s) => s.rssMb));
// "No growth": the fitted trend over the second half adds less than 5 % (or 5 MB) over that half.
const growthMb = slopeMbPerMin * (minutes / 2);
const rssFlat = growthMb < Math.max(5, 0.05 * rssStartMb);

const checks: Record<string, boolean> = {
  everyCertificateReady: notReady.length === 0,
  everyCacheEqualsTheApiServer: drift.length === 0,
  everyProcessReady: Object.values(ready).every((s) => s === 200),
};
// A short run is still warming up (JIT, heap sizing): its RSS trend is printed, not judged.
if (!short) checks.rssFlatOverSecondHalf = rssFlat;
note('');
note(
  `ran ${minutes} min: ${figures.restarts} API server restarts, ${figures.expiries} forced 410s, ${figures.created} Certificates issued (${figures.replaced} replaced), ${figures.renewalsTriggered} renewals triggered, ${figures.challengesChurned} Challenge and Ingress churns, ${figures.failedDriverCalls} driver calls failed during restarts`,
);
note(
  `end: ${certificatesAtEnd} Certificates, ${notReady.length} not Ready ${notReady.slice(0, 5).join(' ')}; cache drift: ${drift.length} ${drift.slice(0, 5).join('; ')}; /readyz ${JSON.stringify(ready)}`,
);
note(
  `stack RSS over the second half: ${rssStartMb.toFixed(1)} MB -> ${rssEndMb.toFixed(1)} MB (trend ${slopeMbPerMin.toFixed(3)} MB/min, ${growthMb.toFixed(1)} MB over the half), peak ${Math.max(...rssSamples.map((s) => s.rssMb)).toFixed(1)} MB`,
);
for (const [name, ok] of Object.entries(checks)) note(`${ok ? 'PASS' : 'FAIL'} ${name}`);
if (short) note('not judged: rssFlatOverSecondHalf (runs of 30 minutes or more judge it)');
process.stdout.write(
  JSON.stringify({
    minutes,
    ...figures,
    certificatesAtEnd,
    notReady: notReady.length,
    drift: drift.length,
    rssStartMb,
    rssEndMb,
    slopeMbPerMin,
    rssFlat,
    checks,
  }) + '\n',
);

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await server.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(Object.values(checks).every(Boolean) ? 0 : 1);

function startStack(): ChildProcess {
  const stack = fileURLToPath(new URL('./soak/stack.ts', import.meta.url));
  const c = spawn(process.execPath, ['--import', 'tsx', stack, server.kubeconfigPath, NS], {
    env: { ...process.env, CERTGATE_LOG_LEVEL: process.env.CERTGATE_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logPath);
  c.stderr!.pipe(log);
  c.on('exit', (code) => {
    if (code !== 0 && code !== null) note(`stack exited with ${code}; see ${logPath}`);
  });
  return c;
}

async function controlPort(c: ChildProcess): Promise<number> {
  const log = createWriteStream(logPath, { flags: 'a' });
  for await (const line of createInterface(c.stdout!)) {
    const m = /^\{"control":(\d+)\}$/.exec(line);
    if (m) {
      createInterface(c.stdout!).on('line', (l) => log.write(l + '\n'));
      return Number(m[1]);
    }
    log.write(line + '\n');
  }
  throw new Error(`the stack ended before it listened; see ${logPath}`);
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

function slope(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const mx = mean(points.map((p) => p[0]));
  const my = mean(points.map((p) => p[1]));
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}
