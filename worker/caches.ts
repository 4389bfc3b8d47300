// The worker's list+watch caches. Secrets are filtered by the fao label so memory does not grow
// with unrelated Secrets; a watch that fails is restarted (client-node's ListWatch does not
// restart by itself after an error) and resumes from its last resourceVersion or relists.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Labels, LabelValues } from '../api/constants.ts';
import { Resources, type ResourceDescriptor } from '../api/resources.ts';
import type { KubeClient, WatchedCache } from '../lib/kube/client.ts';
import type { Logger } from '../lib/log.ts';
import type { WorkerCaches } from './issuance/backend.ts';

export const MANAGED_SECRET_SELECTOR = `${Labels.ControllerFAO}=${LabelValues.True}`;
const RESTART_DELAY_MS = 1000;

export interface CacheSet {
  caches: WorkerCaches;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createWorkerCaches(client: KubeClient, opts: { namespace?: string; clusterIssuerSelector?: string; log: Logger }): CacheSet {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const make = <T extends KubernetesObject>(r: ResourceDescriptor, labelSelector?: string, fieldSelector?: string): WatchedCache<T> => {
    const cache = client.cache<T>(r, { namespace: r.namespaced ? opts.namespace : undefined, labelSelector, fieldSelector });
    cache.on('error', (err) => {
      if (stopped) return;
      opts.log.warn({ resource: r.plural, err: err instanceof Error ? err.message : String(err) }, 'watch failed; restarting');
      const t = setTimeout(() => {
        timers.delete(t);
        if (!stopped) cache.start().catch(() => {}); // a failure lands in the error handler again
      }, RESTART_DELAY_MS);
      timers.add(t);
    });
    return cache;
  };
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
    async start() {
      stopped = false;
      await Promise.all(all.map((c) => c.start()));
    },
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all(all.map((c) => c.stop()));
    },
  };
}
