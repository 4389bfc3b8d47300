// The per-challenge Service that an HTTP-01 route points at. The solver runs inside the certgate
// controller pods (namespace of --solver-service), but an Ingress can only reference Services in
// its own namespace, so an ExternalName Service in the Challenge's namespace aliases the solver
// Service's cluster DNS name.
// Trade-off: no per-challenge pods (fast, nothing to schedule), but it needs an ingress controller
// that follows ExternalName backends (ingress-nginx, Traefik, HAProxy do; some cloud L7 load
// balancers do not: use DNS-01 or edit-in-place with a controller that does).
import { Resources, controllerRef } from '../../../../api/resources.ts';
import { Labels, LabelValues } from '../../../../api/constants.ts';
import type { Challenge } from '../../../../api/types.generated.ts';
import { isAlreadyExists, type KubeClient } from '../../../../lib/kube/client.ts';
import { http01SolverName, shortHash } from '../../../object-names.ts';

interface SolverServiceRef {
  namespace: string;
  name: string;
  port: number;
}

export function solverObjectLabels(ch: Challenge): Record<string, string> {
  return {
    [Labels.HTTP01Solver]: LabelValues.True,
    [Labels.HTTP01Domain]: shortHash(ch.spec.dnsName),
    [Labels.HTTP01Token]: shortHash(ch.spec.token),
    [Labels.Managed]: LabelValues.True,
  };
}

export function ownerRef(ch: Challenge) {
  return [controllerRef(Resources.Challenge, ch)];
}

export async function ensureSolverService(kube: KubeClient, ch: Challenge, solver: SolverServiceRef, clusterDomain = 'cluster.local'): Promise<string> {
  const name = http01SolverName(ch.metadata.uid!, ch.metadata.name!);
  // Created blind: AlreadyExists says a previous pass made it (cheaper than a GET first).
  try {
    await kube.create(Resources.Service, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ch.metadata.namespace, labels: solverObjectLabels(ch), ownerReferences: ownerRef(ch) },
      spec: {
        type: 'ExternalName',
        externalName: `${solver.name}.${solver.namespace}.svc.${clusterDomain}`,
        ports: [{ name: 'http', port: solver.port, targetPort: solver.port, protocol: 'TCP' }],
      },
    } as any);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  return name;
}

export async function deleteSolverService(kube: KubeClient, ch: Challenge): Promise<void> {
  await kube.delete(Resources.Service, ch.metadata.namespace, http01SolverName(ch.metadata.uid!, ch.metadata.name!));
}
