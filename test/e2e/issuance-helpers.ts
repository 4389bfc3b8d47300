// Helpers for the SelfSigned/CA issuance e2e tests: a worker started in-process on a test
// cluster and readers for the Secret a user would look at.
import { X509Certificate } from 'node:crypto';
import { after, before } from 'node:test';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import { loadKubeConfig, type KubeClient } from '../../lib/kube/client.ts';
import { clientFor, waitFor } from '../fixtures.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { WorkerConfig } from '../../worker/config.ts';
import { toWorkerConfig, workerCommand } from '../../worker/flags.ts';
import { startWorker, type RunningWorker, type StartOptions } from '../../worker/main.ts';
import type { StartOptions as ApiServerOptions } from '../apiserver/index.ts';
import { CLUSTER_RESOURCE_NAMESPACE, getTestCluster, runClusterIssuerSelector, type TestCluster } from './cluster.ts';

export { CLUSTER_RESOURCE_NAMESPACE };

/**
 * A WorkerConfig as `certgate worker --namespace NAMESPACE` flags would give, with test ports and short
 * timings. The namespace is required: on a real cluster (CERTGATE_E2E_KUBECONFIG) a worker watching every
 * namespace would renew or re-issue the cluster's own Certificates. Pass the test's runName() namespace.
 */
export function testWorkerConfig(namespace: string, extraArgs: string[] = []): WorkerConfig {
  const cmd = workerCommand().exitOverride();
  cmd.parse(
    [
      ...scopeArgs(namespace, extraArgs),
      '--cluster-issuer-selector',
      runClusterIssuerSelector(),
      '--metrics-listen',
      '127.0.0.1:0',
      '--health-listen',
      '127.0.0.1:0',
      '--renew-backoff-base',
      '1s',
      '--renew-backoff-max',
      '4s',
      '--cluster-resource-namespace',
      CLUSTER_RESOURCE_NAMESPACE,
      '--leader-election-namespace',
      CLUSTER_RESOURCE_NAMESPACE,
      ...extraArgs,
    ],
    { from: 'user' },
  );
  return toWorkerConfig(cmd.opts());
}

/**
 * `--namespace NAMESPACE` for a certgate process (worker or solver) an e2e test starts; throws on an empty
 * namespace or extra args that set their own, so no test process watches the whole cluster.
 */
function scopeArgs(namespace: string, extraArgs: readonly string[] = []): string[] {
  if (!namespace) throw new Error('e2e certgate processes need the namespace they may touch (a runName()); none given');
  if (extraArgs.some((a) => a === '--namespace' || a.startsWith('--namespace='))) throw new Error('pass the namespace as its own argument, not in extraArgs');
  return ['--namespace', namespace];
}

/** Starts an in-process worker that watches only `namespace` (see testWorkerConfig). */
export function launchWorker(kubeconfigPath: string, namespace: string, extraArgs: string[] = [], opts: StartOptions = {}): Promise<RunningWorker> {
  return startWorker(testWorkerConfig(namespace, extraArgs), loadKubeConfig({ kubeconfig: kubeconfigPath }), opts);
}

/**
 * Resolves once `worker` has caught up with the Certificate `namespace/name` as the API server holds it now
 * (its cache has that resourceVersion) and has reconciled everything it had seen: what the worker would do
 * about that state is done. The positive sign to wait for before asserting that nothing (else) happened.
 */
export async function workerCaughtUp(worker: RunningWorker, client: KubeClient, namespace: string, name: string): Promise<void> {
  await waitFor(`the worker's cache to hold Certificate ${namespace}/${name} as stored`, async () => {
    const stored = (await client.get<Certificate>(Resources.Certificate, namespace, name))?.metadata?.resourceVersion;
    return stored !== undefined && worker.caches()?.certificates.get(name, namespace)?.metadata?.resourceVersion === stored;
  });
  await worker.whenIdle();
}

/**
 * The leader-election tests' fixture: a test cluster with namespace `ns` (a runName()) holding a SelfSigned
 * Issuer "selfsigned", in-process workers launched on it (watching only `ns`), and stop() for all of them and the cluster.
 */
export interface WorkerFleet {
  readonly cluster: TestCluster;
  readonly client: KubeClient;
  launch(extraArgs: string[], opts: StartOptions): Promise<RunningWorker>;
  /** Stops one worker now (the others keep running). */
  stopWorker(w: RunningWorker): Promise<void>;
  stop(): Promise<void>;
}

export async function selfSignedFleet(ns: string, embeddedOptions: ApiServerOptions = {}): Promise<WorkerFleet> {
  const cluster = await getTestCluster(embeddedOptions);
  const client = clientFor(cluster.kubeconfigPath);
  await cluster.createNamespace(ns);
  await cluster.createNamespace(CLUSTER_RESOURCE_NAMESPACE);
  await client.create(Resources.Issuer, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name: 'selfsigned', namespace: ns },
    spec: { selfSigned: {} },
  } as KubernetesObject);
  const running = new Set<RunningWorker>();
  return {
    cluster,
    client,
    async launch(extraArgs, opts) {
      const w = await launchWorker(cluster.kubeconfigPath, ns, extraArgs, opts);
      running.add(w);
      return w;
    },
    async stopWorker(w) {
      running.delete(w);
      await w.stop();
    },
    async stop() {
      for (const w of running) await w.stop();
      await cluster.stop();
    },
  };
}

/**
 * The usual fleet of a describe block: before() starts a selfSignedFleet on `ns` and, given `launchArgs`,
 * one worker with them; after() stops it all. Returns the fleet for use inside the tests.
 */
export function useSelfSignedFleet(ns: string, launchArgs?: string[]): () => WorkerFleet {
  let fleet: WorkerFleet | undefined;
  before(
    async () => {
      fleet = await selfSignedFleet(ns);
      if (launchArgs) await fleet.launch(launchArgs, {});
    },
    { timeout: 60_000 },
  );
  after(
    async () => {
      await fleet?.stop();
    },
    { timeout: 60_000 },
  );
  return () => {
    if (!fleet) throw new Error('the fleet is started by before(): use it inside tests');
    return fleet;
  };
}

export interface StoredPair {
  chain: X509Certificate[];
  certificatePem: string;
  keyPem: string;
  caPem: string;
  secret: V1Secret;
}

export function readPair(secret: V1Secret): StoredPair {
  const d = (k: string) => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8');
  const certificatePem = d('tls.crt');
  const chain = (certificatePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => new X509Certificate(p));
  return { chain, certificatePem, keyPem: d('tls.key'), caPem: d('ca.crt'), secret };
}

export async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  return res.text();
}
