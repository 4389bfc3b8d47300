// CustomResourceDefinitions: validation of the definition itself, the served resource types
// it creates, and the status the real apiextensions controllers would write.
import { causes, type StatusCause } from './errors.ts';
import { ALL_VERBS, type ResourceType } from './registry.ts';
import { now } from './meta.ts';
import type { StructuralSchema } from './schema-validate.ts';
import type { KObj } from './storage.ts';

export function validateCrd(crd: KObj): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = crd.spec ?? {};
  const names = spec.names ?? {};
  if (!spec.group) out.push(causes.required('spec.group'));
  if (!names.plural) out.push(causes.required('spec.names.plural'));
  if (!names.kind) out.push(causes.required('spec.names.kind'));
  if (!['Namespaced', 'Cluster'].includes(spec.scope)) out.push(causes.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
  if (spec.group && names.plural && crd.metadata?.name !== `${names.plural}.${spec.group}`)
    out.push(causes.invalid('metadata.name', crd.metadata?.name ?? '', `must be spec.names.plural+"."+spec.group`));
  const versions: any[] = spec.versions ?? [];
  if (versions.length === 0) out.push(causes.required('spec.versions'));
  const storage = versions.filter((v) => v.storage);
  if (versions.length > 0 && storage.length !== 1)
    out.push(causes.invalid('spec.versions', versions.length, 'must have exactly one version marked as storage version'));
  versions.forEach((v, i) => {
    if (!v.name) out.push(causes.required(`spec.versions[${i}].name`));
    if (!v.schema?.openAPIV3Schema) out.push(causes.required(`spec.versions[${i}].schema.openAPIV3Schema`));
  });
  return out;
}

/** The resource types a CRD serves (one per served version). */
export function crdToTypes(crd: KObj): ResourceType[] {
  const spec = crd.spec;
  const names = spec.names;
  const storageVersion = spec.versions.find((v: any) => v.storage)?.name ?? spec.versions[0].name;
  return spec.versions
    .filter((v: any) => v.served !== false)
    .map((v: any): ResourceType => ({
      group: spec.group,
      version: v.name,
      kind: names.kind,
      listKind: names.listKind ?? `${names.kind}List`,
      plural: names.plural,
      singular: names.singular ?? names.kind.toLowerCase(),
      namespaced: spec.scope === 'Namespaced',
      shortNames: names.shortNames ?? [],
      categories: names.categories ?? [],
      verbs: ALL_VERBS,
      statusSubresource: Boolean(v.subresources?.status),
      builtin: false,
      schema: v.schema?.openAPIV3Schema as StructuralSchema,
      printerColumns: v.additionalPrinterColumns ?? [],
      storageVersion,
      ...(v.deprecated ? { deprecationWarning: v.deprecationWarning ?? defaultDeprecationWarning(v.name, spec) } : {}),
    }));
}

/** apiextensions-apiserver's default: "<group>/<version> <Kind> is deprecated; use <group>/<newest served newer version> <Kind>". */
function defaultDeprecationWarning(deprecated: string, spec: KObj): string {
  const msg = `${spec.group}/${deprecated} ${spec.names.kind} is deprecated`;
  const newer = (spec.versions as KObj[])
    .filter((v) => v.served !== false && !v.deprecated && compareKubeVersions(deprecated, v.name) < 0)
    .map((v) => v.name as string);
  if (newer.length === 0) return msg;
  newer.sort((a, b) => compareKubeVersions(b, a));
  return `${msg}; use ${spec.group}/${newer[0]} ${spec.names.kind}`;
}

/** Like CompareKubeAwareVersionStrings: GA > beta > alpha, then major, then minor; other names sort below, reversed lexically. */
function compareKubeVersions(a: string, b: string): number {
  if (a === b) return 0;
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    return m ? { major: Number(m[1]), type: m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, minor: Number(m[3] ?? 0) } : undefined;
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa && !pb) return b < a ? -1 : 1;
  if (!pa) return -1;
  if (!pb) return 1;
  return pa.type - pb.type || pa.major - pb.major || pa.minor - pb.minor;
}

/** Status written by the naming and establishing controllers of the real server. */
export function crdStatus(crd: KObj): KObj {
  const t = now();
  const names = { ...crd.spec.names };
  names.singular ??= names.kind.toLowerCase();
  names.listKind ??= `${names.kind}List`;
  const stored = new Set<string>(crd.status?.storedVersions ?? []);
  for (const v of crd.spec.versions) if (v.storage) stored.add(v.name);
  return {
    acceptedNames: names,
    conditions: [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: t },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: t },
    ],
    storedVersions: [...stored],
  };
}
