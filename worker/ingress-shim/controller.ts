// Ingress shim: keeps one Certificate per tls[] secretName of every annotated Ingress, owned by
// the Ingress. Changing the Ingress updates its Certificates; a tls entry removed, or the
// annotation removed, deletes the Certificate (never the Secret, which the Certificate does not own).
// Where transparent TLS applies, an Ingress without a tls block first gets one (transparent-tls.ts);
// a Namespace change (its certgate.io/tls label, its default issuer) re-checks its Ingresses.
import type { V1Ingress, V1Namespace } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { Resources } from '../../api/resources.ts';
import { KubeApiError } from '../../lib/kube/client.ts';
import { createQueueController, keyOf, splitKey, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { beingDeleted, planIngress } from './plan.ts';
import { ensureTransparentTls } from './transparent-tls.ts';
import { withoutLostSecretClaims } from './secret-claims.ts';

export const INGRESS_SHIM_CONTROLLER = 'ingress-shim';
export const CERTIFICATE_REFUSED_REASON = 'CertificateRefused';

/** The API server refused the object itself (admission denial, invalid): retrying the same write cannot help. */
const isRefusal = (e: unknown): e is KubeApiError => e instanceof KubeApiError && [400, 403, 422].includes(e.statusCode);

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
      const claimed = ingressRef && withoutLostSecretClaims(ingressRef, ctx.caches.ingresses.list(ns), ctx.config.defaultIssuer);
      const plan = planIngress(name, claimed?.ingress, ctx.caches.certificates.list(ns), ctx.config.defaultIssuer);
      plan.events.push(...(claimed?.events ?? []));
      for (const cert of plan.delete) {
        await ctx.client.delete(Resources.Certificate, ns, cert.metadata.name!);
        log.info({ certificate: cert.metadata.name }, 'deleted certificate no longer asked for (the Secret is kept)');
      }
      // A Certificate the API server refuses (the webhook denies a bad annotation value, an invalid
      // name) is a fact about the Ingress: a Warning on it with the API server's reason and the fix,
      // and no retry until the Ingress changes (its update brings the key back).
      const write = async (verb: 'create' | 'update', cert: Certificate) => {
        try {
          await (verb === 'create' ? ctx.client.create(Resources.Certificate, cert) : ctx.client.replace(Resources.Certificate, cert));
          return true;
        } catch (e) {
          if (!isRefusal(e)) throw e;
          plan.events.push({ type: 'Warning', reason: CERTIFICATE_REFUSED_REASON, message: `Could not ${verb} Certificate "${cert.metadata.name}": ${e.message}. Fix the Ingress's cert-manager.io annotations or tls entry; the Certificate is made when the Ingress changes` });
          return false;
        }
      };
      const refusedNames = new Set<string>();
      for (const cert of plan.create) if (!(await write('create', cert))) refusedNames.add(cert.metadata.name!);
      for (const cert of plan.update) if (!(await write('update', cert))) refusedNames.add(cert.metadata.name!);
      // The "Successfully created/updated" Events of refused Certificates would be false.
      plan.events = plan.events.filter((e) => !(e.certificate && refusedNames.has(e.certificate)));
      for (const e of plan.events) {
        if (ingressRef) ctx.recorder.event(ingressRef, e.type, e.reason, e.message);
        if (e.type === 'Warning') log.warn({ reason: e.reason, message: e.message }, 'ingress not fully usable');
      }
    },
  });
  // Ingresses asking for the same Secret decide between them (secret-claims.ts): a change of one,
  // or of the Certificate for that Secret, is news for the others.
  const enqueueRivals = (namespace: string | undefined, secretNames: ReadonlyArray<string | undefined>) => {
    const wanted = new Set(secretNames.filter(Boolean));
    if (!namespace || wanted.size === 0) return;
    for (const other of ctx.caches.ingresses.list(namespace)) if (other.spec?.tls?.some((t) => wanted.has(t.secretName))) ctrl.enqueue(other);
  };
  for (const verb of ['add', 'update', 'delete'] as const) {
    ctx.caches.ingresses.on(verb, (i: V1Ingress) => {
      ctrl.enqueue(i);
      enqueueRivals(i.metadata?.namespace, (i.spec?.tls ?? []).map((t) => t.secretName));
    });
  }
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
  ctx.caches.certificates.on('delete', (c: Certificate) => enqueueRivals(c.metadata.namespace, [c.spec?.secretName]));
  return ctrl;
}
