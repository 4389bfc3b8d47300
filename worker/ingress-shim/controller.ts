// Ingress shim: keeps one Certificate per tls[] secretName of every annotated Ingress, owned by
// the Ingress. Changing the Ingress updates its Certificates; a tls entry removed, or the
// annotation removed, deletes the Certificate (never the Secret, which the Certificate does not own).
// Where transparent TLS applies, an Ingress without a tls block first gets one (transparent-tls.ts);
// a Namespace change (its certgate.io/tls label, its default issuer) re-checks its Ingresses.
import type { V1Ingress, V1Namespace } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { Resources } from '../../api/resources.ts';
import { defaultCertificateSpec } from '../../api/defaults.ts';
import { createQueueController, keyOf, splitKey, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../issuance/backend.ts';
import { desiredCertificates, IngressConfigError, ingressIssuer } from './spec.ts';
import { ensureTransparentTls } from './transparent-tls.ts';

export const INGRESS_SHIM_CONTROLLER = 'ingress-shim';

function ownedBy(cert: Certificate, ingressName: string, uid?: string): boolean {
  return !!cert.metadata.ownerReferences?.some((r) => r.kind === 'Ingress' && r.controller && r.name === ingressName && (!uid || r.uid === uid));
}

const canonical = (v: unknown) => JSON.stringify(v, (_k, val) => (val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b))) : val));

export function createIngressShimController(ctx: WorkerContext): QueueController {
  const ctrl = createQueueController(ctx, {
    name: INGRESS_SHIM_CONTROLLER,
    initialKeys: () => ctx.caches.ingresses.list().map(keyOf),
    reconcile: async (key, log) => {
      const { namespace, name } = splitKey(key);
      const ns = namespace!;
      const cached = ctx.caches.ingresses.get(name, ns);
      const ingress = cached && !cached.metadata?.deletionTimestamp ? await ensureTransparentTls(ctx, cached, log) : cached;
      const owned = ctx.caches.certificates.list(ns).filter((c) => ownedBy(c, name));
      const ingressRef = ingress && ({ ...ingress, apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' } as V1Ingress);

      let desired: Certificate[] = [];
      if (ingressRef && !ingressRef.metadata?.deletionTimestamp) {
        try {
          const issuer = ingressIssuer(ingressRef, ctx.config.defaultIssuer);
          if (issuer) desired = desiredCertificates(ingressRef, issuer);
        } catch (e) {
          if (!(e instanceof IngressConfigError)) throw e;
          ctx.recorder.event(ingressRef, 'Warning', 'BadConfig', e.message);
          log.warn({ err: e.message }, 'ingress is not usable');
          return; // leave existing Certificates as they are until the Ingress is fixed
        }
      }
      const wanted = new Set(desired.map((c) => c.metadata.name));
      for (const cert of owned) {
        if (wanted.has(cert.metadata.name)) continue;
        await ctx.client.delete(Resources.Certificate, ns, cert.metadata.name!);
        if (ingressRef) ctx.recorder.event(ingressRef, 'Normal', 'DeleteCertificate', `Deleted Certificate "${cert.metadata.name}" (the Secret is kept)`);
        log.info({ certificate: cert.metadata.name }, 'deleted certificate no longer asked for');
      }
      for (const want of desired) {
        const existing = ctx.caches.certificates.get(want.metadata.name!, ns);
        if (!existing) {
          await ctx.client.create(Resources.Certificate, want);
          ctx.recorder.event(ingressRef!, 'Normal', 'CreateCertificate', `Successfully created Certificate "${want.metadata.name}"`);
          continue;
        }
        if (!ownedBy(existing, name, ingress!.metadata?.uid)) {
          ctx.recorder.event(ingressRef!, 'Warning', 'BadConfig', `Certificate "${existing.metadata.name}" exists and is not owned by this Ingress; refusing to change it`);
          continue;
        }
        const annotations = { ...(existing.metadata.annotations ?? {}) };
        for (const k of Object.keys(annotations)) if (k.startsWith('acme.cert-manager.io/') && !(k in (want.metadata.annotations ?? {}))) delete annotations[k];
        Object.assign(annotations, want.metadata.annotations);
        const labels = { ...(existing.metadata.labels ?? {}), ...(want.metadata.labels ?? {}) };
        // Compare with defaults filled in on both sides: the mutating webhook (or a user) may have made
        // defaults explicit, and rewriting them away would fight it forever.
        if (canonical(defaultCertificateSpec(existing.spec)) === canonical(defaultCertificateSpec(want.spec)) && canonical(existing.metadata.annotations ?? {}) === canonical(annotations) && canonical(existing.metadata.labels ?? {}) === canonical(labels)) continue;
        await ctx.client.replace(Resources.Certificate, { ...existing, metadata: { ...existing.metadata, annotations, labels }, spec: want.spec });
        ctx.recorder.event(ingressRef!, 'Normal', 'UpdateCertificate', `Successfully updated Certificate "${want.metadata.name}"`);
      }
    },
  });
  for (const verb of ['add', 'update', 'delete'] as const) ctx.caches.ingresses.on(verb, (i: V1Ingress) => ctrl.enqueue(i));
  // Labelling a namespace certgate.io/tls=enforce (or changing its default issuer) concerns the Ingresses already in it.
  const fromNamespace = (n: V1Namespace) => {
    if (n.metadata?.name) for (const i of ctx.caches.ingresses.list(n.metadata.name)) ctrl.enqueue(i);
  };
  for (const verb of ['add', 'update'] as const) ctx.caches.namespaces.on(verb, fromNamespace);
  // A Certificate edited or deleted by hand is put back as the Ingress says.
  const fromCert = (c: Certificate) => {
    const owner = c.metadata.ownerReferences?.find((r) => r.kind === 'Ingress' && r.controller);
    if (owner && c.metadata.namespace) ctrl.queue.add(`${c.metadata.namespace}/${owner.name}`);
  };
  for (const verb of ['update', 'delete'] as const) ctx.caches.certificates.on(verb, fromCert);
  return ctrl;
}
