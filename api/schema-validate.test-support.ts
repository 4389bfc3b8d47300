// Checks objects against the CRD OpenAPI schemas the way the API server would: ajv for types, enums
// and required fields, and prunedFields() for fields the API server would silently drop.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { CustomResourceDefinition, JSONSchemaProps } from './crds.test-support.ts';
import { schemaForKind } from './crds.test-support.ts';

// ajv-formats is CommonJS with a default export; under NodeNext its callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

const KUBERNETES_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-validations',
];

interface SchemaCheckResult {
  valid: boolean;
  /** Readable errors such as "spec.privateKey.algorithm: must be equal to one of the allowed values: RSA, ECDSA, Ed25519". */
  errors: string[];
  /** Paths the API server would prune because the schema does not know them (typos, unknown fields). */
  pruned: string[];
}

type SchemaChecker = (kind: string, obj: unknown) => SchemaCheckResult;

/** Compiles one validator per CRD kind. */
export function createSchemaChecker(crds: CustomResourceDefinition[]): SchemaChecker {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, validateFormats: true });
  addFormats(ajv);
  for (const keyword of KUBERNETES_KEYWORDS) ajv.addKeyword({ keyword });
  const validators = new Map<string, { validate: ValidateFunction; schema: JSONSchemaProps }>();
  for (const crd of crds) {
    const schema = schemaForKind(crds, crd.spec.names.kind);
    validators.set(crd.spec.names.kind, { validate: ajv.compile(schema), schema });
  }
  return (kind, obj) => {
    const entry = validators.get(kind);
    if (!entry) throw new Error(`no schema for kind ${kind}`);
    const valid = entry.validate(obj) as boolean;
    return { valid, errors: (entry.validate.errors ?? []).map(formatError), pruned: prunedFields(entry.schema, obj) };
  };
}

function formatError(e: ErrorObject): string {
  const path =
    e.instancePath
      .replace(/^\//, '')
      .replace(/\/(\d+)(?=\/|$)/g, '[$1]')
      .replace(/\//g, '.') || '(root)';
  const allowed = e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : '';
  return `${path}: ${e.message ?? e.keyword}${allowed}`;
}

/** Paths in value that schema does not declare and does not preserve: what the API server prunes. */
function prunedFields(schema: JSONSchemaProps, value: unknown, path = ''): string[] {
  if (schema['x-kubernetes-preserve-unknown-fields']) return [];
  if (Array.isArray(value)) {
    if (!schema.items) return [];
    return value.flatMap((item, i) => prunedFields(schema.items!, item, `${path}[${i}]`));
  }
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (path === '' && key === 'metadata') continue; // ObjectMeta: the API server's own schema, not the CRD's
    const childPath = path ? `${path}.${key}` : key;
    const declared = schema.properties?.[key];
    if (declared) out.push(...prunedFields(declared, child, childPath));
    else if (typeof schema.additionalProperties === 'object') out.push(...prunedFields(schema.additionalProperties, child, childPath));
    else if (schema.additionalProperties !== true) out.push(childPath);
  }
  return out;
}
