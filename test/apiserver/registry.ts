// The resource types the server serves: built-in Kubernetes types plus those created from CRDs.
// Discovery, routing, OpenAPI and table printing all read from here.
import type { StructuralSchema } from './schema-validate.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface ResourceType {
  group: string; // '' for core
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** has a status subresource: main writes keep the stored status, /status writes keep everything else */
  statusSubresource: boolean;
  /** built-in types accept strategic merge patch; custom resources do not */
  builtin: boolean;
  /** per-version schema for custom resources; undefined = stored as sent */
  schema?: StructuralSchema;
  printerColumns?: PrinterColumn[];
  /** default columns for built-in types (after NAME) */
  builtinColumns?: Array<{ name: string; get: (o: any) => string | number }>;
  /** the version objects are stored in (CRDs: the storage version) */
  storageVersion: string;
  /** kubectl get for CRDs shows CREATED AT instead of AGE */
  noAgeColumn?: boolean;
  /** only create (reviews) */
  createOnly?: boolean;
  /** a deprecated CRD version: the Warning every request to it gets */
  deprecationWarning?: string;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Storage key of a resource, independent of version: "cert-manager.io/certificates", "/secrets". */
export const resourceKey = (group: string, plural: string): string => `${group}/${plural}`;
export const apiVersionOf = (t: { group: string; version: string }): string => (t.group ? `${t.group}/${t.version}` : t.version);

function builtin(group: string, version: string, kind: string, plural: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return {
    group,
    version,
    kind,
    plural,
    namespaced,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    shortNames: [],
    categories: [],
    verbs: ALL_VERBS,
    statusSubresource: false,
    builtin: true,
    storageVersion: version,
    ...extra,
  };
}

const secretColumns = [
  { name: 'Type', get: (o: any) => o.type ?? 'Opaque' },
  { name: 'Data', get: (o: any) => Object.keys(o.data ?? {}).length },
];

const BUILTIN_TYPES: ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, {
    shortNames: ['ns'],
    statusSubresource: true,
    builtinColumns: [{ name: 'Status', get: (o) => o.status?.phase ?? 'Active' }],
  }),
  builtin('', 'v1', 'Secret', 'secrets', true, { builtinColumns: secretColumns }),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, {
    shortNames: ['cm'],
    builtinColumns: [{ name: 'Data', get: (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length }],
  }),
  builtin('', 'v1', 'Event', 'events', true, {
    shortNames: ['ev'],
    builtinColumns: [
      { name: 'Type', get: (o) => o.type ?? '' },
      { name: 'Reason', get: (o) => o.reason ?? '' },
      { name: 'Object', get: (o) => `${(o.involvedObject?.kind ?? '').toLowerCase()}/${o.involvedObject?.name ?? ''}` },
      { name: 'Message', get: (o) => o.message ?? '' },
    ],
  }),
  builtin('', 'v1', 'Service', 'services', true, {
    shortNames: ['svc'],
    categories: ['all'],
    statusSubresource: true,
    builtinColumns: [
      { name: 'Type', get: (o) => o.spec?.type ?? 'ClusterIP' },
      { name: 'Cluster-IP', get: (o) => o.spec?.clusterIP ?? '<none>' },
      { name: 'Ports', get: (o) => (o.spec?.ports ?? []).map((p: any) => `${p.port}/${p.protocol ?? 'TCP'}`).join(',') || '<none>' },
    ],
  }),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  builtin('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    categories: ['all'],
    statusSubresource: true,
    builtinColumns: [{ name: 'Status', get: (o) => o.status?.phase ?? 'Pending' }],
  }),
  builtin('', 'v1', 'Endpoints', 'endpoints', true, { shortNames: ['ep'] }),
  builtin('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, {
    shortNames: ['ing'],
    statusSubresource: true,
    builtinColumns: [
      { name: 'Class', get: (o) => o.spec?.ingressClassName ?? '<none>' },
      { name: 'Hosts', get: (o) => (o.spec?.rules ?? []).map((r: any) => r.host ?? '*').join(',') || '*' },
    ],
  }),
  builtin('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false, {
    builtinColumns: [{ name: 'Controller', get: (o) => o.spec?.controller ?? '' }],
  }),
  builtin('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'] }),
  // stored only (no controllers run them): lets a rendered chart be applied as a whole
  builtin('apps', 'v1', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    statusSubresource: true,
    builtinColumns: [{ name: 'Ready', get: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}` }],
  }),
  builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { shortNames: ['pdb'], statusSubresource: true }),
  builtin('coordination.k8s.io', 'v1', 'Lease', 'leases', true, { builtinColumns: [{ name: 'Holder', get: (o) => o.spec?.holderIdentity ?? '' }] }),
  builtin('events.k8s.io', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  builtin('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false, {
    categories: ['api-extensions'],
    builtinColumns: [{ name: 'Webhooks', get: (o) => (o.webhooks ?? []).length }],
  }),
  builtin('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false, {
    categories: ['api-extensions'],
    builtinColumns: [{ name: 'Webhooks', get: (o) => (o.webhooks ?? []).length }],
  }),
  builtin('apiregistration.k8s.io', 'v1', 'APIService', 'apiservices', false, {
    categories: ['api-extensions'],
    statusSubresource: true,
    builtinColumns: [{ name: 'Service', get: (o) => (o.spec?.service ? `${o.spec.service.namespace}/${o.spec.service.name}` : 'Local') }],
  }),
  builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    statusSubresource: true,
    builtinColumns: [{ name: 'Created At', get: (o) => o.metadata?.creationTimestamp ?? '' }],
    noAgeColumn: true,
  }),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true, {
    builtinColumns: [{ name: 'Role', get: (o) => `${o.roleRef?.kind}/${o.roleRef?.name}` }],
  }),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false, {
    builtinColumns: [{ name: 'Role', get: (o) => `${o.roleRef?.kind}/${o.roleRef?.name}` }],
  }),
  builtin('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, { verbs: ['create'], createOnly: true }),
  builtin('authorization.k8s.io', 'v1', 'SubjectAccessReview', 'subjectaccessreviews', false, { verbs: ['create'], createOnly: true }),
  builtin('authentication.k8s.io', 'v1', 'TokenReview', 'tokenreviews', false, { verbs: ['create'], createOnly: true }),
];

/** All served types; CRD-backed types are replaced whenever a CRD changes. */
export class Registry {
  private builtins = BUILTIN_TYPES;
  private custom = new Map<string, ResourceType[]>(); // CRD name -> its served versions

  setCustom(crdName: string, types: ResourceType[]): void {
    if (types.length === 0) this.custom.delete(crdName);
    else this.custom.set(crdName, types);
  }
  all(): ResourceType[] {
    return [...this.builtins, ...[...this.custom.values()].flat()];
  }
  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.plural === plural);
  }
  /** any served version of a group/resource (for garbage collection and namespace cleanup) */
  anyVersion(group: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.plural === plural);
  }
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }
  /** group -> versions in preference order (the first is preferred) */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const t of this.all()) {
      const versions = out.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      out.set(t.group, versions);
    }
    for (const [g, vs] of out) out.set(g, vs.sort(compareKubeVersions));
    return out;
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1 > v1alpha1). */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0];
    const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const [sa, ma, na] = parse(a);
  const [sb, mb, nb] = parse(b);
  if (sa !== sb) return sb - sa;
  if (ma !== mb) return mb - ma;
  return nb - na;
}
