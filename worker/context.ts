// The context every worker controller is built from: the started caches, the API client, the
// clock, the Event recorder, the logger, the frozen configuration and the metrics. worker/main.ts
// builds one per leadership term; tests build one from plain objects (test/worker/fake-context.ts).
import type { V1Ingress, V1Namespace, V1Secret } from '@kubernetes/client-node';
import type { CertificateRequest, Certificate, Challenge, ClusterIssuer, Issuer, Order } from '../api/types.generated.ts';
import type { Clock } from '../lib/clock.ts';
import type { EventRecorder } from '../lib/events.ts';
import type { KubeClient, WatchedCache } from '../lib/kube/client.ts';
import type { Logger } from '../lib/log.ts';
import type { WorkerMetrics } from '../lib/metrics/worker.ts';
import type { WorkerConfig } from './config.ts';
import type { GatewayApiSupport } from './gateway-api.ts';

/** Started list+watch caches shared by every controller. */
export interface WorkerCaches {
  certificates: WatchedCache<Certificate>;
  certificateRequests: WatchedCache<CertificateRequest>;
  issuers: WatchedCache<Issuer>;
  clusterIssuers: WatchedCache<ClusterIssuer>;
  orders: WatchedCache<Order>;
  challenges: WatchedCache<Challenge>;
  /** Only Secrets labelled controller.cert-manager.io/fao=true; GET others directly. */
  secrets: WatchedCache<V1Secret>;
  ingresses: WatchedCache<V1Ingress>;
  /** Namespaces (their transparent TLS label and default issuer annotation). */
  namespaces: WatchedCache<V1Namespace>;
}

export interface WorkerContext {
  client: KubeClient;
  caches: WorkerCaches;
  recorder: EventRecorder;
  clock: Clock;
  log: Logger;
  config: WorkerConfig;
  metrics: WorkerMetrics;
  /** Gateway API caches while gateway.networking.k8s.io/v1 is served (worker/gateway-api.ts); absent in contexts built without it. */
  gatewayApi?: GatewayApiSupport;
}

/** A controller: registers its watches on ctx.caches when constructed, runs its queue between start and stop. */
export interface Controller {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
  /** Queue controllers: resolves once no key is ready or in flight (delayed keys do not count), so what was queued before has been processed. */
  whenIdle?(): Promise<void>;
}
