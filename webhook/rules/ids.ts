// Stable rule ids. They appear in denial messages ("[tls-host-not-in-rules] ..."), in metrics and in
// --disable-rule; renaming one is a breaking change. The README table lists what each one checks.
export const RULE_IDS = [
  // Ingress
  'tls-host-not-in-rules',
  'rule-host-not-in-tls',
  'tls-secret-name-missing',
  'tls-hosts-missing',
  'secret-name-conflict',
  'wildcard-needs-dns01',
  'issuer-not-found',
  'issuer-not-ready',
  'issuer-annotation-conflict',
  'invalid-dns-name',
  'common-name-too-long',
  'duplicate-host',
  'staging-issuer-on-production',
  // Gateway (gateway.networking.k8s.io); the Ingress ids above apply too where the meaning carries over
  'listener-certificate-missing',
  'listener-host-not-in-certificate',
  'certificate-ref-not-permitted',
  'listener-not-issued',
  // Certificate
  'certificate-no-identity',
  'invalid-ip-address',
  'invalid-uri',
  'invalid-email',
  'invalid-duration',
  'duration-too-short',
  'renew-before-invalid',
  'key-algorithm-invalid',
  'issuer-ref-invalid',
  'unsupported-field',
  'no-effect',
  'secret-name-invalid',
  'secret-template-invalid',
  'revision-history-limit-invalid',
  'usage-invalid',
  'name-constraints-invalid',
  // CertificateRequest
  'certificate-request-invalid',
  'certificate-request-immutable',
  'approval-condition-invalid',
  'acme-common-name-not-in-dns-names',
  // Issuer and ClusterIssuer
  'issuer-type-count',
  'acme-server-invalid',
  'acme-email-invalid',
  'acme-private-key-secret-missing',
  'acme-solver-invalid',
  'acme-skip-tls-verify',
  'acme-ca-bundle-invalid',
  'acme-eab-invalid',
  'ca-issuer-invalid',
  // Any kind: an object over the API server's request limit (never disabled, see admission/object-size.ts)
  'object-too-large',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

/** deny: refused in enforce mode; warn: never refused, always shown as a warning. */
export type Severity = 'deny' | 'warn';

export interface Finding {
  readonly rule: RuleId;
  readonly field: string; // e.g. spec.tls[0].hosts[1]
  readonly value?: unknown;
  readonly message: string; // what is wrong and how to fix it, without the rule id
  readonly severity: Severity;
}

/**
 * A finding whose field path is built from `at` only when read. One object can make tens of
 * thousands of findings (an Ingress with every host wrong) and only the first few are shown:
 * building every path up front was a third of such a request's CPU, most of it garbage collection.
 */
export class FindingAt<T> implements Finding {
  constructor(
    readonly rule: RuleId,
    private readonly at: T,
    private readonly path: (at: T) => string,
    readonly value: unknown,
    readonly message: string,
    readonly severity: Severity,
  ) {}

  get field(): string {
    return this.path(this.at);
  }

  toJSON(): Finding {
    return { rule: this.rule, field: this.field, value: this.value, message: this.message, severity: this.severity };
  }
}

/** The same finding as a warning (a plain object: spreading a FindingAt would drop its field). */
export const asWarning = (f: Finding): Finding => ({ rule: f.rule, field: f.field, value: f.value, message: f.message, severity: 'warn' });

/** The text users read: "[rule] field "value": message". */
export function formatFinding(f: Finding): string {
  const value = f.value === undefined ? '' : ` ${JSON.stringify(f.value)}`;
  return `[${f.rule}] ${f.field}${value}: ${f.message}`;
}
