// The table runner shared by the ingress and gateway shim controller tests: one pass of the
// controller over the owner's key on a fake worker, then the writes, the Certificates the API
// server holds, the Events on the owner and the requeue, compared with the case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Certificate, CertificateSpec } from '../../api/types.generated.ts';
import { KubeApiError } from '../../lib/kube/client.ts';
import type { QueueController } from '../../worker/controller.ts';
import { fakeWorker, Resources, type FakeWorker, type FakeWorkerOptions, type RecordedWrite } from './fake-context.ts';

/** What a Certificate must hold afterwards: spec fields, and annotations it must carry (others may be there too). */
export type CertificateExpectation = Partial<CertificateSpec> & { annotations?: Record<string, string> };

export interface ShimCase {
  name: string;
  objects: KubernetesObject[];
  config?: FakeWorkerOptions['config'];
  refuse?: FakeWorkerOptions['refuse'];
  /** Before the pass: something changes the API server's copy only (the cache lags behind). */
  meanwhile?: (w: FakeWorker) => void;
  /** The writes, in order, as "verb Kind name". */
  writes: string[];
  /** Certificates in the API server afterwards, or null for none. */
  certificates?: Record<string, CertificateExpectation | null>;
  /** Events on the owner, as "Type Reason", in order; `message` is matched by the last one. */
  events: string[];
  message?: RegExp;
  /** The pass hands its error to the queue's backoff. */
  backoff?: boolean;
}

/** The owner every case is about: its kind, namespace, name and uid (Certificates it creates are controlled by it). */
interface ShimOwner {
  kind: 'Ingress' | 'Gateway';
  namespace: string;
  name: string;
  uid: string;
}

/**
 * A Certificate the shim made for `owner` earlier (controlled by it), or, with `owner.uid` null,
 * one of the same name that someone else made.
 */
export function madeFor(
  owner: ShimOwner | (Omit<ShimOwner, 'uid'> & { uid: null }),
  secretName: string,
  dnsNames: string[],
  opts: { issuer?: string; annotations?: Record<string, string> } = {},
): Certificate {
  const apiVersion = owner.kind === 'Ingress' ? 'networking.k8s.io/v1' : 'gateway.networking.k8s.io/v1';
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: {
      name: secretName,
      namespace: owner.namespace,
      labels: {},
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(owner.uid
        ? { ownerReferences: [{ apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }] }
        : {}),
    },
    spec: { secretName, dnsNames, issuerRef: { name: opts.issuer ?? 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' } },
  };
}

/** A write the admission webhook denies: creating a Certificate. */
export const refusedByWebhook = (w: RecordedWrite) =>
  w.kind === 'Certificate' && w.verb === 'create'
    ? new KubeApiError(403, 'Forbidden', 'admission webhook "webhook.certgate.io" denied the request: spec.dnsNames[0]: invalid', {})
    : undefined;

/** Every Certificate write fails as it does while the API server is unavailable. */
export const apiServerDown = (w: RecordedWrite) =>
  w.kind === 'Certificate' ? new KubeApiError(503, 'ServiceUnavailable', 'etcdserver: leader changed', {}) : undefined;

export function runShimCases(cases: ShimCase[], owner: ShimOwner, controllerFor: (w: FakeWorker) => QueueController): void {
  for (const c of cases) {
    test(c.name, async () => {
      const w = fakeWorker(c.objects, { config: c.config, refuse: c.refuse });
      const ctrl = controllerFor(w);
      c.meanwhile?.(w);
      const pass = ctrl.sync(`${owner.namespace}/${owner.name}`);
      if (c.backoff) await assert.rejects(pass, KubeApiError);
      else assert.equal(await pass, undefined, `no requeue: the next change of the ${owner.kind} or its Certificates brings the key back`);
      assert.deepEqual(
        w.writes.map((x) => `${x.verb} ${x.kind} ${x.name}`),
        c.writes,
      );
      for (const [name, want] of Object.entries(c.certificates ?? {})) {
        const got = w.stored<Certificate>(Resources.Certificate, owner.namespace, name);
        if (want === null) {
          assert.equal(got, undefined, `no Certificate ${name}`);
          continue;
        }
        assert.ok(got, `Certificate ${name} exists`);
        const { annotations, ...spec } = want;
        for (const [field, value] of Object.entries(spec)) assert.deepEqual(got.spec[field as keyof CertificateSpec], value, `${name}: spec.${field}`);
        for (const [key, value] of Object.entries(annotations ?? {})) assert.equal(got.metadata.annotations?.[key], value, `${name}: annotation ${key}`);
        if (c.writes.includes(`create Certificate ${name}`)) {
          const ref = got.metadata.ownerReferences?.find((r) => r.controller);
          assert.deepEqual(ref && { kind: ref.kind, name: ref.name, uid: ref.uid }, { kind: owner.kind, name: owner.name, uid: owner.uid });
        }
      }
      assert.deepEqual(
        w.events.map((e) => `${e.type} ${e.reason}`),
        c.events,
      );
      assert.ok(
        w.events.every((e) => e.kind === owner.kind && e.name === owner.name),
        `Events are recorded on the ${owner.kind}`,
      );
      if (c.message) assert.match(w.events.at(-1)!.message, c.message);
    });
  }
}
