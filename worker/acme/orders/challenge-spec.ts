// Builds the Challenge object for one pending authorization of an Order.
import { CertificateAnnotations, Finalizers } from '../../../api/constants.ts';
import { Resources, controllerRef } from '../../../api/resources.ts';
import type { ACMEAuthorization, Challenge, Order } from '../../../api/types.generated.ts';
import type { SelectedSolver } from './solver-selection.ts';
import { challengeName } from '../../object-names.ts';

export function buildChallenge(order: Order, authz: ACMEAuthorization, selected: SelectedSolver, key: string): Challenge {
  const offered = authz.challenges!.find((c) => c.type === selected.type.toLowerCase())!;
  const solver = applyOverrides(selected, order.metadata.annotations ?? {}, order.metadata.namespace!);
  return {
    apiVersion: 'acme.cert-manager.io/v1',
    kind: 'Challenge',
    metadata: {
      name: challengeName(order.metadata.name!, authz.url, selected.type),
      namespace: order.metadata.namespace,
      labels: { ...(order.metadata.labels ?? {}) },
      // Set at creation (one request less than adding it on the first pass): the Challenge
      // controller's cleanup runs even when the Challenge is deleted first.
      finalizers: [Finalizers.ACMEChallenge],
      ownerReferences: [controllerRef(Resources.Order, order)],
    },
    spec: {
      authorizationURL: authz.url,
      dnsName: authz.identifier!,
      issuerRef: order.spec.issuerRef,
      key,
      solver,
      token: offered.token,
      type: selected.type,
      url: offered.url,
      wildcard: !!authz.wildcard,
    },
  };
}

/**
 * Certificate annotations (set by the ingress shim or by hand, copied Certificate -> CR -> Order)
 * that override the HTTP-01 ingress, cert-manager's names.
 */
const OverrideAnnotations = Object.freeze({
  IngressName: CertificateAnnotations.HTTP01IngressNameOverride,
  IngressClass: CertificateAnnotations.HTTP01IngressClassOverride,
  IngressClassName: CertificateAnnotations.HTTP01IngressClassNameOverride,
});

function applyOverrides(selected: SelectedSolver, annotations: Record<string, string>, namespace: string): SelectedSolver['solver'] {
  const solver = structuredClone(selected.solver);
  applyParentRefOverride(solver, annotations, namespace);
  const ing = solver.http01?.ingress;
  if (!ing) return solver;
  if (annotations[OverrideAnnotations.IngressName]) {
    ing.name = annotations[OverrideAnnotations.IngressName];
    delete ing.class;
    delete ing.ingressClassName;
  } else if (annotations[OverrideAnnotations.IngressClassName]) {
    ing.ingressClassName = annotations[OverrideAnnotations.IngressClassName];
    delete ing.class;
    delete ing.name;
  } else if (annotations[OverrideAnnotations.IngressClass]) {
    ing.class = annotations[OverrideAnnotations.IngressClass];
    delete ing.ingressClassName;
    delete ing.name;
  }
  return solver;
}

/**
 * acme.cert-manager.io/http01-parentrefkind and -parentrefname (with -parentrefnamespace, default the
 * Order's namespace), set by the gateway shim: the HTTPRoute also attaches to that parent, replacing
 * an issuer parentRef to the same one (cert-manager's applyGatewayAPIAnnotationParentRefOverride).
 */
function applyParentRefOverride(solver: SelectedSolver['solver'], annotations: Record<string, string>, namespace: string): void {
  const route = solver.http01?.gatewayHTTPRoute;
  const kind = annotations[CertificateAnnotations.HTTP01ParentRefKind];
  const name = annotations[CertificateAnnotations.HTTP01ParentRefName];
  if (!route || !kind || !name) return;
  const ns = annotations[CertificateAnnotations.HTTP01ParentRefNamespace] || namespace;
  const others = (route.parentRefs ?? []).filter((p) => !(p.namespace === ns && p.name === name && (p.kind === undefined || p.kind === kind)));
  route.parentRefs = [...others, { name, namespace: ns, kind }];
}
