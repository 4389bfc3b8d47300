// Parses `certgate worker` flags into a frozen WorkerConfig. The Helm chart passes exactly these
// names; lease timings keep cert-manager's flag names and defaults.
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseHostPort } from '../lib/listen.ts';
import { durationArg } from '../lib/flags.ts';
import type { IssuerRef, ListenAddress, WorkerConfig } from './config.ts';
import { translateCertManagerArgs } from './cert-manager-flags.ts';
import { DEFAULT_COPIED_ANNOTATION_PREFIXES } from './certificates/copied-annotations.ts';

/** A "key=value" label selector (equality only: what a ClusterIssuer selector needs). */
function labelEqualityArg(v: string): string {
  const m = /^([A-Za-z0-9][-A-Za-z0-9_./]{0,252})=([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.exec(v);
  if (!m) throw new InvalidArgumentError(`"${v}" is not a label selector of the form key=value`);
  return v;
}

function issuerRefArg(value: string): IssuerRef {
  const m = /^(Issuer|ClusterIssuer)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not KIND/NAME with KIND Issuer or ClusterIssuer`);
  return { kind: m[1] as IssuerRef['kind'], name: m[2], group: 'cert-manager.io' };
}

function serviceArg(value: string): WorkerConfig['solverService'] {
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+):(\d{1,5})$/.exec(value);
  if (!m) throw new InvalidArgumentError(`"${value}" is not NAMESPACE/NAME:PORT`);
  return { namespace: m[1], name: m[2], port: Number(m[3]) };
}

function portArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port`);
  return n;
}

/** "a,b,c" as its non-empty items, trimmed. */
const commaListArg = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** "host:port,host:port" (port 53 when left out), as cert-manager's --dns01-recursive-nameservers. */
function nameserverListArg(value: string): ListenAddress[] {
  return commaListArg(value).map((s) => {
    if (/^https?:\/\//.test(s)) throw new InvalidArgumentError(`"${s}": DNS over HTTPS nameservers are not supported; give host:port`);
    return parseHostPort(/^\[.*\]$|^[^:]*$/.test(s) ? `${s}:53` : s);
  });
}

/** Providers whose API host is fixed (the others name theirs in the issuer: acmeDNS host, akamai serviceConsumerDomain). */
const DNS01_API_PROVIDERS = ['cloudflare', 'route53', 'digitalocean', 'cloudDNS', 'azureDNS'];

/** "provider=https://host[:port]", repeatable, into a map. */
function dns01ApiEndpointArg(value: string, prev: Record<string, string> = {}): Record<string, string> {
  const m = /^([^=]+)=(https:\/\/.+)$/.exec(value.trim());
  if (!m || !DNS01_API_PROVIDERS.includes(m[1]))
    throw new InvalidArgumentError(`"${value}": give <provider>=https://host[:port] with a provider among ${DNS01_API_PROVIDERS.join(', ')}`);
  try {
    new URL(m[2]);
  } catch {
    throw new InvalidArgumentError(`"${m[2]}" is not a URL`);
  }
  return { ...prev, [m[1]]: m[2].replace(/\/+$/, '') };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive integer`);
  return n;
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('Run the certificate controllers (issuance, renewal, ingress-shim)')
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, then in-cluster)')
    .option('--namespace <ns>', 'only watch this namespace (default: all)')
    .addOption(
      new Option('--cluster-issuer-selector <key=value>', 'only manage ClusterIssuers with this label (default: all); others are treated as absent').argParser(
        labelEqualityArg,
      ),
    )
    .option('--cluster-resource-namespace <ns>', 'namespace of ClusterIssuer Secrets', 'certgate')
    .option('--leader-elect', 'elect a leader with a Lease before running controllers', true)
    .option('--no-leader-elect', 'run controllers without leader election')
    .option('--leader-election-namespace <ns>', 'namespace of the leader election Lease', 'certgate')
    .option('--leader-election-id <name>', 'name of the leader election Lease', 'certgate-worker')
    .addOption(
      new Option('--leader-election-lease-duration <duration>', 'how long a lease is valid without renewal').default(60_000, '60s').argParser(durationArg),
    )
    .addOption(
      new Option('--leader-election-renew-deadline <duration>', 'how long the leader retries renewing before giving up')
        .default(40_000, '40s')
        .argParser(durationArg),
    )
    .addOption(new Option('--leader-election-retry-period <duration>', 'time between lease attempts').default(15_000, '15s').argParser(durationArg))
    .addOption(
      new Option('--metrics-listen <host:port>', 'Prometheus /metrics address').default(parseHostPort('0.0.0.0:9402'), '0.0.0.0:9402').argParser(parseHostPort),
    )
    .addOption(
      new Option('--health-listen <host:port>', '/healthz and /readyz address').default(parseHostPort('0.0.0.0:9403'), '0.0.0.0:9403').argParser(parseHostPort),
    )
    .addOption(new Option('--renew-backoff-base <duration>', 'first wait after a failed issuance').default(3_600_000, '1h').argParser(durationArg))
    .addOption(
      new Option('--renew-backoff-max <duration>', 'longest wait after failed issuances (also at most an eighth of the validity the certificate has left)')
        .default(32 * 3_600_000, '32h')
        .argParser(durationArg),
    )
    .addOption(
      new Option('--max-concurrent-issuances <n>', 'Certificates issued at once; others wait, user-applied ones first, then renewals due soonest')
        .default(16)
        .argParser(positiveInt),
    )
    .addOption(
      new Option(
        '--max-concurrent-challenges <n>',
        "ACME challenges presented and validated at once; others wait in pending, oldest first (as cert-manager's flag)",
      )
        .default(60)
        .argParser(positiveInt),
    )
    .addOption(
      new Option('--default-issuer <kind/name>', 'issuer for Ingresses annotated kubernetes.io/tls-acme: "true" and for transparent TLS').argParser(
        issuerRefArg,
      ),
    )
    .option(
      '--enable-certificate-owner-ref',
      "give each Certificate's Secret an ownerReference to it, so deleting the Certificate deletes the Secret (as cert-manager's flag); without it, a reference written earlier is removed at the next issuance",
      false,
    )
    .addOption(
      new Option(
        '--copied-annotation-prefixes <prefix,...>',
        "which Certificate annotations its CertificateRequests carry, as cert-manager's flag: in order, * copies all, PREFIX those starting with it, -PREFIX drops those starting with it",
      )
        .default(DEFAULT_COPIED_ANNOTATION_PREFIXES, DEFAULT_COPIED_ANNOTATION_PREFIXES.join(','))
        .argParser(commaListArg),
    )
    .option(
      '--disable-auto-approval',
      'do not approve CertificateRequests: leave it to another approver (approver-policy) or `certgate approve` (cert-manager: --controllers=*,-certificaterequests-approver)',
      false,
    )
    .option(
      '--transparent-tls',
      "give every Ingress without a tls block one, cluster-wide (as the webhook's flag; namespaces labelled certgate.io/tls=enforce get it anyway)",
      false,
    )
    .option(
      '--transparent-tls-exclude-namespace <ns>',
      'never add a tls block in this namespace (repeatable; the chart passes the namespaces its webhook never sees)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addOption(new Option('--acme-http01-self-check-port <port>', 'port the HTTP-01 self-check connects to').default(80).argParser(portArg))
    .addOption(new Option('--acme-dns-nameserver <host:port>', 'DNS resolver for ACME self-checks (default: system resolver)').argParser(parseHostPort))
    .addOption(
      new Option(
        '--acme-http01-nameserver <host:port>',
        "DNS resolver for the HTTP-01 self-check only (default: --acme-dns-nameserver; cert-manager's --acme-http01-solver-nameservers)",
      ).argParser(parseHostPort),
    )
    .addOption(
      new Option(
        '--acme-http01-ingress-path-type <type>',
        "pathType of the challenge path in HTTP-01 solver Ingresses (cert-manager's feature gate ACMEHTTP01IngressPathTypeExact=false is ImplementationSpecific)",
      )
        .choices(['Exact', 'ImplementationSpecific'])
        .default('Exact'),
    )
    .addOption(
      new Option('--log-level <level>', "log level (default: CERTGATE_LOG_LEVEL, else info; cert-manager's --v=N becomes one of these)").choices([
        'trace',
        'debug',
        'info',
        'warn',
        'error',
      ]),
    )
    .addOption(
      new Option(
        '--dns01-recursive-nameservers <host:port,...>',
        'resolvers for DNS-01 zone, NS and CNAME lookups (default: --acme-dns-nameserver, else the system resolvers)',
      )
        .default([], '')
        .argParser(nameserverListArg),
    )
    .option(
      '--dns01-recursive-nameservers-only',
      "check DNS-01 propagation through the recursive nameservers only, not the zone's authoritative nameservers",
      false,
    )
    .addOption(
      new Option(
        '--dns01-check-retry-period <duration>',
        "how long a DNS-01 challenge not yet visible waits before the next propagation check (cert-manager's flag; default: twice --acme-backoff-min-ms)",
      ).argParser(durationArg),
    )
    .addOption(new Option('--dns01-authoritative-port <port>', "port the zone's authoritative nameservers are asked on").default(53).argParser(portArg))
    .addOption(
      new Option(
        '--dns01-api-endpoint <provider=url>',
        "send a DNS-01 provider's API calls (and, for azureDNS and cloudDNS, its token requests) to this URL instead of the public endpoint: a proxy, a private endpoint, a test double (repeatable; trust its CA with NODE_EXTRA_CA_CERTS)",
      )
        .default({}, '')
        .argParser(dns01ApiEndpointArg),
    )
    .addOption(new Option('--acme-backoff-min-ms <ms>', 'first wait between ACME polls').default(1000).argParser(positiveInt))
    .addOption(
      new Option('--cache-stale-after <duration>', '/readyz fails when a watch cache has been disconnected from the API server this long')
        .default(60_000, '60s')
        .argParser(durationArg),
    )
    .addOption(
      new Option('--gateway-api-extra-protocols <protocol,...>', "Gateway listener protocols besides HTTPS and TLS that carry TLS (cert-manager's flag)")
        .default([], '')
        .argParser(commaListArg),
    )
    .addOption(
      new Option('--gateway-api <mode>', 'auto: watch Gateways and HTTPRoutes while the Gateway API is served; off: never (no RBAC for it needed)')
        .choices(['auto', 'off'])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--gateway-api-discovery-interval <duration>',
        'how often to look for the Gateway API (gateway.networking.k8s.io/v1); Gateways and HTTPRoutes are watched while it is served',
      )
        .default(60_000, '60s')
        .argParser(durationArg),
    )
    .addOption(
      new Option('--solver-service <ns/name:port>', 'Service of the HTTP-01 solver')
        .default(serviceArg('certgate/certgate-solver:8089'), 'certgate/certgate-solver:8089')
        .argParser(serviceArg),
    );
}

/** Turns parsed commander options into the frozen configuration; throws on inconsistent values. */
export function toWorkerConfig(o: Record<string, any>): WorkerConfig {
  if (o.renewBackoffMax < o.renewBackoffBase) throw new InvalidArgumentError('--renew-backoff-max must not be shorter than --renew-backoff-base');
  if (o.leaderElectionRenewDeadline >= o.leaderElectionLeaseDuration)
    throw new InvalidArgumentError('--leader-election-renew-deadline must be shorter than --leader-election-lease-duration');
  const config: WorkerConfig = {
    kubeconfig: o.kubeconfig,
    namespace: o.namespace || undefined,
    clusterIssuerSelector: o.clusterIssuerSelector,
    clusterResourceNamespace: o.clusterResourceNamespace,
    leaderElect: o.leaderElect !== false,
    leaderElectionNamespace: o.leaderElectionNamespace,
    leaderElectionId: o.leaderElectionId,
    leaseDurationMs: o.leaderElectionLeaseDuration,
    renewDeadlineMs: o.leaderElectionRenewDeadline,
    retryPeriodMs: o.leaderElectionRetryPeriod,
    metricsListen: o.metricsListen,
    healthListen: o.healthListen,
    renewBackoffBaseMs: o.renewBackoffBase,
    renewBackoffMaxMs: o.renewBackoffMax,
    maxConcurrentIssuances: o.maxConcurrentIssuances,
    maxConcurrentChallenges: o.maxConcurrentChallenges,
    defaultIssuer: o.defaultIssuer,
    enableCertificateOwnerRef: o.enableCertificateOwnerRef === true,
    autoApproval: o.disableAutoApproval !== true,
    copiedAnnotationPrefixes: o.copiedAnnotationPrefixes ?? DEFAULT_COPIED_ANNOTATION_PREFIXES,
    transparentTls: o.transparentTls === true,
    transparentTlsExcludedNamespaces: [...new Set<string>(o.transparentTlsExcludeNamespace ?? [])],
    acmeHttp01SelfCheckPort: o.acmeHttp01SelfCheckPort,
    acmeDnsNameserver: o.acmeDnsNameserver,
    acmeHttp01Nameserver: o.acmeHttp01Nameserver,
    acmeHttp01IngressPathType: o.acmeHttp01IngressPathType,
    logLevel: o.logLevel,
    acmeBackoffMinMs: o.acmeBackoffMinMs,
    dns01: {
      recursiveNameservers: o.dns01RecursiveNameservers ?? [],
      recursiveOnly: o.dns01RecursiveNameserversOnly === true,
      authoritativePort: o.dns01AuthoritativePort ?? 53,
      ...(o.dns01CheckRetryPeriod ? { checkRetryPeriodMs: o.dns01CheckRetryPeriod } : {}),
      apiEndpoints: o.dns01ApiEndpoint ?? {},
    },
    solverService: o.solverService,
    gatewayApi: { extraProtocols: o.gatewayApiExtraProtocols ?? [], discoveryIntervalMs: o.gatewayApiDiscoveryInterval ?? 60_000, off: o.gatewayApi === 'off' },
    cacheStaleAfterMs: o.cacheStaleAfter,
  };
  return deepFreeze(config);
}

/** Parses argv (without the "worker" word; cert-manager's controller flags too) into a WorkerConfig. */
export function parseWorkerArgs(argv: string[]): WorkerConfig {
  const cmd = workerCommand().exitOverride();
  cmd.parse(translateCertManagerArgs(argv), { from: 'user' });
  return toWorkerConfig(cmd.opts());
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
