// Reads the CRDs shipped in the Helm chart (charts/certgate/crds/, the single source of truth for
// the API) so code generation, tests and the webhook all see the same schemas.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The part of an OpenAPI v3 schema that Kubernetes structural schemas use. */
export interface JSONSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  maxLength?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  [extension: string]: unknown;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: Record<string, never> };
      additionalPrinterColumns?: Array<{ name: string; type: string; jsonPath: string; priority?: number; description?: string }>;
      schema: { openAPIV3Schema: JSONSchemaProps };
    }>;
  };
}

/** File names in charts/certgate/crds/, in the order types are generated (Issuer before ClusterIssuer). */
const CRD_FILES = ['certificates.yaml', 'issuers.yaml', 'clusterissuers.yaml', 'certificaterequests.yaml', 'orders.yaml', 'challenges.yaml'] as const;

/** Finds charts/certgate/crds from this module, both from source (api/) and from a build (dist/api/). */
export function defaultCrdDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    const dir = resolve(here, up, 'charts/certgate/crds');
    if (existsSync(dir)) return dir;
  }
  throw new Error(`charts/certgate/crds not found above ${here}`);
}

/** Parses every CRD file in dir; throws with the file name when one is not a v1 CRD. */
export function loadCrds(dir: string = defaultCrdDirectory()): CustomResourceDefinition[] {
  const present = new Set(readdirSync(dir));
  const unexpected = [...present].filter((f) => f.endsWith('.yaml') && !(CRD_FILES as readonly string[]).includes(f));
  if (unexpected.length > 0) throw new Error(`unexpected CRD files in ${dir}: ${unexpected.join(', ')} (add them to CRD_FILES)`);
  return CRD_FILES.map((file) => {
    if (!present.has(file)) throw new Error(`missing CRD file ${join(dir, file)}`);
    const doc = parse(readFileSync(join(dir, file), 'utf8')) as CustomResourceDefinition;
    if (doc?.apiVersion !== 'apiextensions.k8s.io/v1' || doc.kind !== 'CustomResourceDefinition') {
      throw new Error(`${file}: not an apiextensions.k8s.io/v1 CustomResourceDefinition`);
    }
    return doc;
  });
}

/** The OpenAPI schema of the served storage version of kind ("Certificate", "ClusterIssuer", ...). */
export function schemaForKind(crds: CustomResourceDefinition[], kind: string): JSONSchemaProps {
  const crd = crds.find((c) => c.spec.names.kind === kind);
  if (!crd) throw new Error(`no CRD for kind ${kind}`);
  const version = crd.spec.versions.find((v) => v.storage);
  if (!version) throw new Error(`CRD ${crd.metadata.name} has no storage version`);
  return version.schema.openAPIV3Schema;
}
