// Ingress shim: keeps one Certificate per tls[] secretName of every annotated Ingress, owned by
// the Ingress. Changing the Ingress updates its Certificates; a tls entry removed, or the
// annotation removed, deletes the Certificate (never the Secret, which the Certificate does not own).
// Where transparent TLS applies, an Ingress without a tls block first gets one (transparent-tls.ts);
// a Namespace change (its certgate.io/tls label, its default issuer) re-checks its Ingresses.
import type { V1Ingress, V1Namespace } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { Resources } from '../../api/resources.ts';
import { createQueueController, keyOf, splitKey, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../issuance/backend.ts';
import { beingDeleted, planIngress } from './plan.ts';
import { ensureTransparentTls } from './transparent-tls.ts';

export const INGRESS_SHIM_CONTROLLER = 'ingress-shim';

export function createIngressShimController(ctx: WorkerContext): QueueController {
  const ctrl = createQueueController(ctx, {
    name: INGRESS_SHIM_CONTROLLER,
    initialKeys: () => ctx.caches.ingresses.list().map(keyOf),
    reconcile: async (key, log) => {
      const { namespace, name } = splitKey(key);
      const ns = namespace!;
      const cached = ctx.caches.ingresses.get(name, ns);
      const ingress = cached && !beingDeleted(cached) ? await ensureTransparentTls(ctx, cached, log) : cached;
      const ingressRef = ingress && ({ ...ingress, apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' } as V1Ingress);
      const plan = planIngress(name, ingressRef, ctx.caches.certificates.list(ns), ctx.config.defaultIssuer);
      for (const cert of plan.delete) {
        await ctx.client.delete(Resources.Certificate, ns, cert.metadata.name!);
        log.info({ certificate: cert.metadata.name }, 'deleted certificate no longer asked for (the Secret is kept)');
      }
      for (const cert of plan.create) await ctx.client.create(Resources.Certificate, cert);
      for (const cert of plan.update) await ctx.client.replace(Resources.Certificate, cert);
      for (const e of plan.events) {
        if (ingressRef) ctx.recorder.event(ingressRef, e.type, e.reason, e.message);
        if (e.type === 'Warning') log.warn({ reason: e.reason, message: e.message }, 'ingress not fully usable');
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
