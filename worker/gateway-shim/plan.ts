// What the gateway shim does for one Gateway: the ingress shim's plan (create what the Gateway asks
// for, update what differs, delete what it owns and no longer asks for), with the Gateway's
// listeners as the source. Pure, so the ported cert-manager table runs the worker's decisions.
import type { Gateway } from '../../api/gateway-api.generated.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { IssuerRef } from '../config.ts';
import { planShim, type IngressPlan } from '../ingress-shim/plan.ts';
import { desiredGatewayCertificates, gatewayIssuer } from './spec.ts';

interface GatewayShimOptions {
  defaultIssuer?: IssuerRef;
  /** Listener protocols besides HTTPS and TLS that carry TLS (--gateway-api-extra-protocols). */
  extraProtocols?: readonly string[];
}

/** The plan for the Gateway named `name` (undefined when it is gone); `certificates` are those of its namespace. */
export function planGateway(name: string, gateway: Gateway | undefined, certificates: readonly Certificate[], opts: GatewayShimOptions = {}): IngressPlan {
  const desire =
    gateway &&
    (() => {
      const issuer = gatewayIssuer(gateway, opts.defaultIssuer);
      return issuer && desiredGatewayCertificates(gateway, issuer, opts);
    });
  return planShim({ kind: 'Gateway', name, object: gateway }, desire, certificates);
}
