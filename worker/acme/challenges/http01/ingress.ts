// HTTP-01 routes: either a temporary solver Ingress (ingressClassName / class annotation, with
// the template's labels and annotations) or, with http01.ingress.name, a path added to the user's
// own Ingress ("edit in place"). Both route /.well-known/acme-challenge/<token> for the
// challenge's host to the solver Service, and both are undone when the challenge ends.
import { isIP } from 'node:net';
import { Resources } from '../../../../api/resources.ts';
import type { Challenge } from '../../../../api/types.generated.ts';
import { isAlreadyExists, isConflict, type KubeClient } from '../../../../lib/kube/client.ts';
import { http01SolverName } from '../../../object-names.ts';
import { ownerRef, solverObjectLabels } from './service.ts';
import type { Http01IngressPathType } from '../../../config.ts';

const challengePath = (ch: Challenge) => `/.well-known/acme-challenge/${ch.spec.token}`;
/** Ingress hosts must be DNS names: an IP identifier's route is a rule without host (as cert-manager does). */
const ruleHost = (ch: Challenge): string | undefined => (isIP(ch.spec.dnsName) ? undefined : ch.spec.dnsName);

function challengePathEntry(ch: Challenge, serviceName: string, port: number, pathType: Http01IngressPathType) {
  return { path: challengePath(ch), pathType, backend: { service: { name: serviceName, port: { number: port } } } };
}

/** A user-facing error in the solver configuration (shown in the Challenge status). */
export class SolverConfigError extends Error {
  override name = 'SolverConfigError';
}

/** IngressClasses seen to exist, and until when that answer stands (one GET per class a minute, not per challenge). */
const knownClasses = new WeakMap<KubeClient, Map<string, number>>();
const CLASS_MEMO_MS = 60_000;

async function ingressClassExists(kube: KubeClient, name: string): Promise<boolean> {
  let known = knownClasses.get(kube);
  if (!known) knownClasses.set(kube, (known = new Map()));
  if ((known.get(name) ?? 0) > Date.now()) return true;
  const found = !!(await kube.get(Resources.IngressClass, undefined, name));
  if (found) known.set(name, Date.now() + CLASS_MEMO_MS);
  return found;
}

export async function ensureRoute(kube: KubeClient, ch: Challenge, serviceName: string, port: number, pathType: Http01IngressPathType): Promise<void> {
  const ing = ch.spec.solver.http01?.ingress ?? {};
  if (ing.name) return addPathInPlace(kube, ch, ing.name, serviceName, port, pathType);
  // A class nobody implements means the route is never served: say so instead of timing out.
  if (ing.ingressClassName && !(await ingressClassExists(kube, ing.ingressClassName))) {
    throw new SolverConfigError(
      `IngressClass "${ing.ingressClassName}" not found: no ingress controller will serve the HTTP-01 route (check http01.ingress.ingressClassName)`,
    );
  }
  const name = http01SolverName(ch.metadata.uid!, ch.metadata.name!);
  const tmpl = ing.ingressTemplate?.metadata ?? {};
  const annotations: Record<string, string> = { ...(tmpl.annotations ?? {}) };
  if (ing.class) annotations['kubernetes.io/ingress.class'] = ing.class;
  try {
    await kube.create(Resources.Ingress, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name,
        namespace: ch.metadata.namespace,
        labels: { ...(tmpl.labels ?? {}), ...solverObjectLabels(ch) },
        annotations,
        ownerReferences: ownerRef(ch),
      },
      spec: {
        ...(ing.ingressClassName ? { ingressClassName: ing.ingressClassName } : {}),
        rules: [{ ...(ruleHost(ch) ? { host: ruleHost(ch) } : {}), http: { paths: [challengePathEntry(ch, serviceName, port, pathType)] } }],
      },
    } as any);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err; // a previous pass made it
  }
}

export async function removeRoute(kube: KubeClient, ch: Challenge): Promise<void> {
  const ing = ch.spec.solver.http01?.ingress ?? {};
  if (ing.name) return removePathInPlace(kube, ch, ing.name);
  await kube.delete(Resources.Ingress, ch.metadata.namespace, http01SolverName(ch.metadata.uid!, ch.metadata.name!));
}

async function addPathInPlace(
  kube: KubeClient,
  ch: Challenge,
  ingressName: string,
  serviceName: string,
  port: number,
  pathType: Http01IngressPathType,
): Promise<void> {
  await editIngress(kube, ch, ingressName, (ingress) => {
    const rules: any[] = (ingress.spec.rules ??= []);
    let rule = rules.find((r) => r.host === ruleHost(ch));
    if (!rule) rules.push((rule = { ...(ruleHost(ch) ? { host: ruleHost(ch) } : {}), http: { paths: [] } }));
    const paths: any[] = ((rule.http ??= { paths: [] }).paths ??= []);
    if (paths.some((p) => p.path === challengePath(ch))) return false;
    paths.unshift(challengePathEntry(ch, serviceName, port, pathType));
    return true;
  });
}

async function removePathInPlace(kube: KubeClient, ch: Challenge, ingressName: string): Promise<void> {
  await editIngress(
    kube,
    ch,
    ingressName,
    (ingress) => {
      let changed = false;
      const rules: any[] = ingress.spec?.rules ?? [];
      for (const rule of rules) {
        const paths: any[] = rule.http?.paths ?? [];
        const kept = paths.filter((p) => p.path !== challengePath(ch));
        if (kept.length !== paths.length) {
          rule.http.paths = kept;
          changed = true;
        }
      }
      // Drop a rule we added that now routes nothing.
      ingress.spec.rules = rules.filter((r) => !(r.host === ruleHost(ch) && r.http && r.http.paths.length === 0));
      return changed;
    },
    true,
  );
}

/** Read-modify-write with resourceVersion, retried on conflict (the user may edit it too). */
async function editIngress(kube: KubeClient, ch: Challenge, name: string, mutate: (ing: any) => boolean, missingOk = false): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const ingress = await kube.get<any>(Resources.Ingress, ch.metadata.namespace, name);
    if (!ingress) {
      if (missingOk) return;
      throw new SolverConfigError(`Ingress ${ch.metadata.namespace}/${name} named in http01.ingress.name (edit in place) not found`);
    }
    ingress.spec ??= {};
    if (!mutate(ingress)) return;
    try {
      await kube.replace(Resources.Ingress, ingress);
      return;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  throw new Error(`Ingress ${ch.metadata.namespace}/${name}: too many conflicting updates`);
}
