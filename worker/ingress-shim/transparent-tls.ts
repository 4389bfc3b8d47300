// Transparent TLS for Ingresses the webhook never mutated: ones that existed before their namespace
// was labelled certgate.io/tls=enforce (or before --transparent-tls), or that were admitted while
// the webhook was down. The decision is the webhook's (lib/transparent-tls.ts); this module only
// writes it, as a JSON patch that tests metadata.resourceVersion, so a user's concurrent edit is
// never overwritten: on a failed test the Ingress is read again and the decision made anew.
import type { V1Ingress, V1Namespace } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import { KubeApiError } from '../../lib/kube/client.ts';
import type { Logger } from '../../lib/log.ts';
import { diffToJsonPatch } from '../../lib/json-patch.ts';
import { addTransparentTls, defaultIssuerFor, issuerAnnotation, transparentTlsApplies } from '../../lib/transparent-tls.ts';
import type { WorkerContext } from '../context.ts';

const TRANSPARENT_TLS_REASON = 'TransparentTLS';
const TRANSPARENT_TLS_SKIPPED_REASON = 'TransparentTLSSkipped';
const TRANSPARENT_TLS_FAILED_REASON = 'TransparentTLSFailed';
/** Fresh reads and patch attempts before giving the key back to the queue (which retries with backoff). */
const MAX_ATTEMPTS = 5;

const asIngress = (i: V1Ingress): V1Ingress => ({ ...i, apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' });

/** The JSON patch from `ingress` to `wanted`, valid only at the resourceVersion `ingress` was read at. */
function patchFor(ingress: V1Ingress, wanted: unknown): unknown[] {
  return [{ op: 'test', path: '/metadata/resourceVersion', value: ingress.metadata?.resourceVersion }, ...diffToJsonPatch(ingress, wanted)];
}

/** Refused for good (an admission webhook denied it, RBAC lacks patch): retrying with backoff would not help; the next change to the Ingress tries again. */
const isRefused = (e: KubeApiError) => e.statusCode >= 400 && e.statusCode < 500 && e.statusCode !== 408 && e.statusCode !== 429;

/**
 * Adds the tls block (and the default issuer annotation when missing) to an Ingress without one
 * where transparent TLS applies. Returns the Ingress to continue with: the patched one, the one
 * given when nothing was to be done, or undefined when it is gone. Throws transient errors.
 */
export async function ensureTransparentTls(ctx: WorkerContext, ingress: V1Ingress, log: Logger): Promise<V1Ingress | undefined> {
  let current: V1Ingress | undefined = ingress;
  for (let attempt = 1; current && !current.metadata?.deletionTimestamp; attempt++) {
    // The namespaces the webhook never sees are left alone here too, whatever their labels say.
    if (ctx.config.transparentTlsExcludedNamespaces.includes(current.metadata?.namespace ?? '')) return current;
    const namespace = current.metadata?.namespace ? ctx.caches.namespaces.get(current.metadata.namespace) : undefined;
    const why = transparentTlsApplies(namespace as V1Namespace | undefined, ctx.config.transparentTls);
    if (!why) return current;
    const outcome = addTransparentTls(current, defaultIssuerFor(namespace, ctx.config.defaultIssuer));
    if (!outcome.changed) {
      if (outcome.reason) {
        ctx.recorder.event(asIngress(current), 'Warning', TRANSPARENT_TLS_SKIPPED_REASON, `${outcome.reason} (${why})`);
        log.warn({ reason: outcome.reason }, 'transparent TLS skipped');
      }
      return current;
    }
    const issuer = outcome.addedIssuer;
    const annotation: [string, string] | undefined = issuer ? [issuerAnnotation(issuer), issuer.name] : undefined;
    try {
      const patched = await ctx.client.patch<V1Ingress>(
        Resources.Ingress,
        current.metadata!.namespace,
        current.metadata!.name!,
        patchFor(current, outcome.object),
        { type: 'json' },
      );
      const added = `tls for Secret "${outcome.secretName}" (hosts ${outcome.hosts.join(', ')})${annotation ? ` and annotation ${annotation[0]}=${annotation[1]}` : ''}`;
      ctx.recorder.event(asIngress(patched), 'Normal', TRANSPARENT_TLS_REASON, `Added ${added}: ${why}`);
      log.info({ secretName: outcome.secretName, hosts: outcome.hosts, issuerAnnotation: annotation?.join('=') }, 'transparent TLS added');
      return patched;
    } catch (e) {
      if (!(e instanceof KubeApiError)) throw e;
      if (e.statusCode === 404) return undefined; // deleted meanwhile
      // A failed `test` answers 422 (kube-apiserver re-applies a patch to the newest object), a
      // resourceVersion check 409. Whether the Ingress changed decides: read it again and redo.
      if (e.statusCode === 409 || e.statusCode === 422) {
        const fresh: V1Ingress | undefined = await ctx.client.get<V1Ingress>(Resources.Ingress, current.metadata!.namespace, current.metadata!.name!);
        if (e.statusCode === 409 || fresh?.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
          if (attempt >= MAX_ATTEMPTS) throw e; // still racing: the queue retries with backoff
          log.debug({ attempt }, 'Ingress changed while adding transparent TLS; deciding again on the new version');
          current = fresh;
          continue;
        }
      }
      if (!isRefused(e)) throw e;
      ctx.recorder.event(asIngress(current), 'Warning', TRANSPARENT_TLS_FAILED_REASON, `Could not add tls for Secret "${outcome.secretName}": ${e.message}`);
      log.warn({ err: e.message }, 'transparent TLS refused by the API server');
      return current;
    }
  }
  return current;
}
