// Ingress shim: keeps one Certificate per tls[] secretName of every annotated Ingress, owned by
// the Ingress. Changing the Ingress updates its Certificates; a tls entry removed, or the
// annotation removed, deletes the Certificate (never the Secret, which the Certificate does not own).
// Where transparent TLS applies, an Ingress without a tls block first gets one (transparent-tls.ts);
// a Namespace change (its certgate.io/tls label, its default issuer) re-checks its Ingresses.
import type { V1Ingress, V1Namespace } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { createQueueController, keyOf, splitKey, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { beingDeleted, planIngress } from './plan.ts';
import { ensureTransparentTls } from './transparent-tls.ts';
import { withoutLostSecretClaims } from './secret-claims.ts';
import { applyShimPlan } from './apply-plan.ts';
import { cacheIndex } from '../cache-index.ts';
import { shimCertificates } from './shim-certificates.ts';

const INGRESS_SHIM_CONTROLLER = 'ingress-shim';

/** Ingresses by "namespace/secretName" of each tls entry (rivals for a Secret find each other without a list). */
const ingressesBySecret = (ctx: WorkerContext) =>
  cacheIndex(ctx.caches.ingresses, 'tlsSecret', (i: V1Ingress) =>
    (i.spec?.tls ?? []).flatMap((t) => (t.secretName ? [`${i.metadata?.namespace}/${t.secretName}`] : [])),
  );

/** Certificates by "namespace/name" of the Ingress that controls them. */
/** The other Ingresses of the namespace that ask for one of these Secrets. */
function ingressesWanting(ctx: WorkerContext, ns: string, secretNames: ReadonlyArray<string | undefined>): V1Ingress[] {
  const found = new Map<string, V1Ingress>();
  for (const s of secretNames) if (s) for (const i of ingressesBySecret(ctx).get(`${ns}/${s}`)) found.set(i.metadata!.name!, i);
  return [...found.values()];
}

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
      const rivals = ingressRef
        ? ingressesWanting(
            ctx,
            ns,
            (ingressRef.spec?.tls ?? []).map((t) => t.secretName),
          )
        : [];
      const claimed = ingressRef && withoutLostSecretClaims(ingressRef, rivals, ctx.config.defaultIssuer);
      const plan = planIngress(
        name,
        claimed?.ingress,
        shimCertificates(
          ctx,
          { kind: 'Ingress', namespace: ns, name },
          (claimed?.ingress?.spec?.tls ?? []).map((t) => t.secretName),
        ),
        ctx.config.defaultIssuer,
      );
      plan.events.push(...(claimed?.events ?? []));
      await applyShimPlan(
        ctx,
        ns,
        plan,
        ingressRef,
        "Fix the Ingress's cert-manager.io annotations or tls entry; the Certificate is made when the Ingress changes",
        log,
      );
    },
  });
  // Ingresses asking for the same Secret decide between them (secret-claims.ts): a change of one,
  // or of the Certificate for that Secret, is news for the others.
  const enqueueRivals = (namespace: string | undefined, secretNames: ReadonlyArray<string | undefined>) => {
    if (!namespace) return;
    for (const other of ingressesWanting(ctx, namespace, secretNames)) ctrl.enqueue(other);
  };
  for (const verb of ['add', 'update', 'delete'] as const) {
    ctx.caches.ingresses.on(verb, (i: V1Ingress) => {
      ctrl.enqueue(i);
      enqueueRivals(
        i.metadata?.namespace,
        (i.spec?.tls ?? []).map((t) => t.secretName),
      );
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
