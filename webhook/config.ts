// Flags of `certgate webhook`, parsed once into a frozen typed object. The Helm chart passes exactly
// these names; keep them in step with charts/certgate/templates (webhook Deployment).
import { parseHostPort } from '../lib/listen.ts';
import { durationArg } from '../lib/flags.ts';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isMode, type Mode } from './policy.ts';
import { RULE_IDS, type RuleId } from './rules/ids.ts';

export interface IssuerRef {
  readonly kind: 'Issuer' | 'ClusterIssuer';
  readonly name: string;
}

export interface WebhookConfig {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly listen: { readonly host: string; readonly port: number };
  readonly metricsListen?: { readonly host: string; readonly port: number };
  readonly namespace: string; // the webhook's own namespace, where its TLS Secret lives
  readonly tlsSecret: string;
  readonly webhookConfig: string; // name of both the Mutating and the ValidatingWebhookConfiguration
  readonly serviceName: string;
  readonly tlsExtraSans: ReadonlyArray<string>; // e.g. 127.0.0.1 for tests outside a cluster
  readonly mode: Mode;
  readonly disabledRules: ReadonlySet<RuleId>;
  readonly transparentTls: boolean;
  readonly defaultIssuer?: IssuerRef;
  readonly productionLabel: { readonly key: string; readonly value: string };
  readonly certValidityHours: number; // serving certificate lifetime; renewed at two thirds
  readonly maxBodyBytes: number;
  readonly cacheStaleAfterMs: number; // /readyz fails when a watch cache has been disconnected this long
  readonly gatewayApi: 'auto' | 'off'; // auto: check Gateways while the cluster serves the Gateway API
  readonly gatewayApiDiscoveryIntervalMs: number; // how often API discovery is asked whether it does
}

/** "ClusterIssuer/letsencrypt-prod" (flag) or "ClusterIssuer.letsencrypt-prod" (namespace annotation). */
export function parseIssuerRef(text: string): IssuerRef {
  const m = /^(Issuer|ClusterIssuer)[/.]([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not KIND/NAME with KIND Issuer or ClusterIssuer (e.g. ClusterIssuer/letsencrypt-prod)`);
  return Object.freeze({ kind: m[1] as IssuerRef['kind'], name: m[2] });
}

function parseLabel(text: string): { key: string; value: string } {
  const i = text.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`"${text}" is not KEY=VALUE (e.g. certgate.io/environment=production)`);
  return { key: text.slice(0, i), value: text.slice(i + 1) };
}

function parseRule(text: string, previous: string[] = []): string[] {
  if (!(RULE_IDS as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`unknown rule "${text}"; rules are: ${RULE_IDS.join(', ')}`);
  }
  return [...previous, text];
}

function parsePositive(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`"${text}" is not a positive number`);
  return n;
}

export function webhookCommand(): Command {
  return (
    new Command('webhook')
      .description('admission webhook: validates Ingresses, Certificates and Issuers; adds defaults and transparent TLS')
      .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, in-cluster)')
      .option('--context <name>', 'kubeconfig context')
      .addOption(
        new Option('--listen <host:port>', 'HTTPS address for admission requests')
          .argParser(parseHostPort)
          .default(parseHostPort('0.0.0.0:10250'), '0.0.0.0:10250'),
      )
      .option('--metrics-listen <host:port>', 'plain HTTP address for /metrics (also served on the HTTPS port)', parseHostPort)
      .option('--namespace <ns>', 'namespace of the webhook itself, where its TLS Secret lives', 'certgate')
      .option('--tls-secret <name>', 'Secret holding the serving CA and certificate, shared by all replicas', 'certgate-webhook-tls')
      .option('--webhook-config <name>', 'name of both webhook configurations whose caBundle is patched', 'certgate-webhook')
      .option('--service-name <name>', 'Service in front of the webhook (names in the serving certificate)', 'certgate-webhook')
      .option('--tls-extra-san <name>', 'extra DNS name or IP in the serving certificate (repeatable)', (v: string, p: string[] = []) => [...p, v])
      .addOption(new Option('--mode <mode>', 'cluster-wide mode').choices(['enforce', 'warn', 'audit']).default('enforce'))
      .option('--disable-rule <id>', 'switch a rule off (repeatable)', parseRule)
      .option('--transparent-tls', 'add a tls block to every Ingress without one, cluster-wide', false)
      .option('--default-issuer <kind/name>', 'issuer for transparent TLS, e.g. ClusterIssuer/letsencrypt-prod', parseIssuerRef)
      .addOption(
        new Option('--production-label <key=value>', 'label that marks production namespaces and Ingresses')
          .argParser(parseLabel)
          .default(parseLabel('certgate.io/environment=production'), 'certgate.io/environment=production'),
      )
      .option('--cert-validity-hours <hours>', 'lifetime of the serving certificate', parsePositive, 24 * 365)
      // An UPDATE carries the object and the old one, each up to the API server's 3 MiB: 8 MiB holds both.
      .option(
        '--max-body-bytes <bytes>',
        'largest AdmissionReview accepted (objects over 3 MiB are denied by rule object-too-large)',
        parsePositive,
        8 * 1024 * 1024,
      )
      .addOption(
        new Option('--cache-stale-after <duration>', '/readyz fails when a watch cache has been disconnected from the API server this long')
          .argParser(durationArg)
          .default(60_000, '60s'),
      )
      .addOption(
        new Option('--gateway-api <mode>', 'auto: check Gateways (and watch Gateways and ReferenceGrants) while the cluster serves the Gateway API; off: never')
          .choices(['auto', 'off'])
          .default('auto'),
      )
      .addOption(
        new Option(
          '--gateway-api-discovery-interval <duration>',
          "how often API discovery is asked whether the Gateway API CRDs are installed (as the worker's flag)",
        )
          .argParser(durationArg)
          .default(60_000, '60s'),
      )
  );
}

/** Parses argv (without node and script, e.g. ['--mode', 'warn']) into a frozen config. Throws on bad input. */
export function parseWebhookConfig(argv: string[]): WebhookConfig {
  const cmd = webhookCommand()
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts();
  if (!isMode(o.mode)) throw new InvalidArgumentError(`bad mode ${o.mode}`);
  return Object.freeze({
    kubeconfig: o.kubeconfig,
    context: o.context,
    listen: Object.freeze(o.listen),
    metricsListen: o.metricsListen ? Object.freeze(o.metricsListen) : undefined,
    namespace: o.namespace,
    tlsSecret: o.tlsSecret,
    webhookConfig: o.webhookConfig,
    serviceName: o.serviceName,
    tlsExtraSans: Object.freeze([...(o.tlsExtraSan ?? [])]),
    mode: o.mode,
    disabledRules: new Set((o.disableRule ?? []) as RuleId[]),
    transparentTls: Boolean(o.transparentTls),
    defaultIssuer: o.defaultIssuer,
    productionLabel: Object.freeze(o.productionLabel),
    certValidityHours: o.certValidityHours,
    maxBodyBytes: o.maxBodyBytes,
    cacheStaleAfterMs: o.cacheStaleAfter,
    gatewayApi: o.gatewayApi,
    gatewayApiDiscoveryIntervalMs: o.gatewayApiDiscoveryInterval,
  });
}

/** A config with defaults, for tests and the benchmark. */
export function defaultWebhookConfig(overrides: Partial<WebhookConfig> = {}): WebhookConfig {
  return Object.freeze({ ...parseWebhookConfig([]), ...overrides });
}
