// What the rules may know about the cluster: a read-only view over watched caches. Rules get a
// ClusterView and nothing else, so the request path makes no API calls and tests or the benchmark
// can hand in plain objects (staticClusterView) through the same interface.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import type { KubeClient, WatchedCache } from '../lib/kube/client.ts';
import { CachesWhenServed } from '../lib/kube/caches-when-served.ts';
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
  /** Ingresses and Gateways (with an issuer annotation) and Certificates that write this Secret. */
  secretWriters(namespace: string, secretName: string): ReadonlyArray<SecretWriter>;
  /** ReferenceGrants in a namespace; undefined when the Gateway API is not watched (not served, or switched off). */
  referenceGrants(namespace: string): ReadonlyArray<KubernetesObject> | undefined;
}

export interface StaticObjects {
  ingresses?: KubeObject[];
  certificates?: KubeObject[];
  issuers?: KubeObject[];
  clusterIssuers?: KubeObject[];
  namespaces?: KubeObject[];
  gateways?: KubeObject[];
  /** absent: the Gateway API is not served */
  referenceGrants?: KubeObject[];
}

function byNamespace(objs: KubernetesObject[] = []): Map<string, KubernetesObject[]> {
  const m = new Map<string, KubernetesObject[]>();
  for (const o of objs) {
    const ns = o.metadata?.namespace ?? '';
    m.set(ns, [...(m.get(ns) ?? []), o]);
  }
  return m;
}

/** One index per writing kind, asked together. */
class SecretWriters {
  readonly ingresses = new SecretWriterIndex('Ingress');
  readonly certificates = new SecretWriterIndex('Certificate');
  readonly gateways = new SecretWriterIndex('Gateway');

  writers(ns: string, secret: string): SecretWriter[] {
    let out = this.ingresses.writers(ns, secret); // writers() returns fresh arrays
    for (const more of [this.certificates.writers(ns, secret), this.gateways.writers(ns, secret)])
      if (more.length > 0) out = out.length === 0 ? more : [...out, ...more];
    return out;
  }

  /** Keeps index up to date from a cache's events. */
  static follow(cache: WatchedCache<KubernetesObject>, index: SecretWriterIndex): void {
    cache.on('add', (o) => index.upsert(o));
    cache.on('update', (o) => index.upsert(o));
    cache.on('delete', (o) => index.remove(o));
  }
}

/** A fixed view over plain objects (tests, benchmark, offline linting). */
export function staticClusterView(objects: StaticObjects): ClusterView {
  const ingresses = byNamespace(objects.ingresses);
  const certificates = byNamespace(objects.certificates);
  const grants = objects.referenceGrants ? byNamespace(objects.referenceGrants) : undefined;
  const writers = new SecretWriters();
  for (const o of objects.ingresses ?? []) writers.ingresses.upsert(o);
  for (const o of objects.certificates ?? []) writers.certificates.upsert(o);
  for (const o of objects.gateways ?? []) writers.gateways.upsert(o);
  const find = (list: KubernetesObject[] = [], name: string, ns?: string) =>
    list.find((o) => o.metadata?.name === name && (ns === undefined || o.metadata?.namespace === ns));
  return {
    ingresses: (ns) => ingresses.get(ns) ?? [],
    certificates: (ns) => certificates.get(ns) ?? [],
    issuer: (ns, name) => find(objects.issuers, name, ns),
    clusterIssuer: (name) => find(objects.clusterIssuers, name),
    namespace: (name) => find(objects.namespaces, name),
    secretWriters: (ns, secret) => writers.writers(ns, secret),
    referenceGrants: (ns) => (grants ? (grants.get(ns) ?? []) : undefined),
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
  /** The Gateway API caches while the Gateway API is served (gateways, referencegrants). */
  readonly gatewayApi: CachesWhenServed | undefined;
}

interface WatchedClusterViewOptions {
  /** 'auto' (default): watch Gateways and ReferenceGrants while their CRDs are installed; 'off': never */
  gatewayApi?: 'auto' | 'off';
  /** how often API discovery is asked whether the Gateway API is served (default 30 s) */
  gatewayApiDiscoveryIntervalMs?: number;
}

/**
 * The production view: five list+watch caches (lib/kube/informer.ts), and the Gateway and
 * ReferenceGrant caches while the cluster serves them. Ingresses and Certificates are indexed by
 * the cache per namespace.
 */
export function watchedClusterView(client: KubeClient, opts: WatchedClusterViewOptions = {}): WatchedClusterView {
  const caches = {
    ingresses: client.cache(Resources.Ingress),
    certificates: client.cache(Resources.Certificate),
    issuers: client.cache(Resources.Issuer),
    clusterIssuers: client.cache(Resources.ClusterIssuer),
    namespaces: client.cache(Resources.Namespace),
  } satisfies Record<string, WatchedCache<KubernetesObject>>;
  const writers = new SecretWriters();
  SecretWriters.follow(caches.ingresses, writers.ingresses);
  SecretWriters.follow(caches.certificates, writers.certificates);
  const gatewayApi =
    opts.gatewayApi === 'off'
      ? undefined
      : new CachesWhenServed(client, [Resources.Gateway, Resources.ReferenceGrant], {
          intervalMs: opts.gatewayApiDiscoveryIntervalMs,
          onStart: (r, cache) => {
            if (r === Resources.Gateway) SecretWriters.follow(cache, writers.gateways);
          },
          // the CRD was deleted, and its objects with it
          onStop: (r, last) => {
            if (r === Resources.Gateway) for (const o of last) writers.gateways.remove(o);
          },
        });
  const optional = gatewayApi ? [gatewayApi] : [];
  let synced = false;
  return {
    ingresses: (ns) => caches.ingresses.list(ns),
    certificates: (ns) => caches.certificates.list(ns),
    issuer: (ns, name) => caches.issuers.get(name, ns),
    clusterIssuer: (name) => caches.clusterIssuers.get(name),
    namespace: (name) => caches.namespaces.get(name),
    secretWriters: (ns, secret) => writers.writers(ns, secret),
    referenceGrants: (ns) => gatewayApi?.get(Resources.ReferenceGrant)?.list(ns),
    get synced() {
      return synced;
    },
    stale: (thresholdMs) => staleCaches({ ...caches, ...gatewayApi?.caches() }, thresholdMs),
    caches,
    gatewayApi,
    async start() {
      await Promise.all([...Object.values(caches), ...optional].map((c) => c.start()));
      synced = true;
    },
    async stop() {
      synced = false;
      await Promise.all([...Object.values(caches), ...optional].map((c) => c.stop()));
    },
  };
}
