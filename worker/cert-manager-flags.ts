// cert-manager's controller flags (and the ControllerConfiguration keys behind them), as
// `certgate worker` takes them: a setting certgate has is rewritten into certgate's own flags, one
// it has not is refused with what to do, never silently dropped. The Helm chart reads the same
// table (charts/certgate/files/cert-manager-controller-flags.json, written from this module) to
// refuse at `helm install` what the worker would refuse at start.
import { InvalidArgumentError } from 'commander';

interface CertManagerFlag {
  /** Where the setting lives in cert-manager's ControllerConfiguration (the chart's `config:`). */
  config: string[];
  /** A Go boolean flag: bare means true, `=false` turns it off. */
  bool?: boolean;
  /** The values (or, for lists, the items) certgate behaves as; anything else is refused with `why`. */
  accept?: string[];
  acceptItems?: boolean;
  /** Numbers from this one up are what certgate does (a limit it does not have, raised); lower ones are refused with `why`. */
  acceptAtLeast?: number;
  /** Why certgate refuses it (other values than `accept`, or every value) and what to do instead. */
  why?: string;
  /** The certgate worker flags for a value certgate has; absent: the value changes nothing here. */
  to?: (value: string) => string[];
}

const same = (flag: string) => (value: string) => [`${flag}=${value}`];
const boolTo = (on: string[], off: string[]) => (value: string) => (value === 'true' ? on : off);
const NO_SOLVER_PODS =
  'certgate starts no HTTP-01 solver pods: its solver is a sidecar of the controller pod (image from image.*, resources from controller.solver.resources); remove it';
const METRICS_PLAIN = 'certgate serves /metrics over plain HTTP (put TLS in front with your service mesh or a NetworkPolicy); remove it';
const NO_API_LIMIT =
  "certgate has no client-side API rate limit to lower (it bounds its load with --max-concurrent-issuances and --max-concurrent-challenges); remove it, or give at least cert-manager's default";
const PEM_LIMITS = 'certgate has no PEM size limits to set (the webhook refuses objects over 3 MiB); remove it';

/** klog verbosity as cert-manager uses it (0 errors, 1 warnings, 2 info, 4 debug, 5 trace) onto pino's levels. */
function logLevelOf(v: string): string {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--v=${v}: give a verbosity 0 or more`);
  return n === 0 ? 'error' : n === 1 ? 'warn' : n <= 3 ? 'info' : n === 4 ? 'debug' : 'trace';
}

/** cert-manager's controller flags, by name. Flags `certgate worker` has under the same name and meaning are absent unless Go's `--flag=false` needs rewriting. */
export const CERT_MANAGER_FLAGS: Record<string, CertManagerFlag> = {
  '--config': { config: [], why: 'certgate takes no configuration file: give the settings as flags (the chart turns its `config:` keys into them)' },
  '--kubeconfig': { config: ['kubeConfig'], to: same('--kubeconfig') },
  '--master': { config: ['apiServerHost'], why: 'give the API server in a kubeconfig (--kubeconfig) instead' },
  // Raising cert-manager's client-side limit (20 QPS, burst 50), as users do on large clusters, asks for what
  // certgate does already (no such limit); lowering it asks for a protection certgate does not have.
  '--kube-api-qps': { config: ['kubernetesAPIQPS'], acceptAtLeast: 20, why: NO_API_LIMIT },
  '--kube-api-burst': { config: ['kubernetesAPIBurst'], acceptAtLeast: 50, why: NO_API_LIMIT },
  '--namespace': { config: ['namespace'], to: same('--namespace') },
  '--cluster-resource-namespace': { config: ['clusterResourceNamespace'], to: same('--cluster-resource-namespace') },
  '--leader-elect': { config: ['leaderElectionConfig.enabled'], bool: true, to: boolTo(['--leader-elect'], ['--no-leader-elect']) },
  '--leader-election-namespace': { config: ['leaderElectionConfig.namespace'], to: same('--leader-election-namespace') },
  '--leader-election-lease-duration': { config: ['leaderElectionConfig.leaseDuration'], to: same('--leader-election-lease-duration') },
  '--leader-election-renew-deadline': { config: ['leaderElectionConfig.renewDeadline'], to: same('--leader-election-renew-deadline') },
  '--leader-election-retry-period': { config: ['leaderElectionConfig.retryPeriod'], to: same('--leader-election-retry-period') },
  '--internal-healthz-leader-election-timeout': {
    config: ['leaderElectionConfig.healthzTimeout'],
    why: "certgate's /healthz does not follow the Lease (a replica that cannot renew stops its controllers); remove it",
  },
  '--controllers': {
    config: ['controllers'],
    acceptItems: true,
    accept: ['*', '-certificaterequests-approver'],
    why: 'certgate runs all of its controllers; only the approver can be turned off (-certificaterequests-approver, or --disable-auto-approval)',
    to: (value) => (value.split(',').includes('-certificaterequests-approver') ? ['--disable-auto-approval'] : []),
  },
  '--acme-http01-solver-image': { config: ['acmeHTTP01Config.solverImage'], why: NO_SOLVER_PODS },
  '--acme-http01-solver-resource-request-cpu': { config: ['acmeHTTP01Config.solverResourceRequestCPU'], why: NO_SOLVER_PODS },
  '--acme-http01-solver-resource-request-memory': { config: ['acmeHTTP01Config.solverResourceRequestMemory'], why: NO_SOLVER_PODS },
  '--acme-http01-solver-resource-limits-cpu': { config: ['acmeHTTP01Config.solverResourceLimitsCPU'], why: NO_SOLVER_PODS },
  '--acme-http01-solver-resource-limits-memory': { config: ['acmeHTTP01Config.solverResourceLimitsMemory'], why: NO_SOLVER_PODS },
  '--acme-http01-solver-run-as-non-root': { config: ['acmeHTTP01Config.solverRunAsNonRoot'], bool: true, why: NO_SOLVER_PODS },
  '--acme-http01-solver-runtime-class-name': { config: ['acmeHTTP01Config.solverRuntimeClassName'], why: NO_SOLVER_PODS },
  '--acme-http01-solver-extra-labels': { config: ['acmeHTTP01Config.solverExtraLabels'], why: NO_SOLVER_PODS },
  '--acme-http01-solver-nameservers': {
    config: ['acmeHTTP01Config.solverNameservers'],
    to: (value) => {
      const servers = value.split(',').filter(Boolean);
      if (servers.length !== 1)
        throw new InvalidArgumentError(`--acme-http01-solver-nameservers=${value}: certgate's HTTP-01 self-check asks one resolver; give one host:port`);
      return [`--acme-http01-nameserver=${servers[0]}`];
    },
  },
  '--cluster-issuer-ambient-credentials': {
    config: ['clusterIssuerAmbientCredentials'],
    bool: true,
    accept: ['true'],
    why: "certgate always lets ClusterIssuers' DNS-01 solvers use the pod's ambient credentials (Route53, Cloud DNS, Azure DNS) when they name no keys; give the keys in the issuer instead",
  },
  '--issuer-ambient-credentials': {
    config: ['issuerAmbientCredentials'],
    bool: true,
    accept: ['false'],
    why: "certgate never lets namespaced Issuers use the pod's ambient credentials; use a ClusterIssuer, or give the keys in the Issuer",
  },
  '--auto-certificate-annotations': {
    config: ['ingressShimConfig.defaultAutoCertificateAnnotations'],
    accept: ['kubernetes.io/tls-acme'],
    why: 'certgate issues for Ingresses annotated kubernetes.io/tls-acme only (with --default-issuer); annotate them with cert-manager.io/issuer or cluster-issuer instead',
  },
  '--extra-certificate-annotations': {
    config: ['ingressShimConfig.extraCertificateAnnotations'],
    accept: [''],
    why: "certgate copies no Ingress annotations onto Certificates besides cert-manager's own (their use is Venafi's custom fields, and Venafi is not supported); remove it",
  },
  '--default-issuer-name': { config: ['ingressShimConfig.defaultIssuerName'] },
  '--default-issuer-kind': { config: ['ingressShimConfig.defaultIssuerKind'], accept: ['Issuer', 'ClusterIssuer'], why: 'give Issuer or ClusterIssuer' },
  '--default-issuer-group': {
    config: ['ingressShimConfig.defaultIssuerGroup'],
    accept: ['cert-manager.io', ''],
    why: 'certgate issues from cert-manager.io Issuers and ClusterIssuers only',
  },
  '--dns01-recursive-nameservers': { config: ['acmeDNS01Config.recursiveNameservers'], to: same('--dns01-recursive-nameservers') },
  '--dns01-recursive-nameservers-only': {
    config: ['acmeDNS01Config.recursiveNameserversOnly'],
    bool: true,
    to: boolTo(['--dns01-recursive-nameservers-only'], []),
  },
  '--dns01-check-retry-period': { config: ['acmeDNS01Config.checkRetryPeriod'], to: same('--dns01-check-retry-period') },
  '--enable-certificate-owner-ref': { config: ['enableCertificateOwnerRef'], bool: true, to: boolTo(['--enable-certificate-owner-ref'], []) },
  '--enable-gateway-api': { config: ['enableGatewayAPI', 'gatewayAPI.enabled'], bool: true, to: boolTo([], ['--gateway-api=off']) },
  '--enable-gateway-api-listenerset': {
    config: ['enableGatewayAPIListenerSet', 'gatewayAPI.enableListenerSet'],
    bool: true,
    accept: ['false'],
    why: "certgate's gateway shim reads Gateways only, not ListenerSets (Gateway API's experimental channel); remove it",
  },
  '--gateway-api-extra-protocols': { config: ['gatewayAPI.extraProtocols'], to: same('--gateway-api-extra-protocols') },
  '--copied-annotation-prefixes': { config: ['copiedAnnotationPrefixes'], to: same('--copied-annotation-prefixes') },
  '--feature-gates': { config: ['featureGates'] },
  '--concurrent-workers': {
    config: ['numberOfConcurrentWorkers'],
    why: "certgate's controllers are not sized by worker count; use --max-concurrent-issuances (Certificates issued at once) instead",
  },
  '--max-concurrent-challenges': { config: ['maxConcurrentChallenges'], to: same('--max-concurrent-challenges') },
  '--metrics-listen-address': { config: ['metricsListenAddress'], to: same('--metrics-listen') },
  '--internal-healthz-listen-address': { config: ['healthzListenAddress'], to: same('--health-listen') },
  '--enable-profiling': {
    config: ['enablePprof'],
    bool: true,
    accept: ['false'],
    why: 'certgate serves no pprof endpoint; profile with node --cpu-prof or --heapsnapshot-signal instead',
  },
  '--profiler-address': { config: ['pprofAddress'], why: 'certgate serves no pprof endpoint; remove it' },
  '--metrics-tls-cert-file': { config: ['metricsTLSConfig.filesystem.certFile'], why: METRICS_PLAIN },
  '--metrics-tls-private-key-file': { config: ['metricsTLSConfig.filesystem.keyFile'], why: METRICS_PLAIN },
  '--metrics-dynamic-serving-leaf-duration': { config: ['metricsTLSConfig.dynamic.leafDuration'], why: METRICS_PLAIN },
  '--metrics-dynamic-serving-ca-secret-namespace': { config: ['metricsTLSConfig.dynamic.secretNamespace'], why: METRICS_PLAIN },
  '--metrics-dynamic-serving-ca-secret-name': { config: ['metricsTLSConfig.dynamic.secretName'], why: METRICS_PLAIN },
  '--metrics-dynamic-serving-dns-names': { config: ['metricsTLSConfig.dynamic.dnsNames'], why: METRICS_PLAIN },
  '--metrics-tls-cipher-suites': { config: ['metricsTLSConfig.cipherSuites'], why: METRICS_PLAIN },
  '--metrics-tls-min-version': { config: ['metricsTLSConfig.minTLSVersion'], why: METRICS_PLAIN },
  '--max-certificate-size': { config: ['pemSizeLimitsConfig.maxCertificateSize'], why: PEM_LIMITS },
  '--max-private-key-size': { config: ['pemSizeLimitsConfig.maxPrivateKeySize'], why: PEM_LIMITS },
  '--max-certificate-chain-length': { config: ['pemSizeLimitsConfig.maxChainLength'], why: PEM_LIMITS },
  '--max-certificate-bundle-size': { config: ['pemSizeLimitsConfig.maxBundleSize'], why: PEM_LIMITS },
  '--certificate-request-minimum-backoff-duration': { config: ['certificateRequestMinimumBackoffDuration'], to: same('--renew-backoff-base') },
  '--certificate-request-maximum-backoff-duration': { config: ['certificateRequestMaximumBackoffDuration'], to: same('--renew-backoff-max') },
  '--v': { config: ['logging.verbosity'], to: (v) => [`--log-level=${logLevelOf(v)}`] },
  '--logging-format': { config: ['logging.format'], accept: ['json'], why: 'certgate logs JSON only (pino); remove it or give json' },
};

/**
 * cert-manager's controller feature gates: the values certgate behaves as. A gate set to another
 * value (or one cert-manager does not have) is refused with the reason.
 */
export const CERT_MANAGER_FEATURE_GATES: Record<string, { accept: ('true' | 'false')[]; why?: string; off?: string[] }> = {
  ExperimentalGatewayAPISupport: { accept: ['true', 'false'], off: ['--gateway-api=off'] },
  // The fields these gate are refused by certgate's webhook with the reason either way.
  AdditionalCertificateOutputFormats: { accept: ['true', 'false'] },
  LiteralCertificateSubject: { accept: ['true', 'false'] },
  NameConstraints: { accept: ['true', 'false'] },
  OtherNames: { accept: ['true', 'false'] },
  ServerSideApply: { accept: ['false'], why: 'certgate writes with update, not server-side apply' },
  StableCertificateRequestName: { accept: ['true'], why: 'certgate always names CertificateRequests <certificate>-<revision>' },
  UseCertificateRequestBasicConstraints: { accept: ['false'], why: 'certgate puts no basic constraints extension in CSRs' },
  SecretsFilteredCaching: { accept: ['true'], why: 'certgate always caches only the Secrets it labels' },
  DisallowInsecureCSRUsageDefinition: { accept: ['true'], why: "certgate's webhook always refuses CertificateRequests whose usages disagree with the CSR" },
  UseDomainQualifiedFinalizer: { accept: ['true'], why: 'certgate always uses acme.cert-manager.io/finalizer' },
  ValidateCAA: { accept: ['false'], why: 'certgate does not check CAA records before accepting a challenge (the CA does)' },
  DefaultPrivateKeyRotationPolicyAlways: {
    accept: ['true'],
    why: 'certgate defaults rotationPolicy to Always; set rotationPolicy: Never on the Certificates that need it',
  },
  ACMEHTTP01IngressPathTypeExact: { accept: ['true', 'false'], off: ['--acme-http01-ingress-path-type=ImplementationSpecific'] },
  ListenerSets: { accept: ['false'], why: "certgate's gateway shim reads Gateways only, not ListenerSets" },
  ACMEUseARI: { accept: ['true'], why: 'certgate always asks the CA for its renewal window (ARI) when the CA offers it' },
  ExperimentalCertificateSigningRequestControllers: { accept: ['false'], why: 'certgate has no CertificateSigningRequest controllers' },
};

function refusal(flag: string, value: string, why: string): InvalidArgumentError {
  const key = CERT_MANAGER_FLAGS[flag]?.config.join(' or ');
  return new InvalidArgumentError(`${flag}=${value}${key ? ` (controller configuration ${key})` : ''}: not supported: ${why}`);
}

function featureGateArgs(value: string): string[] {
  const args: string[] = [];
  for (const pair of value.split(',').filter(Boolean)) {
    const [name, setting = ''] = pair.split('=').map((s) => s.trim());
    const gate = CERT_MANAGER_FEATURE_GATES[name];
    const normalised = setting.toLowerCase();
    if (!gate) throw refusal('--feature-gates', pair, `${name} is not a feature gate of cert-manager's controller`);
    if (!(gate.accept as string[]).includes(normalised)) throw refusal('--feature-gates', pair, `${gate.why ?? ''}; remove it`);
    if (normalised === 'false' && gate.off) args.push(...gate.off);
  }
  return args;
}

/**
 * Rewrites cert-manager's controller flags in argv into certgate's own; leaves certgate's flags as
 * they are. Throws InvalidArgumentError naming the flag, its ControllerConfiguration key and what to
 * do, for a setting certgate does not have.
 */
export function translateCertManagerArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  const issuer: { name?: string; kind?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = CERT_MANAGER_FLAGS[flag];
    if (!spec) {
      out.push(arg);
      continue;
    }
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (spec.bool) value = 'true';
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new InvalidArgumentError(`${flag} needs a value`);
    if (spec.bool) {
      value = value.toLowerCase();
      if (value !== 'true' && value !== 'false') throw new InvalidArgumentError(`${flag}=${value}: give true or false`);
    }
    const given = spec.acceptItems ? value.split(',').map((s) => s.trim()) : [value];
    const accepted = spec.acceptAtLeast !== undefined ? Number(value) >= spec.acceptAtLeast : !!spec.accept && given.every((v) => spec.accept!.includes(v));
    if (spec.why && !accepted) throw refusal(flag, value, spec.why);
    if (flag === '--default-issuer-name') issuer.name = value;
    else if (flag === '--default-issuer-kind') issuer.kind = value;
    else if (flag === '--feature-gates') out.push(...featureGateArgs(value));
    else if (spec.to) out.push(...spec.to(value));
  }
  if (issuer.name) out.push(`--default-issuer=${issuer.kind ?? 'Issuer'}/${issuer.name}`);
  return out;
}

/** The table as the Helm chart reads it (charts/certgate/files/cert-manager-controller-flags.json). */
export function chartTable(): object {
  const flags = Object.fromEntries(
    Object.entries(CERT_MANAGER_FLAGS).map(([flag, s]) => [
      flag,
      {
        config: s.config,
        ...(s.bool ? { bool: true } : {}),
        ...(s.accept ? { accept: s.accept } : {}),
        ...(s.acceptItems ? { acceptItems: true } : {}),
        ...(s.acceptAtLeast !== undefined ? { acceptAtLeast: s.acceptAtLeast } : {}),
        ...(s.why ? { why: s.why } : {}),
      },
    ]),
  );
  const featureGates = Object.fromEntries(
    Object.entries(CERT_MANAGER_FEATURE_GATES).map(([gate, g]) => [gate, { accept: g.accept, ...(g.why ? { why: g.why } : {}) }]),
  );
  return { flags, featureGates };
}
