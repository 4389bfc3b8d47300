// cert-manager's controller flags given to `certgate worker`: each one certgate has reaches the
// configuration, each one it has not is refused at start naming the flag, its ControllerConfiguration
// key and what to do.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkerArgs } from './flags.ts';
import { CERT_MANAGER_FEATURE_GATES, CERT_MANAGER_FLAGS } from './cert-manager-flags.ts';
import type { WorkerConfig } from './config.ts';

const accepted: Array<[string, string[], (c: WorkerConfig) => unknown, unknown]> = [
  ['--leader-elect=false (Go boolean)', ['--leader-elect=false'], (c) => c.leaderElect, false],
  ['--leader-elect=true', ['--leader-elect=true'], (c) => c.leaderElect, true],
  ['--leader-election-lease-duration with a Go duration', ['--leader-election-lease-duration=1m30s'], (c) => c.leaseDurationMs, 90_000],
  ['--cluster-resource-namespace VALUE (separate argument)', ['--cluster-resource-namespace', 'infra'], (c) => c.clusterResourceNamespace, 'infra'],
  ['--enable-certificate-owner-ref=true', ['--enable-certificate-owner-ref=true'], (c) => c.enableCertificateOwnerRef, true],
  ['--enable-certificate-owner-ref=false', ['--enable-certificate-owner-ref=false'], (c) => c.enableCertificateOwnerRef, false],
  ['--dns01-recursive-nameservers-only=true', ['--dns01-recursive-nameservers-only=true'], (c) => c.dns01.recursiveOnly, true],
  ['--enable-gateway-api=false: never looks for the Gateway API', ['--enable-gateway-api=false'], (c) => c.gatewayApi.off, true],
  ['--enable-gateway-api: on while served (certgate default)', ['--enable-gateway-api'], (c) => c.gatewayApi.off, false],
  ['--feature-gates=ExperimentalGatewayAPISupport=false', ['--feature-gates=ExperimentalGatewayAPISupport=false'], (c) => c.gatewayApi.off, true],
  ['HTTP-01 solver Ingress paths: Exact unless told (cert-manager since 1.18)', [], (c) => c.acmeHttp01IngressPathType, 'Exact'],
  [
    '--feature-gates=ACMEHTTP01IngressPathTypeExact=false: ImplementationSpecific',
    ['--feature-gates=ACMEHTTP01IngressPathTypeExact=false'],
    (c) => c.acmeHttp01IngressPathType,
    'ImplementationSpecific',
  ],
  ['--feature-gates=ACMEHTTP01IngressPathTypeExact=true', ['--feature-gates=ACMEHTTP01IngressPathTypeExact=true'], (c) => c.acmeHttp01IngressPathType, 'Exact'],
  [
    '--default-issuer-name alone: kind Issuer, as cert-manager',
    ['--default-issuer-name=local-ca'],
    (c) => c.defaultIssuer,
    { kind: 'Issuer', name: 'local-ca', group: 'cert-manager.io' },
  ],
  [
    '--default-issuer-name/kind/group',
    ['--default-issuer-kind=ClusterIssuer', '--default-issuer-name', 'letsencrypt', '--default-issuer-group=cert-manager.io'],
    (c) => c.defaultIssuer,
    { kind: 'ClusterIssuer', name: 'letsencrypt', group: 'cert-manager.io' },
  ],
  ['--controllers=*,-certificaterequests-approver: the approver is off', ['--controllers=*,-certificaterequests-approver'], (c) => c.autoApproval, false],
  ['--controllers=*', ['--controllers=*'], (c) => c.autoApproval, true],
  [
    '--acme-http01-solver-nameservers: the HTTP-01 self-check resolver',
    ['--acme-http01-solver-nameservers=10.0.0.53:53'],
    (c) => c.acmeHttp01Nameserver,
    { host: '10.0.0.53', port: 53 },
  ],
  ['--metrics-listen-address', ['--metrics-listen-address=127.0.0.1:9999'], (c) => c.metricsListen, { host: '127.0.0.1', port: 9999 }],
  ['--internal-healthz-listen-address', ['--internal-healthz-listen-address=0.0.0.0:9000'], (c) => c.healthListen, { host: '0.0.0.0', port: 9000 }],
  ['--certificate-request-minimum-backoff-duration', ['--certificate-request-minimum-backoff-duration=30m'], (c) => c.renewBackoffBaseMs, 1_800_000],
  ['--certificate-request-maximum-backoff-duration', ['--certificate-request-maximum-backoff-duration=4h'], (c) => c.renewBackoffMaxMs, 14_400_000],
  ['--v=2: info', ['--v=2'], (c) => c.logLevel, 'info'],
  ['--v=4: debug', ['--v=4'], (c) => c.logLevel, 'debug'],
  ['--v=6: trace', ['--v=6'], (c) => c.logLevel, 'trace'],
  ['--v=0: errors only', ['--v=0'], (c) => c.logLevel, 'error'],
  ['--logging-format=json (what certgate writes)', ['--logging-format=json'], (c) => c.logLevel, undefined],
  ['--cluster-issuer-ambient-credentials=true (certgate behaves so)', ['--cluster-issuer-ambient-credentials=true'], (c) => c.leaderElect, true],
  ['--issuer-ambient-credentials=false (certgate behaves so)', ['--issuer-ambient-credentials=false'], (c) => c.leaderElect, true],
  [
    '--auto-certificate-annotations=kubernetes.io/tls-acme (the default)',
    ['--auto-certificate-annotations=kubernetes.io/tls-acme'],
    (c) => c.leaderElect,
    true,
  ],
  ['--enable-profiling=false', ['--enable-profiling=false'], (c) => c.leaderElect, true],
  ['--gateway-api-extra-protocols', ['--gateway-api-extra-protocols=DTLS,QUIC'], (c) => c.gatewayApi.extraProtocols, ['DTLS', 'QUIC']],
  ['--copied-annotation-prefixes', ['--copied-annotation-prefixes=*,-argocd.argoproj.io/'], (c) => c.copiedAnnotationPrefixes, ['*', '-argocd.argoproj.io/']],
  [
    '--kube-api-qps and -burst raised (what certgate does: no client-side limit)',
    ['--kube-api-qps=9000', '--kube-api-burst', '9000'],
    (c) => c.leaderElect,
    true,
  ],
  ['--dns01-check-retry-period (a Go duration)', ['--dns01-check-retry-period=1m30s'], (c) => c.dns01.checkRetryPeriodMs, 90_000],
  [
    "--copied-annotation-prefixes left out: cert-manager's default",
    [],
    (c) => c.copiedAnnotationPrefixes,
    ['*', '-kubectl.kubernetes.io/', '-fluxcd.io/', '-argocd.argoproj.io/'],
  ],
];

const refused: Array<[string, string[], RegExp]> = [
  [
    "--kube-api-qps below cert-manager's default",
    ['--kube-api-qps=5'],
    /--kube-api-qps=5 \(controller configuration kubernetesAPIQPS\): not supported: certgate has no client-side API rate limit to lower/,
  ],
  ["--kube-api-burst below cert-manager's default", ['--kube-api-burst', '10'], /kubernetesAPIBurst.*no client-side API rate limit to lower/],
  [
    '--controllers without a controller certgate needs',
    ['--controllers=*,-certificates-trigger'],
    /controllers\): not supported: certgate runs all of its controllers/,
  ],
  [
    '--acme-http01-solver-image',
    ['--acme-http01-solver-image=quay.io/x:1'],
    /acmeHTTP01Config\.solverImage\): not supported: certgate starts no HTTP-01 solver pods/,
  ],
  ['two HTTP-01 nameservers', ['--acme-http01-solver-nameservers=1.1.1.1:53,8.8.8.8:53'], /asks one resolver; give one host:port/],
  ['--cluster-issuer-ambient-credentials=false', ['--cluster-issuer-ambient-credentials=false'], /clusterIssuerAmbientCredentials\): not supported/],
  [
    '--issuer-ambient-credentials (bare: true)',
    ['--issuer-ambient-credentials'],
    /--issuer-ambient-credentials=true \(controller configuration issuerAmbientCredentials\)/,
  ],
  ['--auto-certificate-annotations of another annotation', ['--auto-certificate-annotations=example.com/tls'], /defaultAutoCertificateAnnotations/],
  ['--extra-certificate-annotations', ['--extra-certificate-annotations=venafi.cert-manager.io/custom-fields'], /extraCertificateAnnotations/],
  [
    '--default-issuer-group of an external issuer',
    ['--default-issuer-name=x', '--default-issuer-group=awspca.cert-manager.io'],
    /cert-manager\.io Issuers and ClusterIssuers only/,
  ],
  ['--enable-gateway-api-listenerset', ['--enable-gateway-api-listenerset'], /enableGatewayAPIListenerSet or gatewayAPI\.enableListenerSet/],
  ['--concurrent-workers', ['--concurrent-workers=10'], /use --max-concurrent-issuances/],
  ['--enable-profiling', ['--enable-profiling=true'], /enablePprof\): not supported: certgate serves no pprof endpoint/],
  ['--metrics-tls-cert-file', ['--metrics-tls-cert-file=/tls/tls.crt'], /metricsTLSConfig\.filesystem\.certFile/],
  ['--max-certificate-size', ['--max-certificate-size=50000'], /pemSizeLimitsConfig\.maxCertificateSize/],
  ['--logging-format=text', ['--logging-format=text'], /logging\.format\): not supported: certgate logs JSON only/],
  ['--config', ['--config=/var/cert-manager/config/config.yaml'], /certgate takes no configuration file/],
  ['--master', ['--master=https://10.0.0.1'], /apiServerHost.*--kubeconfig/],
  [
    'a feature gate set against certgate',
    ['--feature-gates=ServerSideApply=true'],
    /--feature-gates=ServerSideApply=true .*featureGates\): not supported: certgate writes with update/,
  ],
  ['an unknown feature gate', ['--feature-gates=NoSuchGate=true'], /NoSuchGate is not a feature gate of cert-manager's controller/],
  ['a bad Go boolean', ['--leader-elect=maybe'], /--leader-elect=maybe: give true or false/],
  ['--v without a number', ['--v=loud'], /give a verbosity 0 or more/],
];

describe("cert-manager's controller flags given to certgate worker", () => {
  for (const [name, args, get, want] of accepted) test(`accepts ${name}`, () => assert.deepEqual(get(parseWorkerArgs(args)), want));
  for (const [name, args, want] of refused)
    test(`refuses ${name}`, () =>
      assert.throws(
        () => parseWorkerArgs(args),
        (e: Error) => want.test(e.message),
      ));

  test('every feature gate value certgate behaves as is accepted; every other one is refused with the reason', () => {
    for (const [gate, { accept }] of Object.entries(CERT_MANAGER_FEATURE_GATES))
      for (const value of ['true', 'false']) {
        const run = () => parseWorkerArgs([`--feature-gates=${gate}=${value}`]);
        if ((accept as string[]).includes(value)) run();
        else assert.throws(run, new RegExp(`--feature-gates=${gate}=${value} .*not supported: .+; remove it`));
      }
  });

  test('every refusal names the ControllerConfiguration key', () => {
    for (const [flag, spec] of Object.entries(CERT_MANAGER_FLAGS)) {
      if (!spec.why || spec.accept || !spec.config.length) continue;
      assert.throws(
        () => parseWorkerArgs([spec.bool ? flag : `${flag}=x`]),
        (e: Error) => e.message.includes(`controller configuration ${spec.config.join(' or ')}`) && e.message.includes(spec.why!),
        flag,
      );
    }
  });
});
