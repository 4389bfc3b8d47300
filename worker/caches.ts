// The worker's list+watch caches (lib/kube/informer.ts: restart with backoff, relist on 410,
// staleness). Secrets are filtered by the fao label so memory does not grow with unrelated Secrets.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Labels, LabelValues } from '../api/constants.ts';
import { Resources, type ResourceDescriptor } from '../api/resources.ts';
import type { KubeClient, WatchedCache } from '../lib/kube/client.ts';
import { staleCaches } from '../lib/kube/informer.ts';
import type { WorkerCaches } from './context.ts';

export const MANAGED_SECRET_SELECTOR = `${Labels.ControllerFAO}=${LabelValues.True}`;

export interface CacheSet {
  caches: WorkerCaches;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Names of the caches not known current for longer than thresholdMs (empty: all fresh). */
  stale(thresholdMs: number): string[];
}

export function createWorkerCaches(client: KubeClient, opts: { namespace?: string; clusterIssuerSelector?: string }): CacheSet {
  const make = <T extends KubernetesObject>(r: ResourceDescriptor, labelSelector?: string, fieldSelector?: string): WatchedCache<T> =>
    client.cache<T>(r, { namespace: r.namespaced ? opts.namespace : undefined, labelSelector, fieldSelector });
  const caches: WorkerCaches = {
    certificates: make(Resources.Certificate),
    certificateRequests: make(Resources.CertificateRequest),
    issuers: make(Resources.Issuer),
    clusterIssuers: make(Resources.ClusterIssuer, opts.clusterIssuerSelector),
    orders: make(Resources.Order),
    challenges: make(Resources.Challenge),
    secrets: make(Resources.Secret, MANAGED_SECRET_SELECTOR),
    ingresses: make(Resources.Ingress),
    // Labels and annotations of Namespaces steer transparent TLS; a worker limited to one
    // namespace watches only that one.
    namespaces: make(Resources.Namespace, undefined, opts.namespace ? `metadata.name=${opts.namespace}` : undefined),
  };
  const all = Object.values(caches) as WatchedCache<KubernetesObject>[];
  return {
    caches,
    start: async () => void (await Promise.all(all.map((c) => c.start()))),
    stop: async () => void (await Promise.all(all.map((c) => c.stop()))),
    stale: (thresholdMs) => staleCaches(caches as unknown as Record<string, WatchedCache<KubernetesObject>>, thresholdMs),
  };
}
