// Test wiring for the ACME part of the worker, used by test/e2e/acme-*.test.ts until (and beside)
// worker/main.ts: a WorkerContext on a kubeconfig, the ACME backend and the Order/Challenge
// controllers, the HTTP-01 solver on pebble's HTTP-01 port, and helpers to drive a
// CertificateRequest through backend.sign() the way the CertificateRequest controller does.
import { X509Certificate, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Resources } from '../../api/resources.ts';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ACMEChallengeSolver, CertificateRequest, Challenge, ClusterIssuer, Issuer, Order } from '../../api/types.generated.ts';
import { KubeClient, loadKubeConfig } from '../../lib/kube/client.ts';
import { createEventRecorder } from '../../lib/events.ts';
import { realClock } from '../../lib/clock.ts';
import { log } from '../../lib/log.ts';
import { createWorkerMetrics } from '../../lib/metrics/worker.ts';
import { x509, toCryptoKeyPair } from '../../lib/pki/webcrypto.ts';
import type { WorkerConfig } from '../../worker/config.ts';
import { createWorkerCaches } from '../../worker/caches.ts';
import type { IssuerBackend, SignResult } from '../../worker/issuance/backend.ts';
import type { Controller } from '../../worker/context.ts';
import { withAcmeRuntime, type AcmeContext } from '../../worker/acme/runtime.ts';
import { createAcmeBackend, createAcmeControllers } from '../../worker/acme/index.ts';
import { startSolver, type SolverHandle } from '../../solver/main.ts';
import { startAcmeStack, type AcmeStack, type AcmeStackOptions } from '../services/index.ts';
import type { TsigKey } from '../services/bind.ts';
import { waitFor } from '../fixtures.ts';
import { CLUSTER_RESOURCE_NAMESPACE, getTestCluster, NGINX_INGRESS_CLASS, runClusterIssuerSelector, type TestCluster } from './cluster.ts';
import { DEFAULT_COPIED_ANNOTATION_PREFIXES } from '../../worker/certificates/copied-annotations.ts';

export { CLUSTER_RESOURCE_NAMESPACE };

/** The parts of a running AcmeStack the worker needs (serialisable, for a child process). */
export interface AcmeStackPorts {
  pebble: { httpPort: number };
  bind: { host: string; port: number };
}

export interface AcmeWorkerOptions {
  kubeconfigPath: string;
  /** The only namespace it watches (the test's runName()): on a real cluster nothing else is touched. */
  namespace: string;
  stack: AcmeStackPorts;
  /** Start the Order and Challenge controllers (default true); false for a process that only calls sign(). */
  controllers?: boolean;
  /** Poll/backoff base; tens of ms against pebble. */
  backoffMinMs?: number;
  /** --max-concurrent-challenges (default 60, cert-manager's). */
  maxConcurrentChallenges?: number;
}

export interface AcmeWorker {
  ctx: AcmeContext;
  backend: IssuerBackend;
  controllers: Controller[];
  stop(): Promise<void>;
}

/** A worker configuration scoped to `namespace` (as `certgate worker --namespace`), for pebble and BIND. */
export function workerConfig(stack: AcmeStackPorts, namespace: string, backoffMinMs = 20, maxConcurrentChallenges = 60): WorkerConfig {
  return Object.freeze({
    namespace: requireNamespace(namespace),
    clusterIssuerSelector: runClusterIssuerSelector(),
    clusterResourceNamespace: CLUSTER_RESOURCE_NAMESPACE,
    leaderElect: false,
    leaderElectionNamespace: CLUSTER_RESOURCE_NAMESPACE,
    leaderElectionId: 'certgate-worker',
    leaseDurationMs: 60_000,
    renewDeadlineMs: 40_000,
    retryPeriodMs: 15_000,
    metricsListen: { host: '127.0.0.1', port: 0 },
    healthListen: { host: '127.0.0.1', port: 0 },
    renewBackoffBaseMs: 1000,
    renewBackoffMaxMs: 10_000,
    enableCertificateOwnerRef: false,
    autoApproval: true,
    copiedAnnotationPrefixes: DEFAULT_COPIED_ANNOTATION_PREFIXES,
    maxConcurrentIssuances: 16,
    maxConcurrentChallenges,
    transparentTls: false,
    transparentTlsExcludedNamespaces: [],
    acmeHttp01SelfCheckPort: stack.pebble.httpPort,
    acmeHttp01IngressPathType: 'Exact',
    acmeDnsNameserver: { host: stack.bind.host, port: stack.bind.port },
    acmeBackoffMinMs: backoffMinMs,
    // BIND is both the recursive and (on its own port) the authoritative server of the test zones
    dns01: { recursiveNameservers: [{ host: stack.bind.host, port: stack.bind.port }], recursiveOnly: false, authoritativePort: stack.bind.port },
    solverService: { namespace: CLUSTER_RESOURCE_NAMESPACE, name: 'certgate-solver', port: 8089 },
    gatewayApi: { extraProtocols: [], discoveryIntervalMs: 1000 },
    cacheStaleAfterMs: 60_000,
  } as WorkerConfig);
}

/** Refuses an empty namespace: a test process without one would watch the whole cluster. */
function requireNamespace(namespace: string): string {
  if (!namespace) throw new Error('e2e certgate processes need the namespace they may touch (a runName()); none given');
  return namespace;
}

/** Builds a WorkerContext with started caches (opts.namespace only), the ACME backend and controllers (started). */
export async function startAcmeWorker(opts: AcmeWorkerOptions): Promise<AcmeWorker> {
  const client = new KubeClient(loadKubeConfig({ kubeconfig: opts.kubeconfigPath }));
  const namespace = requireNamespace(opts.namespace);
  const config = workerConfig(opts.stack, namespace, opts.backoffMinMs, opts.maxConcurrentChallenges);
  // The worker's own caches (worker/caches.ts), scoped as `certgate worker --namespace` scopes them.
  const workerLog = log.child({ component: 'acme-test-worker' });
  const cacheSet = createWorkerCaches(client, { namespace, clusterIssuerSelector: config.clusterIssuerSelector });
  const caches = cacheSet.caches;
  const ctx: AcmeContext = withAcmeRuntime({
    client,
    caches,
    recorder: createEventRecorder({ client, component: 'certgate-worker' }),
    clock: realClock,
    log: workerLog,
    config,
    metrics: createWorkerMetrics(),
  });
  const backend = createAcmeBackend(ctx);
  const controllers = opts.controllers === false ? [] : createAcmeControllers(ctx);
  await cacheSet.start();
  for (const c of controllers) c.start();
  return {
    ctx,
    backend,
    controllers,
    stop: async () => {
      for (const c of controllers) await c.stop();
      await Promise.all([cacheSet.stop(), ctx.acme.accounts.stop()]);
      await ctx.recorder.flush();
    },
  };
}

/** What the acme-*.test.ts files that drive the ACME backend directly start first; stop() ends all of it. */
export interface AcmeSetup {
  readonly stack: AcmeStack;
  readonly cluster: TestCluster;
  /** A test that stops the solver starts the next one here, so stop() ends that one. */
  solver: SolverHandle;
  readonly worker: AcmeWorker;
  stop(): Promise<void>;
}

/**
 * pebble and BIND, and a test cluster, started side by side. When one fails the other is stopped before
 * the error is thrown: a started embedded API server or pebble would keep the test process alive.
 */
export async function startStackAndCluster(stackOptions: AcmeStackOptions = {}): Promise<[AcmeStack, TestCluster]> {
  const [stack, cluster] = await Promise.allSettled([startAcmeStack(stackOptions), getTestCluster()]);
  if (stack.status === 'fulfilled' && cluster.status === 'fulfilled') return [stack.value, cluster.value];
  if (cluster.status === 'fulfilled') await cluster.value.stop();
  if (stack.status === 'fulfilled') await stack.value.stop();
  throw stack.status === 'rejected' ? stack.reason : (cluster as PromiseRejectedResult).reason;
}

/**
 * pebble and BIND (`stackOptions`), a test cluster with namespace `namespace` (prepareAcmeNamespaces), the
 * HTTP-01 solver and an AcmeWorker watching that namespace (`workerOptions`). What started is stopped when a later step fails.
 */
export async function startAcmeSetup(
  namespace: string,
  stackOptions: AcmeStackOptions = {},
  workerOptions: Partial<Omit<AcmeWorkerOptions, 'kubeconfigPath' | 'namespace' | 'stack'>> = {},
): Promise<AcmeSetup> {
  const [stack, cluster] = await startStackAndCluster(stackOptions);
  let solver: SolverHandle | undefined;
  let worker: AcmeWorker | undefined;
  const stopAll = async () => {
    await worker?.stop();
    await solver?.stop();
    await cluster.stop();
    await stack.stop();
  };
  try {
    solver = await startTestSolver(cluster.kubeconfigPath, stack, namespace);
    worker = await startAcmeWorker({ kubeconfigPath: cluster.kubeconfigPath, namespace, stack, ...workerOptions });
    await prepareAcmeNamespaces(cluster, namespace);
  } catch (e) {
    await stopAll();
    throw e;
  }
  return {
    stack,
    cluster,
    worker,
    get solver() {
      return solver!;
    },
    set solver(next: SolverHandle) {
      solver = next;
    },
    stop: stopAll,
  };
}

/**
 * The HTTP-01 solver on pebble's HTTP-01 port, watching Challenges in `namespace` only (as `certgate
 * solver --namespace`): tests pass their runName() namespace.
 */
export async function startTestSolver(kubeconfigPath: string, stack: AcmeStack, namespace: string): Promise<SolverHandle> {
  const client = new KubeClient(loadKubeConfig({ kubeconfig: kubeconfigPath }));
  return startSolver({ client, listen: `127.0.0.1:${stack.pebble.httpPort}`, namespace: requireNamespace(namespace) });
}

/** Creates the namespace unless it exists (bench/ on its own embedded server). Tests use TestCluster.createNamespace, which a real cluster gets cleaned. */
export async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  if (await client.get(Resources.Namespace, undefined, name)) return;
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** ACME issuer spec for the pebble of `stack`, HTTP-01 by default. */
export function pebbleAcmeSpec(stack: AcmeStack, extra: Record<string, unknown> = {}): Issuer['spec'] {
  return {
    acme: {
      server: stack.pebble.directoryUrl,
      email: 'ops@example.test',
      caBundle: Buffer.from(stack.pebble.caBundlePem).toString('base64'),
      privateKeySecretRef: { name: 'acme-account-key' },
      solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }],
      ...extra,
    },
  };
}

/** The Secret holding a TSIG key's secret (key "secret"), as an rfc2136 solver references it. */
export async function createTsigSecret(client: KubeClient, namespace: string, name: string, key: TsigKey): Promise<void> {
  await client.create(Resources.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    data: { secret: Buffer.from(key.secret).toString('base64') },
  } as KubernetesObject);
}

/** A DNS-01 solver updating the test BIND by RFC 2136, signed with `key` read from the Secret `secretName`. */
export function rfc2136Solver(stack: AcmeStack, key: TsigKey, secretName: string, dns01: Record<string, unknown> = {}): ACMEChallengeSolver {
  return {
    dns01: {
      ...dns01,
      rfc2136: { nameserver: stack.bind.address, tsigKeyName: key.name, tsigAlgorithm: 'HMACSHA256', tsigSecretSecretRef: { name: secretName, key: 'secret' } },
    },
  };
}

/**
 * The flags of a whole worker (in-process or `certgate worker`) against the pebble and BIND of `stack`: no
 * leader election, the HTTP-01 self-check on pebble's HTTP-01 port, names resolved by BIND, a 20 ms ACME backoff.
 */
export function acmeWorkerFlags(stack: AcmeStack, ...extra: string[]): string[] {
  return [
    '--no-leader-elect',
    '--acme-http01-self-check-port',
    String(stack.pebble.httpPort),
    '--acme-dns-nameserver',
    stack.bind.address,
    '--acme-backoff-min-ms',
    '20',
    ...extra,
  ];
}

/** Namespace `ns`, the cluster-resource namespace and the nginx IngressClass: what every ACME e2e file needs first. */
export async function prepareAcmeNamespaces(cluster: TestCluster, ns: string): Promise<void> {
  await cluster.createNamespace(ns);
  await cluster.createNamespace(CLUSTER_RESOURCE_NAMESPACE);
  await cluster.ensureShared(Resources.IngressClass, NGINX_INGRESS_CLASS);
}

export async function createIssuer(client: KubeClient, namespace: string, name: string, spec: Issuer['spec']): Promise<Issuer> {
  return client.create(Resources.Issuer, { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name, namespace }, spec });
}

/** The ClusterIssuer belongs to the run: `name` from cluster.name(), deleted by cluster.stop() on a real cluster. */
export async function createClusterIssuer(cluster: TestCluster, name: string, spec: Issuer['spec']): Promise<ClusterIssuer> {
  return cluster.createClusterObject(Resources.ClusterIssuer, { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name }, spec });
}

interface TestCsr {
  key: KeyObject;
  csrPem: string;
}

/** An ECDSA P-256 key and a CSR for `names` (first non-wildcard name as CN). */
export async function makeCsr(names: string[], ips: string[] = []): Promise<TestCsr> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = await toCryptoKeyPair(privateKey);
  const cn = names.find((n) => !n.startsWith('*.')) ?? names[0] ?? ips[0];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${cn}`,
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: keys.algorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        ...names.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
  return { key: privateKey, csrPem: csr.toString('pem') };
}

export async function createCertificateRequest(
  client: KubeClient,
  namespace: string,
  name: string,
  csrPem: string,
  issuerRef: { name: string; kind?: string },
  labels: Record<string, string> = {},
  annotations: Record<string, string> = {},
): Promise<CertificateRequest> {
  return client.create(Resources.CertificateRequest, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: { name, namespace, labels, annotations },
    spec: { request: Buffer.from(csrPem).toString('base64'), issuerRef: { group: 'cert-manager.io', kind: issuerRef.kind ?? 'Issuer', ...issuerRef } },
  });
}

/** Calls backend.sign() as the CertificateRequest controller would, until issued or failed (or timeout). */
export async function signUntilDone(worker: AcmeWorker, cr: CertificateRequest, timeoutMs = 30_000, onPending?: (r: SignResult) => void): Promise<SignResult> {
  const kind = (cr.spec.issuerRef.kind ?? 'Issuer') as 'Issuer' | 'ClusterIssuer';
  const ns = cr.metadata.namespace!;
  const deadline = Date.now() + timeoutMs;
  let last: SignResult | undefined;
  while (Date.now() < deadline) {
    const issuer =
      kind === 'ClusterIssuer'
        ? await worker.ctx.client.get<ClusterIssuer>(Resources.ClusterIssuer, undefined, cr.spec.issuerRef.name)
        : await worker.ctx.client.get<Issuer>(Resources.Issuer, ns, cr.spec.issuerRef.name);
    last = await worker.backend.sign({
      request: cr,
      issuer: issuer!,
      issuerKind: kind,
      resourceNamespace: kind === 'ClusterIssuer' ? CLUSTER_RESOURCE_NAMESPACE : ns,
    });
    if (last.state !== 'pending') return last;
    onPending?.(last);
    await sleep(50);
  }
  return last ?? { state: 'pending', reason: 'Timeout', message: 'never signed' };
}

export function splitPemChain(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
}

/** True when the chain (leaf first) links by signature up to rootPem. */
export function chainVerifiesTo(chain: X509Certificate[], rootPem: string): boolean {
  const all = [...chain, new X509Certificate(rootPem)];
  for (let i = 0; i + 1 < all.length; i++) if (!all[i].checkIssued(all[i + 1]) || !all[i].verify(all[i + 1].publicKey)) return false;
  return true;
}

/** DNS names in the leaf's subjectAltName, sorted. */
export function dnsSans(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4))
    .sort();
}

export async function ordersIn(client: KubeClient, ns: string): Promise<Order[]> {
  return (await client.list<Order>(Resources.Order, { namespace: ns })).items;
}

export async function challengesIn(client: KubeClient, ns: string): Promise<Challenge[]> {
  return (await client.list<Challenge>(Resources.Challenge, { namespace: ns })).items;
}

/** Calls sign() until it reports pending with a message matching `re` (the Order mirrors challenge causes asynchronously). */
export async function pendingMatching(worker: AcmeWorker, cr: CertificateRequest, re: RegExp, timeoutMs = 15_000): Promise<string> {
  let last = '';
  try {
    return await waitFor(
      `pending message matching ${re}`,
      async () => {
        const r = await signUntilDone(worker, cr, 10);
        last = r.state === 'pending' ? r.message : `${r.state}: ${'message' in r ? r.message : ''}`;
        return r.state === 'pending' && re.test(r.message) ? r.message : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last: ${last}`);
  }
}
