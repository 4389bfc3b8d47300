// Validation of Mutating/ValidatingWebhookConfigurations as admissionregistration.k8s.io/v1 does it
// (k8s.io/kubernetes pkg/apis/admissionregistration/validation and k8s.io/apiserver
// pkg/util/webhook ValidateWebhookURL/ValidateWebhookService): the chart and the e2e suite register
// webhooks here, and a configuration the real server refuses must be refused here too, with the
// same field paths and wording.
import { causes, type StatusCause } from './errors.ts';
import type { KObj } from './storage.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

// Sorted, as the real server lists them (sets.String.List()).
const ADMISSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];
const SIDE_EFFECTS_V1 = ['None', 'NoneOnDryRun'];
const FAILURE_POLICIES = ['Fail', 'Ignore'];
const MATCH_POLICIES = ['Equivalent', 'Exact'];
const REINVOCATION_POLICIES = ['IfNeeded', 'Never'];
const OPERATIONS = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const SCOPES = ['*', 'Cluster', 'Namespaced'];
const URL_FORM = '; desired format: https://host[/path]';

const requiredWith = (field: string, detail: string): StatusCause => ({
  ...causes.required(field),
  message: detail ? `Required value: ${detail}` : 'Required value',
});
/** Go's %#v of a []string, as field.Invalid prints a string list. */
const goStrings = (v: unknown[]): string => `[]string{${v.map((s) => JSON.stringify(String(s))).join(', ')}}`;
const invalidList = (field: string, v: unknown[], detail: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${goStrings(v)}: ${detail}`,
});

/** utilvalidation.IsFullyQualifiedName: a DNS subdomain with at least three labels. */
function fullyQualifiedName(field: string, name: unknown): StatusCause[] {
  if (typeof name !== 'string' || name.length === 0) return [causes.required(field)];
  const errs: string[] = [];
  if (name.length > 253) errs.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(name)) errs.push(DNS1123_SUBDOMAIN_MSG);
  if (errs.length) return [causes.invalid(field, name, errs.join(','))];
  if (name.split('.').length < 3) return [causes.invalid(field, name, 'should be a domain with at least three segments separated by dots')];
  return [];
}

function hasWildcardWithOthers(values: unknown[]): boolean {
  return values.length > 1 && values.includes('*');
}

function validateRule(rule: KObj, f: string): StatusCause[] {
  const out: StatusCause[] = [];
  const operations: unknown[] = rule.operations ?? [];
  if (operations.length === 0) out.push(causes.required(`${f}.operations`));
  if (hasWildcardWithOthers(operations)) out.push(invalidList(`${f}.operations`, operations, "if '*' is present, must not specify other operations"));
  operations.forEach((op, i) => {
    if (!OPERATIONS.includes(op as string)) out.push(causes.notSupported(`${f}.operations[${i}]`, op, OPERATIONS));
  });
  const groups: unknown[] = rule.apiGroups ?? [];
  if (groups.length === 0) out.push(causes.required(`${f}.apiGroups`));
  if (hasWildcardWithOthers(groups)) out.push(invalidList(`${f}.apiGroups`, groups, "if '*' is present, must not specify other API groups"));
  const versions: unknown[] = rule.apiVersions ?? [];
  if (versions.length === 0) out.push(causes.required(`${f}.apiVersions`));
  if (hasWildcardWithOthers(versions)) out.push(invalidList(`${f}.apiVersions`, versions, "if '*' is present, must not specify other API versions"));
  versions.forEach((v, i) => {
    if (!v) out.push(causes.required(`${f}.apiVersions[${i}]`));
  });
  const resources: unknown[] = rule.resources ?? [];
  if (resources.length === 0) out.push(causes.required(`${f}.resources`));
  resources.forEach((r, i) => {
    if (!r) out.push(causes.required(`${f}.resources[${i}]`));
  });
  if (rule.scope !== undefined && rule.scope !== null && !SCOPES.includes(rule.scope)) out.push(causes.notSupported(`${f}.scope`, rule.scope, SCOPES));
  return out;
}

/** webhook.ValidateWebhookURL with forceHttps: https only, a host, no user info, fragment or query. */
function validateUrl(f: string, raw: string): StatusCause[] {
  let u: URL;
  try {
    u = new URL(raw);
  } catch (e) {
    return [requiredWith(f, `url must be a valid URL: ${(e as Error).message}${URL_FORM}`)];
  }
  const out: StatusCause[] = [];
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'https') out.push(causes.invalid(f, scheme, `'https' is the only allowed URL scheme${URL_FORM}`));
  if (!u.host) out.push(causes.invalid(f, u.host, `host must be specified${URL_FORM}`));
  if (u.username || u.password)
    out.push(causes.invalid(f, u.password ? `${u.username}:${u.password}` : u.username, 'user information is not permitted in the URL'));
  if (u.hash.length > 1) out.push(causes.invalid(f, u.hash.slice(1), 'fragments are not permitted in the URL'));
  if (u.search.length > 1) out.push(causes.invalid(f, u.search.slice(1), 'query parameters are not permitted in the URL'));
  return out;
}

/** webhook.ValidateWebhookService: name, namespace, a valid port (443 when unset) and a path of DNS-subdomain segments. */
function validateService(f: string, svc: KObj): StatusCause[] {
  const out: StatusCause[] = [];
  if (!svc.name) out.push(requiredWith(`${f}.name`, 'service name is required'));
  if (!svc.namespace) out.push(requiredWith(`${f}.namespace`, 'service namespace is required'));
  const port = svc.port ?? 443;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    out.push(causes.invalid(`${f}.port`, port, 'port is not valid: must be between 1 and 65535, inclusive'));
  const path: unknown = svc.path;
  if (typeof path !== 'string' || path === '' || path === '/') return out;
  if (path === '//') return [...out, causes.invalid(`${f}.path`, path, 'segment[0] may not be empty')];
  if (!path.startsWith('/')) out.push(causes.invalid(`${f}.path`, path, "must start with a '/'"));
  let rest = path.slice(1);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  rest.split('/').forEach((step, i) => {
    if (step.length === 0) out.push(causes.invalid(`${f}.path`, path, `segment[${i}] may not be empty`));
    else if (!DNS1123_SUBDOMAIN.test(step)) out.push(causes.invalid(`${f}.path`, path, `segment[${i}]: ${DNS1123_SUBDOMAIN_MSG}`));
  });
  return out;
}

function validateClientConfig(f: string, cc: KObj | undefined): StatusCause[] {
  const hasUrl = cc?.url !== undefined && cc?.url !== null;
  const hasService = cc?.service !== undefined && cc?.service !== null;
  if (hasUrl === hasService) return [requiredWith(f, 'exactly one of url or service is required')];
  return hasUrl ? validateUrl(`${f}.url`, String(cc!.url)) : validateService(`${f}.service`, cc!.service);
}

function validateWebhook(hook: KObj, f: string, mutating: boolean): StatusCause[] {
  const out: StatusCause[] = [...fullyQualifiedName(`${f}.name`, hook.name)];
  (hook.rules ?? []).forEach((rule: KObj, i: number) => out.push(...validateRule(rule, `${f}.rules[${i}]`)));
  if (hook.failurePolicy != null && !FAILURE_POLICIES.includes(hook.failurePolicy))
    out.push(causes.notSupported(`${f}.failurePolicy`, hook.failurePolicy, FAILURE_POLICIES));
  if (hook.matchPolicy != null && !MATCH_POLICIES.includes(hook.matchPolicy))
    out.push(causes.notSupported(`${f}.matchPolicy`, hook.matchPolicy, MATCH_POLICIES));
  if (mutating && hook.reinvocationPolicy != null && !REINVOCATION_POLICIES.includes(hook.reinvocationPolicy))
    out.push(causes.notSupported(`${f}.reinvocationPolicy`, hook.reinvocationPolicy, REINVOCATION_POLICIES));
  if (hook.sideEffects == null) out.push(requiredWith(`${f}.sideEffects`, `must specify one of ${SIDE_EFFECTS_V1.join(', ')}`));
  else if (!SIDE_EFFECTS_V1.includes(hook.sideEffects)) out.push(causes.notSupported(`${f}.sideEffects`, hook.sideEffects, SIDE_EFFECTS_V1));
  const timeout = hook.timeoutSeconds;
  if (timeout != null && (timeout > 30 || timeout < 1))
    out.push(causes.invalid(`${f}.timeoutSeconds`, timeout, 'the timeout value must be between 1 and 30 seconds'));
  out.push(...validateClientConfig(`${f}.clientConfig`, hook.clientConfig));
  return out;
}

const hasRecognizedVersion = (hook: KObj): boolean => (hook.admissionReviewVersions ?? []).some((v: string) => ADMISSION_REVIEW_VERSIONS.includes(v));

function validateAdmissionReviewVersions(versions: unknown[] | undefined, requireRecognized: boolean, f: string): StatusCause[] {
  if (!versions || versions.length === 0) return [requiredWith(f, `must specify one of ${ADMISSION_REVIEW_VERSIONS.join(', ')}`)];
  const out: StatusCause[] = [];
  const seen = new Set<unknown>();
  versions.forEach((v, i) => {
    if (seen.has(v)) return void out.push(causes.invalid(`${f}[${i}]`, v, 'duplicate version'));
    seen.add(v);
    const s = String(v);
    if (s.length > 63) out.push(causes.invalid(`${f}[${i}]`, v, 'must be no more than 63 characters'));
    if (!DNS1035_LABEL.test(s)) out.push(causes.invalid(`${f}[${i}]`, v, DNS1035_LABEL_MSG));
  });
  if (requireRecognized && !versions.some((v) => ADMISSION_REVIEW_VERSIONS.includes(v as string)))
    out.push(invalidList(f, versions, `must include at least one of ${ADMISSION_REVIEW_VERSIONS.join(', ')}`));
  return out;
}

function namesAreUnique(hooks: KObj[]): boolean {
  const names = hooks.map((h) => h.name).filter(Boolean);
  return new Set(names).size === names.length;
}

/**
 * The causes the real server gives for a webhook configuration. On update, the rules added later
 * (unique names, a recognised AdmissionReview version) apply only if the stored object met them,
 * as the real server's update validation does, so old objects stay editable.
 */
export function validateWebhookConfiguration(kind: string, obj: KObj, old: KObj | undefined): StatusCause[] {
  const mutating = kind === 'MutatingWebhookConfiguration';
  const hooks: KObj[] = Array.isArray(obj.webhooks) ? obj.webhooks : [];
  const oldHooks: KObj[] | undefined = old && Array.isArray(old.webhooks) ? old.webhooks : old ? [] : undefined;
  const requireUniqueNames = !oldHooks || namesAreUnique(oldHooks);
  const requireRecognizedVersion = !oldHooks || oldHooks.every(hasRecognizedVersion);
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  hooks.forEach((hook, i) => {
    const f = `webhooks[${i}]`;
    out.push(...validateWebhook(hook, f, mutating));
    out.push(...validateAdmissionReviewVersions(hook.admissionReviewVersions, requireRecognizedVersion, `${f}.admissionReviewVersions`));
    if (requireUniqueNames && hook.name) {
      if (seen.has(hook.name)) out.push(causes.duplicate(`${f}.name`, hook.name));
      else seen.add(hook.name);
    }
  });
  return out;
}
