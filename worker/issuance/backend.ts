// How the CertificateRequest controller talks to issuer types (SelfSigned, CA, ACME), and the
// context every worker controller is built from. This file is a contract between the issuance
// controllers and the ACME backend (worker/acme/): change it only together.
import type { V1Ingress, V1Namespace, V1Secret } from '@kubernetes/client-node';
import type { CertificateRequest, Certificate, Challenge, ClusterIssuer, Issuer, Order } from '../../api/types.generated.ts';
import type { Clock } from '../../lib/clock.ts';
import type { EventRecorder } from '../../lib/events.ts';
import type { KubeClient, WatchedCache } from '../../lib/kube/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { WorkerMetrics } from '../../lib/metrics/worker.ts';
import type { WorkerConfig } from '../config.ts';

export interface SignRequest {
  request: CertificateRequest;
  issuer: Issuer | ClusterIssuer;
  issuerKind: 'Issuer' | 'ClusterIssuer';
  /** The Issuer's namespace, or the cluster-resource namespace for a ClusterIssuer: where its Secrets live. */
  resourceNamespace: string;
}

export type SignResult =
  | { state: 'issued'; certificatePem: string /* leaf + chain */; caPem?: string }
  | { state: 'pending'; reason: string; message: string; recheckAfterMs?: number }
  | { state: 'failed'; reason: string; message: string }; // terminal for this CertificateRequest

export interface IssuerReadiness {
  ready: boolean;
  reason: string;
  message: string;
  /** Merged into the Issuer status, e.g. { acme: { uri, lastRegisteredEmail } }. */
  status?: Record<string, unknown>;
}

export interface IssuerBackend {
  /** Level-triggered and idempotent: called on every reconcile of a CertificateRequest that is not final. Throw for transient errors (retried with backoff). */
  sign(req: SignRequest): Promise<SignResult>;
  checkIssuer(issuer: Issuer | ClusterIssuer, resourceNamespace: string): Promise<IssuerReadiness>;
}

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
}

/** A controller: registers its watches on ctx.caches when constructed, runs its queue between start and stop. */
export interface Controller {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}
