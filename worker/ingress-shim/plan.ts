// What the ingress shim does for one Ingress (and the gateway shim for one Gateway, through
// planShim), as a pure function of the object, the Certificates in its namespace and the default
// issuer: the Certificates to create, update and delete and the Events to record. The controllers
// only carry the plan out, so the ported cert-manager tables (cert-manager-sync.test.ts) run the
// same decisions the worker makes.
import type { V1Ingress } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { CertificateAnnotations } from '../../api/constants.ts';
import { DEFAULT_DURATION, defaultCertificateSpec } from '../../api/defaults.ts';
import { parseDuration } from '../../api/duration.ts';
import type { IssuerRef } from '../config.ts';
import { desiredCertificates, IngressConfigError, ingressIssuer } from './spec.ts';
import { semanticallyEqual } from '../../lib/semantic-equal.ts';

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The Certificate a create or update Event is about (the controller drops it when the write is refused). */
  certificate?: string;
}

export interface IngressPlan {
  create: Certificate[];
  update: Certificate[];
  delete: Certificate[];
  events: PlannedEvent[];
}

/** The kind of object a shim makes Certificates for. */
type ShimOwnerKind = 'Ingress' | 'Gateway';

/** Whether the Certificate is controlled by this object (by uid when known, as metav1.IsControlledBy). */
function ownedBy(cert: Certificate, kind: ShimOwnerKind, name: string, uid?: string): boolean {
  return !!cert.metadata.ownerReferences?.some((r) => r.kind === kind && r.controller && r.name === name && (!uid || r.uid === uid));
}

/** Being deleted: its Certificates are left to the garbage collector, as cert-manager does. */
export function beingDeleted(obj: { metadata?: { deletionTimestamp?: unknown; finalizers?: string[] } }): boolean {
  return !!obj.metadata?.deletionTimestamp || !!obj.metadata?.finalizers?.includes('foregroundDeletion');
}

/** Annotations the shim manages on its Certificates: removed again when the Ingress stops asking for them. */
const managedAnnotation = (key: string) => key.startsWith('acme.cert-manager.io/') || key === CertificateAnnotations.IssueTemporaryCertificate;

/** A spec as the shim compares it: defaults filled in, durations by value ("7200s" is "2h0m0s"), the default issuer group spelled out. */
function comparableSpec(spec: Certificate['spec']): unknown {
  const s: Record<string, unknown> = { ...defaultCertificateSpec(spec) };
  s.duration = durationValue(spec.duration ?? DEFAULT_DURATION);
  if (spec.renewBefore !== undefined) s.renewBefore = durationValue(spec.renewBefore);
  s.issuerRef = { kind: 'Issuer', ...spec.issuerRef, group: spec.issuerRef.group || 'cert-manager.io' };
  return s;
}

function durationValue(d: string): string | number {
  try {
    return parseDuration(d);
  } catch {
    return d; // compared as written; the webhook refuses it anyway
  }
}

/**
 * The plan for the Ingress named `name` (undefined when it is gone). `certificates` are the
 * Certificates of its namespace. A not usable Ingress yields one BadConfig Event and no change.
 */
export function planIngress(name: string, ingress: V1Ingress | undefined, certificates: readonly Certificate[], defaultIssuer?: IssuerRef): IngressPlan {
  const desire =
    ingress &&
    (() => {
      const issuer = ingressIssuer(ingress, defaultIssuer);
      return issuer && desiredCertificates(ingress, issuer);
    });
  return planShim({ kind: 'Ingress', name, object: ingress }, desire, certificates);
}

/** What a shim wants for one object: its Certificates and the Events saying what was left out, or undefined when not annotated. */
type Desire = () => { certificates: Certificate[]; skipped: string[]; notes?: PlannedEvent[] } | undefined;

/**
 * The plan for one annotated object (an Ingress or a Gateway; undefined when it is gone): create
 * what `desire` asks for, update what differs, delete what this object owns and no longer asks
 * for. `desire` throwing IngressConfigError yields one BadConfig Event and no change.
 */
export function planShim(
  owner: { kind: ShimOwnerKind; name: string; object: { metadata?: V1Ingress['metadata'] } | undefined },
  desire: Desire | undefined,
  certificates: readonly Certificate[],
): IngressPlan {
  const plan: IngressPlan = { create: [], update: [], delete: [], events: [] };
  const { kind, name, object } = owner;
  if (object && beingDeleted(object)) return plan;
  let desired: Certificate[] = [];
  if (object && desire) {
    try {
      const d = desire();
      if (d) {
        for (const message of d.skipped) plan.events.push({ type: 'Warning', reason: 'BadConfig', message });
        plan.events.push(...(d.notes ?? []));
        desired = d.certificates;
      }
    } catch (e) {
      if (!(e instanceof IngressConfigError)) throw e;
      plan.events.push({ type: 'Warning', reason: 'BadConfig', message: e.message });
      return plan; // leave existing Certificates as they are until the object is fixed
    }
  }
  const byName = new Map(certificates.map((c) => [c.metadata.name!, c]));
  for (const want of desired) {
    const existing = byName.get(want.metadata.name!);
    if (!existing) {
      plan.create.push(want);
      plan.events.push({
        type: 'Normal',
        reason: 'CreateCertificate',
        message: `Successfully created Certificate "${want.metadata.name}"`,
        certificate: want.metadata.name,
      });
      continue;
    }
    if (!ownedBy(existing, kind, name, object!.metadata?.uid)) {
      plan.events.push({
        type: 'Warning',
        reason: 'BadConfig',
        message: `Certificate "${existing.metadata.name}" exists and is not owned by this ${kind}; leaving it alone`,
      });
      continue;
    }
    const annotations = Object.fromEntries(
      Object.entries(existing.metadata.annotations ?? {}).filter(([k]) => !managedAnnotation(k) || k in (want.metadata.annotations ?? {})),
    );
    Object.assign(annotations, want.metadata.annotations);
    // Labels are reset to the owner's, as cert-manager does.
    const labels = want.metadata.labels ?? {};
    // Compare with defaults filled in on both sides: the mutating webhook (or a user) may have made
    // defaults explicit, and rewriting them away would fight it forever.
    const same =
      semanticallyEqual(comparableSpec(existing.spec), comparableSpec(want.spec)) &&
      semanticallyEqual(existing.metadata.annotations ?? {}, annotations) &&
      semanticallyEqual(existing.metadata.labels ?? {}, labels);
    if (same) continue;
    plan.update.push({ ...existing, metadata: { ...existing.metadata, annotations, labels }, spec: want.spec });
    plan.events.push({
      type: 'Normal',
      reason: 'UpdateCertificate',
      message: `Successfully updated Certificate "${want.metadata.name}"`,
      certificate: want.metadata.name,
    });
  }
  const wanted = new Set(desired.map((c) => c.metadata.name));
  for (const cert of certificates) {
    if (!ownedBy(cert, kind, name) || wanted.has(cert.metadata.name)) continue;
    plan.delete.push(cert);
    plan.events.push({ type: 'Normal', reason: 'DeleteCertificate', message: `Successfully deleted unrequired Certificate "${cert.metadata.name}"` });
  }
  return plan;
}
