// Validation the real server applies to metadata and to the built-in kinds certgate writes
// (Secrets, Ingresses, Leases, webhook configurations), so that code which would be rejected by a real cluster is
// rejected here too: label syntax, Secret type immutability and TLS keys, Ingress paths.
import { causes, type StatusCause } from './errors.ts';
import type { ResourceType } from './registry.ts';
import type { KObj } from './storage.ts';
import { validateWebhookConfiguration } from './webhook-config-validation.ts';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function qualifiedNameErrors(field: string, key: string): StatusCause[] {
  const parts = key.split('/');
  const name = parts.length === 2 ? parts[1] : parts[0];
  const prefix = parts.length === 2 ? parts[0] : undefined;
  const out: StatusCause[] = [];
  if (parts.length > 2)
    out.push(
      causes.invalid(
        field,
        key,
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ),
    );
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)))
    out.push(
      causes.invalid(
        field,
        key,
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      ),
    );
  if (name.length > 63) out.push(causes.invalid(field, key, 'name part must be no more than 63 characters'));
  if (!NAME_PART.test(name))
    out.push(
      causes.invalid(
        field,
        key,
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ),
    );
  return out;
}

export function validateMetadata(obj: KObj): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries<unknown>(obj.metadata.labels ?? {})) {
    out.push(...qualifiedNameErrors('metadata.labels', k));
    if (typeof v !== 'string') out.push(causes.typeInvalid('metadata.labels', v, 'label values must be strings'));
    else if (v.length > 63) out.push(causes.invalid('metadata.labels', v, 'must be no more than 63 characters'));
    else if (!LABEL_VALUE.test(v))
      out.push(
        causes.invalid(
          'metadata.labels',
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
  }
  let annotationBytes = 0;
  for (const [k, v] of Object.entries<unknown>(obj.metadata.annotations ?? {})) {
    out.push(...qualifiedNameErrors('metadata.annotations', k.toLowerCase()));
    annotationBytes += k.length + String(v).length;
  }
  if (annotationBytes > 262144) out.push(causes.tooLong('metadata.annotations', 262144));
  return out;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decoding errors (400) for Secret data that is not base64, like the real typed decoder. */
export function secretDataDecodeError(t: ResourceType, obj: KObj): string | undefined {
  if (!(t.group === '' && (t.kind === 'Secret' || t.kind === 'ConfigMap'))) return undefined;
  const field = t.kind === 'Secret' ? obj.data : obj.binaryData;
  for (const v of Object.values<unknown>(field ?? {})) {
    if (typeof v !== 'string' || !BASE64.test(v)) return `${t.kind} in version "v1" cannot be handled as a ${t.kind}: illegal base64 data at input byte 0`;
  }
  return undefined;
}

function immutableData(obj: KObj, old: KObj | undefined): StatusCause[] {
  if (!old || old.immutable !== true) return [];
  const out: StatusCause[] = [];
  if (JSON.stringify(obj.data ?? {}) !== JSON.stringify(old.data ?? {}) || JSON.stringify(obj.binaryData ?? {}) !== JSON.stringify(old.binaryData ?? {}))
    out.push(causes.forbidden('data', 'field is immutable when `immutable` is set'));
  if (obj.immutable !== true) out.push(causes.forbidden('immutable', 'field is immutable when `immutable` is set'));
  return out;
}

function validateSecret(obj: KObj, old: KObj | undefined): StatusCause[] {
  const out: StatusCause[] = [...immutableData(obj, old)];
  const data = obj.data ?? {};
  if (old && old.type !== obj.type)
    out.push({ ...causes.invalid('type', obj.type, 'field is immutable'), message: `Invalid value: "${obj.type}": field is immutable` });
  if (obj.type === 'kubernetes.io/tls') {
    for (const k of ['tls.crt', 'tls.key']) if (!(k in data)) out.push(causes.required(`data[${k}]`));
  }
  if (obj.type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) out.push(causes.required('data[username]'));
  let size = 0;
  for (const [k, v] of Object.entries<string>(data)) {
    size += Buffer.from(v, 'base64').length;
    if (!/^[-._a-zA-Z0-9]+$/.test(k))
      out.push(
        causes.invalid(
          `data[${k}]`,
          k,
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        ),
      );
  }
  if (size > 1048576) out.push({ reason: 'FieldValueTooLong', field: 'data', message: 'Too long: must have at most 1048576 bytes' });
  return out;
}

const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'];

function validateIngress(obj: KObj): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = obj.spec ?? {};
  if (!spec.defaultBackend && !(spec.rules ?? []).length) out.push(causes.invalid('spec.rules', [], 'either `defaultBackend` or `rules` must be specified'));
  (spec.tls ?? []).forEach((tls: KObj, i: number) => {
    (tls.hosts ?? []).forEach((h: string, j: number) => {
      if (!/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(h))
        out.push(
          causes.invalid(
            `spec.tls[${i}].hosts[${j}]`,
            h,
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
          ),
        );
    });
  });
  (spec.rules ?? []).forEach((rule: KObj, i: number) => {
    if (rule.host !== undefined && !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(rule.host))
      out.push(
        causes.invalid(
          `spec.rules[${i}].host`,
          rule.host,
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ),
      );
    (rule.http?.paths ?? []).forEach((p: KObj, j: number) => {
      const f = `spec.rules[${i}].http.paths[${j}]`;
      if (!p.pathType) out.push({ ...causes.required(`${f}.pathType`), message: 'Required value: pathType must be specified' });
      else if (!PATH_TYPES.includes(p.pathType)) out.push(causes.notSupported(`${f}.pathType`, p.pathType, PATH_TYPES));
      if (p.pathType !== 'ImplementationSpecific' && p.path !== undefined && !String(p.path).startsWith('/'))
        out.push(causes.invalid(`${f}.path`, p.path, 'must be an absolute path'));
      if (!p.backend?.service && !p.backend?.resource)
        out.push(causes.invalid(`${f}.backend`, p.backend ?? {}, 'must specify a service or a resource backend'));
    });
  });
  return out;
}

export function validateBuiltin(t: ResourceType, obj: KObj, old: KObj | undefined): StatusCause[] {
  if (t.group === '' && t.kind === 'Secret') return validateSecret(obj, old);
  if (t.group === '' && t.kind === 'ConfigMap') return immutableData(obj, old);
  if (t.group === 'networking.k8s.io' && t.kind === 'Ingress') return validateIngress(obj);
  if (t.group === 'admissionregistration.k8s.io' && t.kind.endsWith('WebhookConfiguration')) return validateWebhookConfiguration(t.kind, obj, old);
  return [];
}
