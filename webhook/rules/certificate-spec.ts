// cert-manager's validity rules for Certificate fields beyond names and durations: the Secret's
// name and template, the revision history, usages and name constraints. Refused with the same
// meaning as cert-manager's webhook, so a manifest it refuses is refused here too.
import type { Finding } from './ids.ts';
import { annotationsBytes, labelValueProblem, MAX_ANNOTATIONS_BYTES, qualifiedNameProblem, subdomainProblem } from '../../lib/kube-name-syntax.ts';
import { isKnownUsage } from '../../lib/pki/usages.ts';
import { asArr, asObj, stringMap } from '../../lib/untrusted.ts';

/** The one cert-manager.io annotation a secretTemplate may carry (it is for trust-manager/cainjector, not ours). */
const ALLOWED_TEMPLATE_ANNOTATION = 'cert-manager.io/allow-direct-injection';

function secretNameFindings(spec: Record<string, unknown>): Finding[] {
  const secretName = spec.secretName;
  if (typeof secretName !== 'string' || secretName === '') {
    return [
      {
        rule: 'secret-name-invalid',
        field: 'spec.secretName',
        message: 'name the Secret the certificate and key are stored in (e.g. web-tls)',
        severity: 'deny',
      },
    ];
  }
  const problem = subdomainProblem(secretName);
  return problem
    ? [{ rule: 'secret-name-invalid', field: 'spec.secretName', value: secretName, message: `is not a valid Secret name: it ${problem}`, severity: 'deny' }]
    : [];
}

function secretTemplateFindings(spec: Record<string, unknown>): Finding[] {
  const template = asObj(spec.secretTemplate);
  if (!template) return [];
  const out: Finding[] = [];
  const deny = (field: string, message: string, value?: string) =>
    out.push({ rule: 'secret-template-invalid', field: `spec.secretTemplate.${field}`, ...(value === undefined ? {} : { value }), message, severity: 'deny' });
  const labels = stringMap(template.labels);
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) deny('labels', `is not a valid label key: it ${keyProblem}`, key);
    const valueProblem = labelValueProblem(value);
    if (valueProblem) deny(`labels["${key}"]`, `is not a valid label value: it ${valueProblem}`, value);
  }
  const annotations = stringMap(template.annotations);
  for (const key of Object.keys(annotations)) {
    if (key.startsWith('cert-manager.io/') && key !== ALLOWED_TEMPLATE_ANNOTATION)
      deny('annotations', 'cert-manager.io/* annotations are written by the controller and may not be set through the template; use another prefix', key);
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) deny('annotations', `is not a valid annotation key: it ${keyProblem}`, key);
  }
  const bytes = annotationsBytes(annotations);
  if (bytes > MAX_ANNOTATIONS_BYTES) deny('annotations', `hold ${bytes} bytes; the API server accepts at most ${MAX_ANNOTATIONS_BYTES} on one object`);
  return out;
}

function revisionHistoryFindings(spec: Record<string, unknown>): Finding[] {
  const limit = spec.revisionHistoryLimit;
  if (limit === undefined || limit === null) return [];
  return typeof limit === 'number' && Number.isInteger(limit) && limit >= 1
    ? []
    : [
        {
          rule: 'revision-history-limit-invalid',
          field: 'spec.revisionHistoryLimit',
          value: limit,
          message: 'must be 1 or more (the CertificateRequests kept per Certificate); leave it out for the default 1',
          severity: 'deny',
        },
      ];
}

function usageFindings(spec: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  asArr(spec.usages).forEach((u, i) => {
    if (typeof u !== 'string' || !isKnownUsage(u)) {
      out.push({
        rule: 'usage-invalid',
        field: `spec.usages[${i}]`,
        value: u,
        message: 'is not a key usage; use names like "digital signature", "key encipherment", "server auth", "client auth"',
        severity: 'deny',
      });
    }
  });
  return out;
}

/** nameConstraints that name nothing (cert-manager refuses them); the rest is unsupported-field. */
function nameConstraintsFindings(spec: Record<string, unknown>): Finding[] {
  const nc = asObj(spec.nameConstraints);
  if (!nc || nc.permitted != null || nc.excluded != null) return [];
  return [
    {
      rule: 'name-constraints-invalid',
      field: 'spec.nameConstraints',
      value: nc,
      message: 'sets neither permitted nor excluded; remove nameConstraints',
      severity: 'deny',
    },
  ];
}

export function certificateSpecFindings(spec: Record<string, unknown>): Finding[] {
  return [
    ...secretNameFindings(spec),
    ...secretTemplateFindings(spec),
    ...revisionHistoryFindings(spec),
    ...usageFindings(spec),
    ...nameConstraintsFindings(spec),
  ];
}
