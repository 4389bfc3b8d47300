// Issuer and ClusterIssuer readiness: asks the issuer type's backend (checkIssuer) and writes the
// Ready condition plus any backend status (e.g. the ACME account URI). Not-ready issuers are
// checked again later, since the Secrets they depend on are not watched. Exports the issuer's
// readiness metric, removed on delete.
import type { ClusterIssuer, Issuer, IssuerStatus } from '../../api/types.generated.ts';
import { ConditionTypes } from '../../api/constants.ts';
import { Resources } from '../../api/resources.ts';
import type { WatchedCache } from '../../lib/kube/client.ts';
import { getCondition, setCondition } from '../conditions.ts';
import { createQueueController, keyOf, splitKey, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { backendFor, type IssuerBackends } from '../issuance/backend.ts';
import { resourceNamespaceFor } from '../issuer-ref.ts';
import { semanticallyEqual } from '../../lib/semantic-equal.ts';

const ISSUERS_CONTROLLER = 'issuers';
const CLUSTER_ISSUERS_CONTROLLER = 'clusterissuers';
const NOT_READY_RECHECK_MS = 10_000;

export function createIssuerControllers(ctx: WorkerContext, backends: IssuerBackends): QueueController[] {
  return [make(ctx, backends, false), make(ctx, backends, true)];
}

function make(ctx: WorkerContext, backends: IssuerBackends, cluster: boolean): QueueController {
  const cache = (cluster ? ctx.caches.clusterIssuers : ctx.caches.issuers) as WatchedCache<Issuer | ClusterIssuer>;
  const resource = cluster ? Resources.ClusterIssuer : Resources.Issuer;
  const kind = cluster ? 'ClusterIssuer' : 'Issuer';
  const ctrl = createQueueController(ctx, {
    name: cluster ? CLUSTER_ISSUERS_CONTROLLER : ISSUERS_CONTROLLER,
    initialKeys: () => (cache.list() as Array<Issuer | ClusterIssuer>).map(keyOf),
    reconcile: async (key, log) => {
      const { namespace, name } = splitKey(key);
      const issuer = cache.get(name, namespace) as Issuer | ClusterIssuer | undefined;
      if (!issuer) {
        ctx.metrics.issuers.forget(kind, namespace, name);
        return;
      }
      if (issuer.metadata.deletionTimestamp) return;
      // Exported before the backend check, so an issuer whose check keeps throwing still shows up.
      ctx.metrics.issuers.observe(kind, issuer);
      const resourceNamespace = resourceNamespaceFor(ctx.config, { kind }, namespace!);
      const backend = backendFor(backends, issuer);
      const readiness = backend
        ? await backend.checkIssuer(issuer, resourceNamespace)
        : { ready: false, reason: 'ErrInitIssuer', message: 'No issuer type certgate supports is configured (acme, ca or selfSigned)' };
      const prior = getCondition(issuer.status?.conditions, ConditionTypes.Ready);
      const conditions = setCondition(
        issuer.status?.conditions,
        {
          type: ConditionTypes.Ready,
          status: readiness.ready ? 'True' : 'False',
          reason: readiness.reason,
          message: readiness.message,
          observedGeneration: issuer.metadata.generation,
        },
        ctx.clock.now(),
      );
      const status: IssuerStatus = { ...issuer.status, ...(readiness.status ?? {}), conditions };
      if (!semanticallyEqual(status, issuer.status ?? {})) {
        await ctx.client.replaceStatus(resource, { ...issuer, status });
        if (prior?.status !== (readiness.ready ? 'True' : 'False') || prior?.reason !== readiness.reason) {
          ctx.recorder.event(
            issuer,
            readiness.ready ? 'Normal' : 'Warning',
            readiness.reason,
            readiness.message || (readiness.ready ? 'Issuer is ready' : 'Issuer is not ready'),
          );
        }
        log.info({ ready: readiness.ready, reason: readiness.reason }, 'issuer status updated');
      }
      // Also when nothing was written: a new leader must export what is already in status.
      ctx.metrics.issuers.observe(kind, { ...issuer, status });
      return readiness.ready ? undefined : { requeueAfterMs: NOT_READY_RECHECK_MS };
    },
  });
  for (const verb of ['add', 'update', 'delete'] as const) cache.on(verb, (i: Issuer | ClusterIssuer) => ctrl.enqueue(i));
  return ctrl;
}
