// Descriptors of every Kubernetes resource certgate reads or writes: the one place that knows
// apiVersion, kind, plural and scope. Clients, informers, RBAC tests and the CLI use these.
export interface ResourceDescriptor {
  readonly group: string; // '' for core
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

function describe(group: string, version: string, kind: string, plural: string, namespaced = true): ResourceDescriptor {
  return Object.freeze({ group, version, kind, plural, namespaced });
}

const CERT_MANAGER_GROUP = 'cert-manager.io';
const ACME_GROUP = 'acme.cert-manager.io';
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

export const Resources = Object.freeze({
  Certificate: describe(CERT_MANAGER_GROUP, 'v1', 'Certificate', 'certificates'),
  CertificateRequest: describe(CERT_MANAGER_GROUP, 'v1', 'CertificateRequest', 'certificaterequests'),
  Issuer: describe(CERT_MANAGER_GROUP, 'v1', 'Issuer', 'issuers'),
  ClusterIssuer: describe(CERT_MANAGER_GROUP, 'v1', 'ClusterIssuer', 'clusterissuers', false),
  Order: describe(ACME_GROUP, 'v1', 'Order', 'orders'),
  Challenge: describe(ACME_GROUP, 'v1', 'Challenge', 'challenges'),
  Secret: describe('', 'v1', 'Secret', 'secrets'),
  Event: describe('', 'v1', 'Event', 'events'),
  Namespace: describe('', 'v1', 'Namespace', 'namespaces', false),
  Service: describe('', 'v1', 'Service', 'services'),
  Ingress: describe('networking.k8s.io', 'v1', 'Ingress', 'ingresses'),
  IngressClass: describe('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false),
  Lease: describe('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  MutatingWebhookConfiguration: describe('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
  ValidatingWebhookConfiguration: describe('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
  CustomResourceDefinition: describe('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false),
  // Gateway API: present only where its CRDs are installed. ReferenceGrant is read as v1beta1, the
  // version every Gateway API release since v0.6 serves (v1.6 adds v1 with the same schema).
  Gateway: describe(GATEWAY_API_GROUP, 'v1', 'Gateway', 'gateways'),
  HTTPRoute: describe(GATEWAY_API_GROUP, 'v1', 'HTTPRoute', 'httproutes'),
  ReferenceGrant: describe(GATEWAY_API_GROUP, 'v1beta1', 'ReferenceGrant', 'referencegrants'),
  GatewayClass: describe(GATEWAY_API_GROUP, 'v1', 'GatewayClass', 'gatewayclasses', false),
});

export function apiVersionOf(r: ResourceDescriptor): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** The ownerReference that makes `owner` (of resource r) the controller of what holds it: garbage-collected with it. */
export function controllerRef(r: ResourceDescriptor, owner: { metadata?: { name?: string; uid?: string } }) {
  return { apiVersion: apiVersionOf(r), kind: r.kind, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/** The REST path of a collection or one object, e.g. /apis/cert-manager.io/v1/namespaces/ns/certificates/name. */
export function resourcePath(r: ResourceDescriptor, namespace?: string, name?: string, subresource?: string): string {
  let path = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${r.plural}`;
  if (name) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}
