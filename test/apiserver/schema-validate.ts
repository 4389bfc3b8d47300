// Structural schema (apiextensions.k8s.io/v1 openAPIV3Schema) handling for custom resources:
// unknown-field detection and pruning, defaulting, and validation with the wording of the real
// server's errors (go-openapi messages wrapped in field.Error causes).
import { causes, type StatusCause } from './errors.ts';

export interface StructuralSchema {
  type?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema | boolean;
  items?: StructuralSchema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  multipleOf?: number;
  format?: string;
  nullable?: boolean;
  default?: unknown;
  anyOf?: StructuralSchema[];
  oneOf?: StructuralSchema[];
  allOf?: StructuralSchema[];
  not?: StructuralSchema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [k: string]: unknown;
}

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema for a child key of an object, or undefined when the key is unknown. */
function childSchema(s: StructuralSchema, key: string): StructuralSchema | undefined {
  if (s.properties && key in s.properties) return s.properties[key];
  if (isPlainObject(s.additionalProperties)) return s.additionalProperties as StructuralSchema;
  if (s.additionalProperties === true) return {};
  return undefined;
}
const keepsUnknown = (s: StructuralSchema): boolean => s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true;

/**
 * Remove fields the schema does not know, returning their paths (for strict decoding errors and
 * warnings). At the root, apiVersion/kind/metadata are always known; metadata is checked against ObjectMeta.
 */
export function pruneUnknown(schema: StructuralSchema, obj: Record<string, unknown>): string[] {
  const unknown: string[] = [];
  for (const key of Object.keys(obj)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata') {
      if (isPlainObject(obj.metadata)) {
        for (const mk of Object.keys(obj.metadata)) {
          if (!OBJECT_META_FIELDS.has(mk)) {
            unknown.push(`metadata.${mk}`);
            delete obj.metadata[mk];
          }
        }
      }
      continue;
    }
    const child = childSchema(schema, key);
    if (!child && !keepsUnknown(schema)) {
      unknown.push(key);
      delete obj[key];
    } else if (child) obj[key] = pruneValue(child, obj[key], key, unknown);
  }
  return unknown;
}

function pruneValue(s: StructuralSchema, v: unknown, path: string, unknown: string[]): unknown {
  if (s['x-kubernetes-embedded-resource'] && isPlainObject(v)) {
    unknown.push(...pruneUnknown(s, v).map((p) => join(path, p)));
    return v;
  }
  if (isPlainObject(v)) {
    for (const key of Object.keys(v)) {
      const child = childSchema(s, key);
      if (!child) {
        if (!keepsUnknown(s)) {
          unknown.push(join(path, key));
          delete v[key];
        }
      } else v[key] = pruneValue(child, v[key], join(path, key), unknown);
    }
  } else if (Array.isArray(v) && s.items) {
    return v.map((item, i) => pruneValue(s.items as StructuralSchema, item, `${path}[${i}]`, unknown));
  }
  return v;
}

/** Apply `default` values for absent (or null, non-nullable) fields, recursing into present objects and arrays. */
export function applyDefaults(s: StructuralSchema, v: unknown): unknown {
  if (isPlainObject(v)) {
    for (const [key, ps] of Object.entries(s.properties ?? {})) {
      if ((v[key] === undefined || (v[key] === null && !ps.nullable)) && ps.default !== undefined) v[key] = structuredClone(ps.default);
      else if (v[key] === null && !ps.nullable) delete v[key];
      if (v[key] !== undefined) v[key] = applyDefaults(ps, v[key]);
    }
    if (isPlainObject(s.additionalProperties)) {
      for (const key of Object.keys(v)) if (!s.properties?.[key]) v[key] = applyDefaults(s.additionalProperties as StructuralSchema, v[key]);
    }
  } else if (Array.isArray(v) && s.items) {
    return v.map((item) => applyDefaults(s.items as StructuralSchema, item));
  }
  return v;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(s: StructuralSchema, v: unknown): boolean {
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  if (!s.type) return true;
  const t = typeOf(v);
  if (s.type === 'number') return t === 'number' || t === 'integer';
  return s.type === t;
}

const FORMATS: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s),
  datetime: (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s),
  hostname: (s) => /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(s),
  ipv4: (s) => /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(s),
  email: (s) => /^[^@\s]+@[^@\s]+$/.test(s),
  uuid: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s),
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
  duration: (s) => /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s),
  uri: (s) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  },
};

/** Validate a value against a structural schema; returns causes with real-server field paths and wording. */
export function validate(s: StructuralSchema, v: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const body = path || '<root>';
  if (v === null) {
    if (!s.nullable && s.type) out.push(causes.typeInvalid(path, 'null', `${body} in body must be of type ${s.type}: "null"`));
    return out;
  }
  if (!typeMatches(s, v)) {
    const want = s['x-kubernetes-int-or-string'] ? 'integer,string' : s.type;
    out.push(causes.typeInvalid(path, typeOf(v), `${body} in body must be of type ${want}: "${typeOf(v)}"`));
    return out;
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) out.push(causes.notSupported(path, v, s.enum));
  if (typeof v === 'string') {
    if (s.maxLength !== undefined && [...v].length > s.maxLength) out.push(causes.tooLong(path, s.maxLength));
    if (s.minLength !== undefined && [...v].length < s.minLength)
      out.push(causes.invalid(path, v, `${body} in body should be at least ${s.minLength} chars long`));
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) out.push(causes.invalid(path, v, `${body} in body should match '${s.pattern}'`));
    if (s.format && FORMATS[s.format] && !FORMATS[s.format](v)) out.push(causes.invalid(path, v, `${body} in body must be of type ${s.format}: "${v}"`));
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum))
      out.push(causes.invalid(path, v, `${body} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`));
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum))
      out.push(causes.invalid(path, v, `${body} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`));
    if (s.multipleOf !== undefined && v % s.multipleOf !== 0) out.push(causes.invalid(path, v, `${body} in body should be a multiple of ${s.multipleOf}`));
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push(causes.tooMany(path, v.length, s.maxItems));
    if (s.minItems !== undefined && v.length < s.minItems) out.push(causes.invalid(path, v.length, `${body} in body should have at least ${s.minItems} items`));
    if (s['x-kubernetes-list-type'] === 'set') {
      const seen = new Set<string>();
      v.forEach((item, i) => {
        const k = JSON.stringify(item);
        if (seen.has(k)) out.push(causes.duplicate(`${path}[${i}]`, item));
        seen.add(k);
      });
    }
    if (s.items) v.forEach((item, i) => out.push(...validate(s.items as StructuralSchema, item, `${path}[${i}]`)));
  }
  if (isPlainObject(v)) {
    for (const r of s.required ?? []) if (v[r] === undefined) out.push(causes.required(join(path, r)));
    const n = Object.keys(v).length;
    if (s.minProperties !== undefined && n < s.minProperties)
      out.push(causes.invalid(path, n, `${body} in body should have at least ${s.minProperties} properties`));
    if (s.maxProperties !== undefined && n > s.maxProperties) out.push(causes.tooMany(path, n, s.maxProperties));
    for (const [key, val] of Object.entries(v)) {
      if (path === '' && (key === 'metadata' || key === 'apiVersion' || key === 'kind')) continue;
      const child = s.properties?.[key] ?? (isPlainObject(s.additionalProperties) ? (s.additionalProperties as StructuralSchema) : undefined);
      if (child) out.push(...validate(child, val, join(path, key)));
    }
  }
  out.push(...validateCombinators(s, v, path, body));
  return out;
}

function validateCombinators(s: StructuralSchema, v: unknown, path: string, body: string): StatusCause[] {
  const out: StatusCause[] = [];
  const ok = (sub: StructuralSchema) => validate({ ...sub, type: sub.type }, v, path).length === 0;
  for (const sub of s.allOf ?? []) out.push(...validate(sub, v, path));
  if (s.anyOf && !s.anyOf.some(ok)) out.push(causes.invalid(path, v, `${body} in body must validate at least one schema (anyOf)`));
  if (s.oneOf && s.oneOf.filter(ok).length !== 1) out.push(causes.invalid(path, v, `${body} in body must validate one and only one schema (oneOf)`));
  if (s.not && ok(s.not)) out.push(causes.invalid(path, v, `${body} in body should not validate the schema (not)`));
  return out;
}
