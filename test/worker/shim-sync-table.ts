// What the ported cert-manager certificate-shim tables (worker/ingress-shim/ and
// worker/gateway-shim/cert-manager-sync.test.ts) share: the owner object's metadata, the
// Certificates in the lister, the outcomes cert-manager states (created, updated, refused), and
// the comparison of a plan with an outcome.
import assert from 'node:assert/strict';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { defaultCertificateSpec } from '../../api/defaults.ts';
import type { Certificate, CertificateSpec } from '../../api/types.generated.ts';
import type { IngressPlan } from '../../worker/ingress-shim/plan.ts';

/** The namespace of every object in cert-manager's TestSync. */
export const SYNC_NS = 'default-unit-test-ns';

/** The owner (Ingress or Gateway) as a case gives it. */
export interface OwnerInput {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  deleting?: boolean;
}

/** The owner's metadata: `name` doubles as its uid; `deleting` adds a deletionTimestamp and a finalizer. */
export function ownerMeta(name: string, o: OwnerInput): V1ObjectMeta {
  return {
    name,
    namespace: SYNC_NS,
    uid: name,
    annotations: o.annotations,
    labels: o.labels,
    ...(o.deleting ? { deletionTimestamp: new Date(0), finalizers: ['foregroundDeletion'] } : {}),
  };
}

/** A Certificate as a case states it, before defaults. */
export interface CertOut {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  spec: Partial<CertificateSpec>;
}

/** A Certificate in the lister, controlled by `owner`, or by nothing with owner null. */
export function existingCertificate(c: CertOut, owner: { apiVersion: string; kind: string; name: string } | null): Certificate {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: c.name,
      namespace: SYNC_NS,
      labels: c.labels,
      annotations: c.annotations,
      ownerReferences: owner ? [{ ...owner, uid: owner.name, controller: true, blockOwnerDeletion: true }] : [],
    },
    spec: { secretName: c.name, issuerRef: { name: 'issuer-name' }, ...c.spec } as CertificateSpec,
  };
}

/** cert-manager's Err: true (the sync returns an error, nothing is written). certgate: nothing written, one BadConfig Warning on the owner. */
export const REFUSED = 'refused';

export interface Outcome {
  create?: CertOut[];
  update?: CertOut[];
  delete?: string[];
  events?: string[];
}

export const createdEvent = (name: string) => `Normal CreateCertificate Successfully created Certificate "${name}"`;
export const created = (...certs: CertOut[]): Outcome => ({ create: certs, events: certs.map((c) => createdEvent(c.name)) });
export const updated = (c: CertOut): Outcome => ({ update: [c], events: [`Normal UpdateCertificate Successfully updated Certificate "${c.name}"`] });
export const NOTHING: Outcome = {};

export const withLabel = { labels: { 'my-test-label': 'should be copied' } };
export const cn = { commonName: 'my-cn' };

/** A Certificate as compared: defaults filled in (cert-manager's shim writes usages out, certgate leaves defaults implicit), the default issuer group spelled out. */
function comparable(c: CertOut) {
  const spec = defaultCertificateSpec({ secretName: c.name, issuerRef: { name: '' }, ...c.spec } as CertificateSpec);
  spec.issuerRef = { kind: 'Issuer', ...spec.issuerRef, group: spec.issuerRef.group || 'cert-manager.io' };
  return { name: c.name, labels: c.labels ?? {}, annotations: c.annotations ?? {}, spec };
}

function outcomeOf(plan: IngressPlan) {
  const meta = (c: Certificate) => comparable({ name: c.metadata.name!, labels: c.metadata.labels, annotations: c.metadata.annotations, spec: c.spec });
  return {
    create: plan.create.map(meta),
    update: plan.update.map(meta),
    delete: plan.delete.map((c) => c.metadata.name!),
    events: plan.events.map((e) => `${e.type} ${e.reason} ${e.message}`),
  };
}

/** The plan does what `want` says: those writes and Events, or (REFUSED) nothing written and one BadConfig Warning. */
export function assertOutcome(plan: IngressPlan, want: Outcome | typeof REFUSED): void {
  const got = outcomeOf(plan);
  if (want === REFUSED) {
    assert.deepEqual([got.create, got.update, got.delete], [[], [], []], 'nothing written');
    assert.equal(got.events.length, 1, `one event, got ${JSON.stringify(got.events)}`);
    assert.match(got.events[0], /^Warning BadConfig /);
    return;
  }
  assert.deepEqual(got, {
    create: (want.create ?? []).map(comparable),
    update: (want.update ?? []).map(comparable),
    delete: want.delete ?? [],
    events: want.events ?? [],
  });
}
