// What the rules may know about the cluster: a read-only view over watched caches. Rules get a
// ClusterView and nothing else, so the request path makes no API calls and tests or the benchmark
// can hand in plain objects (staticClusterView) through the same interface.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import type { KubeClient, WatchedCache } from '../lib/kube/client.ts';
import { staleCaches } from '../lib/kube/informer.ts';
import { SecretWriterIndex, type SecretWriter } from './secret-index.ts';

/** Any Kubernetes object as the caches hold it (spec, status and the rest stay untyped: rules read defensively). */
export type KubeObject = KubernetesObject & { [field: string]: unknown };

export interface ClusterView {
  ingresses(namespace: string): ReadonlyArray<KubernetesObject>;
  certificates(namespace: string): ReadonlyArray<KubernetesObject>;
  issuer(namespace: string, name: string): KubernetesObject | undefined;
  clusterIssuer(name: string): KubernetesObject | undefined;
  namespace(name: string): KubernetesObject | undefined;
  /** Ingresses (with an issuer annotation) and Certificates that write this Secret. */
  secretWriters(namespace: string, secretName: string): ReadonlyArray<SecretWriter>;
}

export interface StaticObjects {
  ingresses?: KubeObject[];
  certificates?: KubeObject[];
  issuers?: KubeObject[];
  clusterIssuers?: KubeObject[];
  namespaces?: KubeObject[];
}

function byNamespace(objs: KubernetesObject[] = []): Map<string, KubernetesObject[]> {
  const m = new Map<string, KubernetesObject[]>();
  for (const o of objs) {
    const ns = o.metadata?.namespace ?? '';
    m.set(ns, [...(m.get(ns) ?? []), o]);
  }
  return m;
}

function bothWriters(ingresses: SecretWriterIndex, certificates: SecretWriterIndex, ns: string, secret: string): SecretWriter[] {
  const a = ingresses.writers(ns, secret);
  const b = certificates.writers(ns, secret);
  return b.length === 0 ? a : a.length === 0 ? b : [...a, ...b]; // writers() returns fresh arrays
}

/** A fixed view over plain objects (tests, benchmark, offline linting). */
export function staticClusterView(objects: StaticObjects): ClusterView {
  const ingresses = byNamespace(objects.ingresses);
  const certificates = byNamespace(objects.certificates);
  const ingressWriters = new SecretWriterIndex('Ingress');
  const certificateWriters = new SecretWriterIndex('Certificate');
  for (const o of objects.ingresses ?? []) ingressWriters.upsert(o);
  for (const o of objects.certificates ?? []) certificateWriters.upsert(o);
  const find = (list: KubernetesObject[] = [], name: string, ns?: string) =>
    list.find((o) => o.metadata?.name === name && (ns === undefined || o.metadata?.namespace === ns));
  return {
    ingresses: (ns) => ingresses.get(ns) ?? [],
    certificates: (ns) => certificates.get(ns) ?? [],
    issuer: (ns, name) => find(objects.issuers, name, ns),
    clusterIssuer: (name) => find(objects.clusterIssuers, name),
    namespace: (name) => find(objects.namespaces, name),
    secretWriters: (ns, secret) => bothWriters(ingressWriters, certificateWriters, ns, secret),
  };
}

export interface WatchedClusterView extends ClusterView {
  /** Lists everything once and starts the watches; resolves when every cache is filled. */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly synced: boolean;
  /** Names of the caches not known current for longer than thresholdMs (empty: all fresh). */
  stale(thresholdMs: number): string[];
  /** The caches themselves (tests and the soak compare them with the API server). */
  readonly caches: Readonly<Record<string, WatchedCache<KubernetesObject>>>;
}

/** The production view: five list+watch caches (lib/kube/informer.ts). Ingresses and Certificates are indexed by the cache per namespace. */
export function watchedClusterView(client: KubeClient): WatchedClusterView {
  const caches = {
    ingresses: client.cache(Resources.Ingress),
    certificates: client.cache(Resources.Certificate),
    issuers: client.cache(Resources.Issuer),
    clusterIssuers: client.cache(Resources.ClusterIssuer),
    namespaces: client.cache(Resources.Namespace),
  } satisfies Record<string, WatchedCache<KubernetesObject>>;
  const ingressWriters = new SecretWriterIndex('Ingress');
  const certificateWriters = new SecretWriterIndex('Certificate');
  for (const [cache, index] of [[caches.ingresses, ingressWriters], [caches.certificates, certificateWriters]] as const) {
    cache.on('add', (o) => index.upsert(o));
    cache.on('update', (o) => index.upsert(o));
    cache.on('delete', (o) => index.remove(o));
  }
  let synced = false;
  return {
    ingresses: (ns) => caches.ingresses.list(ns),
    certificates: (ns) => caches.certificates.list(ns),
    issuer: (ns, name) => caches.issuers.get(name, ns),
    clusterIssuer: (name) => caches.clusterIssuers.get(name),
    namespace: (name) => caches.namespaces.get(name),
    secretWriters: (ns, secret) => bothWriters(ingressWriters, certificateWriters, ns, secret),
    get synced() {
      return synced;
    },
    stale: (thresholdMs) => staleCaches(caches, thresholdMs),
    caches,
    async start() {
      await Promise.all(Object.values(caches).map((c) => c.start()));
      synced = true;
    },
    async stop() {
      synced = false;
      await Promise.all(Object.values(caches).map((c) => c.stop()));
    },
  };
}
