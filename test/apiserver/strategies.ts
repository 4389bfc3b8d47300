// Per-kind behaviour of built-in types that clients rely on: Secret stringData folding,
// Namespace phase, Service defaults, which kinds track metadata.generation, and the top-level
// fields each kind knows (for strict field validation).
import { randomInt } from 'node:crypto';
import type { ResourceType } from './registry.ts';
import type { KObj } from './storage.ts';

const GENERATION_KINDS = new Set([
  'Ingress',
  'IngressClass',
  'CustomResourceDefinition',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'Pod',
  'Deployment',
  'PodDisruptionBudget',
  'NetworkPolicy',
]);

export const tracksGeneration = (t: ResourceType): boolean => !t.builtin || GENERATION_KINDS.has(t.kind);

const COMMON = ['apiVersion', 'kind', 'metadata'];
const TOP_LEVEL: Record<string, string[]> = {
  Secret: ['data', 'stringData', 'type', 'immutable'],
  ConfigMap: ['data', 'binaryData', 'immutable'],
  Namespace: ['spec', 'status'],
  Service: ['spec', 'status'],
  ServiceAccount: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  Pod: ['spec', 'status'],
  Endpoints: ['subsets'],
  Ingress: ['spec', 'status'],
  IngressClass: ['spec'],
  Lease: ['spec'],
  Deployment: ['spec', 'status'],
  PodDisruptionBudget: ['spec', 'status'],
  NetworkPolicy: ['spec'],
  MutatingWebhookConfiguration: ['webhooks'],
  ValidatingWebhookConfiguration: ['webhooks'],
  CustomResourceDefinition: ['spec', 'status'],
  Role: ['rules'],
  ClusterRole: ['rules', 'aggregationRule'],
  RoleBinding: ['subjects', 'roleRef'],
  ClusterRoleBinding: ['subjects', 'roleRef'],
  SelfSubjectAccessReview: ['spec', 'status'],
  SubjectAccessReview: ['spec', 'status'],
};
const CORE_EVENT = [
  'involvedObject',
  'reason',
  'message',
  'source',
  'firstTimestamp',
  'lastTimestamp',
  'count',
  'type',
  'eventTime',
  'series',
  'action',
  'related',
  'reportingComponent',
  'reportingInstance',
];
const EVENTS_V1_EVENT = [
  'eventTime',
  'series',
  'reportingController',
  'reportingInstance',
  'action',
  'reason',
  'regarding',
  'related',
  'note',
  'type',
  'deprecatedSource',
  'deprecatedFirstTimestamp',
  'deprecatedLastTimestamp',
  'deprecatedCount',
];

/** Top-level fields a built-in kind does not know (their paths), or [] when the kind is not listed. */
export function unknownTopLevelFields(t: ResourceType, obj: KObj): string[] {
  const known = t.kind === 'Event' ? (t.group === '' ? CORE_EVENT : EVENTS_V1_EVENT) : TOP_LEVEL[t.kind];
  if (!known) return [];
  return Object.keys(obj).filter((k) => !COMMON.includes(k) && !known.includes(k));
}

const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/** The registry strategies' WarningsOnCreate (the Ingress strategy's update warnings are empty). */
export function warningsOnCreate(t: ResourceType, obj: KObj): string[] {
  if (t.builtin && t.kind === 'Ingress' && obj.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION] !== undefined)
    return [`annotation "${INGRESS_CLASS_ANNOTATION}" is deprecated, please use 'spec.ingressClassName' instead`];
  return [];
}

export function prepareBuiltin(t: ResourceType, obj: KObj, old: KObj | undefined): void {
  if (!t.builtin || t.group !== '') return;
  switch (t.kind) {
    case 'Secret':
      // stringData is write-only: folded into data (base64) like the real server does
      if (obj.stringData) {
        obj.data = { ...(obj.data ?? {}) };
        for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(String(v), 'utf8').toString('base64');
        delete obj.stringData;
      }
      obj.type ??= old?.type ?? 'Opaque';
      break;
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
      obj.status = old?.status ?? { phase: 'Active' };
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name };
      break;
    case 'Service': {
      obj.spec ??= {};
      obj.spec.type ??= 'ClusterIP';
      if (!obj.spec.clusterIP) obj.spec.clusterIP = old?.spec?.clusterIP ?? `10.96.${randomInt(256)}.${randomInt(1, 255)}`;
      obj.spec.clusterIPs = [obj.spec.clusterIP];
      for (const p of obj.spec.ports ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      break;
    }
  }
}
