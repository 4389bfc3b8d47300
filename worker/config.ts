// The worker's configuration: parsed and validated once from flags (worker/flags.ts) into this
// frozen object, which mirrors the Helm chart's values.
export type { ListenAddress } from '../lib/listen.ts';
import type { ListenAddress } from '../lib/listen.ts';

export interface IssuerRef {
  kind: 'Issuer' | 'ClusterIssuer';
  name: string;
  group: string;
}

export interface WorkerConfig {
  kubeconfig?: string;
  /** Only watch this namespace; undefined watches all. */
  namespace?: string;
  /** "key=value": only ClusterIssuers with this label are this worker's (watched, made Ready, used); undefined: all. */
  clusterIssuerSelector?: string;
  /** Where ClusterIssuers' Secrets live. */
  clusterResourceNamespace: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  /** Lease timings; cert-manager's defaults (60 s lease, 40 s renew deadline, 15 s retry). */
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  metricsListen: ListenAddress;
  healthListen: ListenAddress;
  /** Backoff after a failed issuance: base doubling up to max. */
  renewBackoffBaseMs: number;
  renewBackoffMaxMs: number;
  /** Certificates issued at once; the rest wait their turn (worker/certificates/slots.ts). */
  maxConcurrentIssuances: number;
  /** Challenges presented and validated at once; the rest wait in pending (worker/acme/challenges/slots.ts). */
  maxConcurrentChallenges: number;
  /** Issuer used for Ingresses annotated kubernetes.io/tls-acme: "true", and by transparent TLS. */
  defaultIssuer?: IssuerRef;
  /** Issued Secrets get an ownerReference to their Certificate (cert-manager's --enable-certificate-owner-ref). */
  enableCertificateOwnerRef: boolean;
  /**
   * Whether the built-in approver approves CertificateRequests for certgate's issuers. Off
   * (--disable-auto-approval, chart value disableAutoApproval) leaves approval to another approver
   * such as approver-policy, or to `certgate approve`.
   */
  autoApproval: boolean;
  /** Which Certificate annotations its CertificateRequests carry (cert-manager's --copied-annotation-prefixes). */
  copiedAnnotationPrefixes: readonly string[];
  /** Transparent TLS cluster-wide (namespaces labelled certgate.io/tls=off excepted), as the webhook's --transparent-tls. */
  transparentTls: boolean;
  /** Namespaces transparent TLS never touches, labelled or not: the ones the webhook never sees (kube-system, certgate's own, ...). */
  transparentTlsExcludedNamespaces: readonly string[];
  acmeHttp01SelfCheckPort: number;
  /** HOST:PORT of a DNS resolver for ACME self-checks; undefined uses the system resolver. */
  acmeDnsNameserver?: ListenAddress;
  /** HOST:PORT of the resolver for the HTTP-01 self-check alone; undefined: acmeDnsNameserver. */
  acmeHttp01Nameserver?: ListenAddress;
  /** pathType of the HTTP-01 challenge path in solver Ingresses (cert-manager's ACMEHTTP01IngressPathTypeExact gate). */
  acmeHttp01IngressPathType: Http01IngressPathType;
  /** pino level given by flag (--log-level, or cert-manager's --v); undefined: CERTGATE_LOG_LEVEL. */
  logLevel?: string;
  acmeBackoffMinMs: number;
  /** DNS-01 propagation checks, as cert-manager's --dns01-recursive-nameservers(-only). */
  dns01: Dns01CheckConfig;
  solverService: { namespace: string; name: string; port: number };
  /** Gateway API: watched while gateway.networking.k8s.io/v1 is served (looked for every discoveryIntervalMs). */
  gatewayApi: {
    extraProtocols: readonly string[];
    discoveryIntervalMs: number;
    /** --gateway-api=off: never look for it (the chart's gatewayAPI.enabled=false, without RBAC for it) */ off?: boolean;
  };
  /** /readyz fails when a cache has not been known current (no open watch, no list) for this long. */
  cacheStaleAfterMs: number;
}

export interface Dns01CheckConfig {
  /** Resolvers for zone/NS/CNAME lookups; empty: --acme-dns-nameserver, else the system's. */
  recursiveNameservers: readonly ListenAddress[];
  /** Check TXT values through the recursive nameservers only, not the zone's authoritative ones. */
  recursiveOnly: boolean;
  /** Port the authoritative nameservers are asked on (53; another only for test or lab setups). */
  authoritativePort: number;
  /** How long a DNS-01 challenge not yet visible waits before the next check (--dns01-check-retry-period); undefined: twice the ACME poll interval. */
  checkRetryPeriodMs?: number;
  /** Provider API URLs in place of the public ones, by dns01 field (--dns01-api-endpoint). */
  apiEndpoints?: Readonly<Record<string, string>>;
}

/** Exact, as cert-manager since 1.18; ImplementationSpecific for ingress controllers that refuse a "." in an Exact path. */
export type Http01IngressPathType = 'Exact' | 'ImplementationSpecific';
