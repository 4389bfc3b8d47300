// Gateway shim: keeps one Certificate per certificateRefs Secret of every annotated Gateway, owned
// by the Gateway, as the ingress shim does for Ingresses (plan.ts decides, the ingress shim's
// applyShimPlan writes). Built on the Gateway cache while Gateway API is served (worker/gateway-api.ts,
// which also sends it the Gateways whose Certificates were edited or deleted).
import type { Gateway } from '../../api/gateway-api.generated.ts';
import type { WatchedCache } from '../../lib/kube/client.ts';
import { createQueueController, keyOf, splitKey, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { applyShimPlan } from '../ingress-shim/apply-plan.ts';
import { shimCertificates } from '../ingress-shim/shim-certificates.ts';
import { gatewayListeners } from '../../lib/gateway-listeners.ts';
import { planGateway } from './plan.ts';

const GATEWAY_SHIM_CONTROLLER = 'gateway-shim';

export function createGatewayShimController(ctx: WorkerContext, gateways: WatchedCache<Gateway>): QueueController {
  const ctrl = createQueueController(ctx, {
    name: GATEWAY_SHIM_CONTROLLER,
    initialKeys: () => gateways.list().map(keyOf),
    reconcile: async (key, log) => {
      const { namespace, name } = splitKey(key);
      const gateway = gateways.get(name, namespace);
      const opts = { defaultIssuer: ctx.config.defaultIssuer, extraProtocols: ctx.config.gatewayApi.extraProtocols };
      const secretNames = gatewayListeners(gateway).flatMap((l) => l.certificateRefs.map((r) => r.name));
      const plan = planGateway(name, gateway, shimCertificates(ctx, { kind: 'Gateway', namespace: namespace!, name }, secretNames), opts);
      const owner = gateway && { ...gateway, apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway' };
      await applyShimPlan(
        ctx,
        namespace!,
        plan,
        owner,
        "Fix the Gateway's cert-manager.io annotations or the listener; the Certificate is made when the Gateway changes",
        log,
      );
    },
  });
  for (const verb of ['add', 'update', 'delete'] as const) gateways.on(verb, (g: Gateway) => ctrl.enqueue(g));
  return ctrl;
}
