// HTTP-01 through Gateway API (http01.gatewayHTTPRoute): a temporary HTTPRoute attached to the
// solver's parentRefs that sends /.well-known/acme-challenge/<token> (exact path) for the
// challenge's host to the per-challenge solver Service (service.ts), as cert-manager's
// httproute.go builds it. Owned by the Challenge and deleted when the challenge ends. Used only while
// the cluster serves Gateway API (worker/gateway-api.ts); otherwise the Challenge says so.
import { isIP } from 'node:net';
import type { HTTPRoute, HTTPRouteSpec } from '../../../../api/gateway-api.generated.ts';
import { apiVersionOf, Resources } from '../../../../api/resources.ts';
import type { Challenge } from '../../../../api/types.generated.ts';
import { isAlreadyExists, isConflict } from '../../../../lib/kube/client.ts';
import { semanticallyEqual } from '../../../../lib/semantic-equal.ts';
import type { WorkerContext } from '../../../context.ts';
import { http01SolverName } from '../../../object-names.ts';
import { SolverConfigError } from './ingress.ts';
import { ownerRef, solverObjectLabels } from './service.ts';

export const usesGatewayRoute = (ch: Challenge): boolean => !!ch.spec.solver.http01?.gatewayHTTPRoute;

/** The route's spec: the solver's parentRefs, the host (none for an IP identifier), one exact-path rule to the Service. */
export function httpRouteSpec(ch: Challenge, serviceName: string, port: number): HTTPRouteSpec {
  const parentRefs = ch.spec.solver.http01?.gatewayHTTPRoute?.parentRefs ?? [];
  if (parentRefs.length === 0) {
    throw new SolverConfigError(
      'http01.gatewayHTTPRoute has no parentRefs, and the Certificate names no Gateway (acme.cert-manager.io/http01-parentrefkind and -parentrefname): the HTTPRoute would attach to nothing',
    );
  }
  return {
    parentRefs: parentRefs as HTTPRouteSpec['parentRefs'],
    ...(isIP(ch.spec.dnsName) ? {} : { hostnames: [ch.spec.dnsName] }),
    rules: [
      {
        matches: [{ path: { type: 'Exact', value: `/.well-known/acme-challenge/${ch.spec.token}` } }],
        backendRefs: [{ group: '', kind: 'Service', name: serviceName, namespace: ch.metadata.namespace, port, weight: 1 }],
      },
    ],
  };
}

function routeLabels(ch: Challenge): Record<string, string> {
  return { ...(ch.spec.solver.http01?.gatewayHTTPRoute?.labels ?? {}), ...solverObjectLabels(ch) };
}

/** Creates the route, or puts its spec and labels back when they differ (a changed solver, an edit by hand). */
export async function ensureHttpRoute(ctx: Pick<WorkerContext, 'client' | 'gatewayApi'>, ch: Challenge, serviceName: string, port: number): Promise<void> {
  const routes = ctx.gatewayApi?.caches()?.httpRoutes;
  if (!routes) {
    throw new SolverConfigError(
      'http01.gatewayHTTPRoute needs Gateway API, and this cluster does not serve gateway.networking.k8s.io/v1 HTTPRoutes: install the Gateway API CRDs (certgate picks them up without a restart) or use http01.ingress',
    );
  }
  const name = http01SolverName(ch.metadata.uid!, ch.metadata.name!);
  const namespace = ch.metadata.namespace!;
  const spec = httpRouteSpec(ch, serviceName, port);
  const labels = routeLabels(ch);
  const existing = routes.get(name, namespace) ?? (await ctx.client.get<HTTPRoute>(Resources.HTTPRoute, namespace, name));
  if (!existing) {
    try {
      await ctx.client.create<HTTPRoute>(Resources.HTTPRoute, {
        apiVersion: apiVersionOf(Resources.HTTPRoute) as HTTPRoute['apiVersion'],
        kind: 'HTTPRoute',
        metadata: { name, namespace, labels, ownerReferences: ownerRef(ch) },
        spec,
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    return;
  }
  // The API server fills defaults into the stored spec (parentRefs' group and kind, the match's
  // type): compare what we set, not the defaults, so a stored route is not rewritten on every pass.
  if (semanticallyEqual(pick(existing.spec, spec), spec) && semanticallyEqual(existing.metadata.labels ?? {}, labels)) return;
  try {
    await ctx.client.replace(Resources.HTTPRoute, { ...existing, metadata: { ...existing.metadata, labels }, spec });
  } catch (err) {
    if (!isConflict(err)) throw err; // the next pass reads it again
  }
}

/** The stored value restricted to the keys the wanted value has, recursively (arrays element by element). */
function pick(stored: unknown, wanted: unknown): unknown {
  if (Array.isArray(wanted)) return Array.isArray(stored) && stored.length === wanted.length ? wanted.map((w, i) => pick(stored[i], w)) : stored;
  if (wanted && typeof wanted === 'object') {
    if (!stored || typeof stored !== 'object') return stored;
    return Object.fromEntries(Object.keys(wanted).map((k) => [k, pick((stored as Record<string, unknown>)[k], (wanted as Record<string, unknown>)[k])]));
  }
  return stored;
}

/** Idempotent; a cluster that no longer serves HTTPRoutes answers 404, which is "already gone". */
export async function removeHttpRoute(ctx: Pick<WorkerContext, 'client'>, ch: Challenge): Promise<void> {
  await ctx.client.delete(Resources.HTTPRoute, ch.metadata.namespace, http01SolverName(ch.metadata.uid!, ch.metadata.name!));
}
