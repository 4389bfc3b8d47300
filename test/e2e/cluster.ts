// The one switch between the embedded API server and a real cluster for e2e tests:
// CERTGATE_E2E_KUBECONFIG (or KUBECONFIG with CERTGATE_E2E_REAL=1) names a real cluster;
// otherwise a fresh embedded server is started.
//
// A real cluster outlives the tests, so a run must neither collide with an earlier run nor leave
// anything behind: namespaces and cluster-scoped objects get per-run names from name(), are made
// through this module (or registered with track()), and stop() deletes them and waits until they
// are gone. Shared infrastructure (IngressClass nginx) is created when missing and never deleted.
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import { KubeClient, isAlreadyExists, isNotFound, loadKubeConfig } from '../../lib/kube/client.ts';
import { startApiServer, type EmbeddedApiServer, type StartOptions } from '@certgate/embedded-apiserver';

/** This process's run id: a test file's module-level names (e.g. the cluster resource namespace) use it. */
const RUN_ID = `r${Date.now().toString(36).slice(-5)}${randomBytes(2).toString('hex')}`;

/** The label createClusterObject() puts on every cluster-scoped object, valued with the run id. */
const RUN_LABEL = 'certgate.io/e2e-run';

/** `--cluster-issuer-selector` for the run's workers: only the ClusterIssuers this run created are theirs. */
export function runClusterIssuerSelector(runId: string = RUN_ID): string {
  return `${RUN_LABEL}=${runId}`;
}

/** `${base}-${runId}`, within the 63 characters a namespace or label-safe name allows. */
export function runName(base: string, runId: string = RUN_ID): string {
  const name = `${base}-${runId}`;
  if (name.length > 63) throw new Error(`test name ${name} is longer than 63 characters: shorten "${base}"`);
  return name;
}

/** The workers' --cluster-resource-namespace: per run, like every namespace the tests create (a real cluster keeps it until the run's stop()). */
export const CLUSTER_RESOURCE_NAMESPACE = runName('certgate');

export interface TestCluster {
  readonly kubeconfigPath: string;
  readonly embedded: EmbeddedApiServer | null;
  /** true when the cluster outlives this run (stop() then deletes what the run created) */
  readonly real: boolean;
  readonly runId: string;
  /** a client for fixtures (field manager certgate-e2e) */
  readonly client: KubeClient;
  /** `${base}-${runId}`: the name for every namespace and cluster-scoped object a test owns, on both paths */
  name(base: string): string;
  /** Creates namespace `name` (from name()); stop() deletes it. Returns the name. */
  createNamespace(name: string, meta?: { labels?: Record<string, string>; annotations?: Record<string, string> }): Promise<string>;
  /** Creates a cluster-scoped object (named by name()); stop() deletes it. */
  createClusterObject<T extends KubernetesObject>(r: ResourceDescriptor, obj: T): Promise<T>;
  /** Registers a namespace or cluster-scoped object that something else created (kubectl, a process under test). */
  track(r: ResourceDescriptor, name: string): void;
  /** Shared infrastructure: created when missing, left alone when present, never deleted. */
  ensureShared<T extends KubernetesObject>(r: ResourceDescriptor, obj: T): Promise<void>;
  /** Real cluster: deletes what the run created and waits until it is gone. Embedded: stops the server. */
  stop(): Promise<void>;
}

interface ClusterOptions {
  /** a real cluster's kubeconfig; default: realClusterKubeconfig() */
  kubeconfig?: string;
  runId?: string;
  /** how long stop() waits for deleted namespaces to disappear (default 120 s) */
  cleanupTimeoutMs?: number;
}

export function realClusterKubeconfig(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CERTGATE_E2E_KUBECONFIG) return env.CERTGATE_E2E_KUBECONFIG;
  if (env.CERTGATE_E2E_REAL === '1') {
    if (!env.KUBECONFIG) throw new Error('CERTGATE_E2E_REAL=1 needs KUBECONFIG to name the real cluster');
    return env.KUBECONFIG;
  }
  return undefined;
}

/** The one shared IngressClass the HTTP-01 tests solve through. */
export const NGINX_INGRESS_CLASS = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name: 'nginx' },
  spec: { controller: 'k8s.io/ingress-nginx' },
} as KubernetesObject;

// Kinds whose finalizers belong to the worker: once it has stopped, nobody else removes them and
// the namespace would stay Terminating.
const WORKER_FINALIZED = [Resources.Challenge, Resources.Order];
// Webhook configurations go first: their server has stopped, and they must not stand in the way.
const DELETE_FIRST = new Set([Resources.ValidatingWebhookConfiguration.kind, Resources.MutatingWebhookConfiguration.kind]);

export async function getTestCluster(embeddedOptions: StartOptions = {}, opts: ClusterOptions = {}): Promise<TestCluster> {
  const real = opts.kubeconfig ?? realClusterKubeconfig();
  if (real && !existsSync(real)) throw new Error(`kubeconfig ${real} does not exist`);
  const embedded = real ? null : await startApiServer(embeddedOptions);
  const kubeconfigPath = real ?? embedded!.kubeconfigPath;
  const client = new KubeClient(loadKubeConfig({ kubeconfig: kubeconfigPath }), 'certgate-e2e');
  const runId = opts.runId ?? RUN_ID;
  const owned: Array<{ r: ResourceDescriptor; name: string }> = [];

  const track = (r: ResourceDescriptor, name: string) => {
    if (r.namespaced) throw new Error(`track() is for namespaces and cluster-scoped objects; ${r.kind} ${name} goes away with its namespace`);
    if (!owned.some((o) => o.r === r && o.name === name)) owned.push({ r, name });
  };

  return {
    kubeconfigPath,
    embedded,
    real: !!real,
    runId,
    client,
    name: (base) => runName(base, runId),
    async createNamespace(name, meta = {}) {
      await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...meta } } as KubernetesObject);
      track(Resources.Namespace, name);
      return name;
    },
    async createClusterObject(r, obj) {
      // Labelled with the run, so the run's workers can be told which ClusterIssuers are theirs.
      const labelled = { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata?.labels, [RUN_LABEL]: runId } } };
      const created = await client.create(r, labelled);
      track(r, obj.metadata!.name!);
      return created;
    },
    track,
    async ensureShared(r, obj) {
      if (await client.get(r, undefined, obj.metadata!.name!)) return;
      await client.create(r, obj).catch((e) => {
        if (!isAlreadyExists(e)) throw e; // another test file made it meanwhile
      });
    },
    async stop() {
      if (embedded) return embedded.stop();
      await deleteOwned(client, owned.splice(0), opts.cleanupTimeoutMs ?? 120_000);
    },
  };
}

async function deleteOwned(client: KubeClient, owned: Array<{ r: ResourceDescriptor; name: string }>, timeoutMs: number): Promise<void> {
  const ordered = [...owned.filter((o) => DELETE_FIRST.has(o.r.kind)), ...owned.filter((o) => !DELETE_FIRST.has(o.r.kind))];
  for (const { r, name } of ordered) {
    await client.delete(r, undefined, name);
    // Events about a cluster-scoped object live in "default" (lib/events.ts) and would outlive the run there
    if (r !== Resources.Namespace) await deleteEventsAbout(client, r, name);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left: string[] = [];
    for (const { r, name } of ordered) {
      if (!(await client.get(r, undefined, name))) continue;
      left.push(`${r.kind} ${name}`);
      if (r === Resources.Namespace) await releaseWorkerFinalizers(client, name);
    }
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`test cleanup: still present after ${timeoutMs / 1000} s: ${left.join(', ')}`);
    await sleep(250);
  }
}

async function deleteEventsAbout(client: KubeClient, r: ResourceDescriptor, name: string): Promise<void> {
  const events = await client.list(Resources.Event, { namespace: 'default', fieldSelector: `involvedObject.kind=${r.kind},involvedObject.name=${name}` });
  for (const e of events.items) await client.delete(Resources.Event, 'default', e.metadata!.name!);
}

async function releaseWorkerFinalizers(client: KubeClient, namespace: string): Promise<void> {
  for (const r of WORKER_FINALIZED) {
    const items = await client.list(r, { namespace }).then(
      (l) => l.items,
      (e) => (isNotFound(e) ? [] : Promise.reject(e)),
    );
    for (const o of items) {
      if (!o.metadata?.finalizers?.length) continue;
      await client.patch(r, namespace, o.metadata.name!, { metadata: { finalizers: null } }).catch((e) => {
        if (!isNotFound(e)) throw e;
      });
    }
  }
}
