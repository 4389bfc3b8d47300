// Facts about an Issuer/ClusterIssuer the Ingress and Certificate rules need, read from the cache.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterView } from '../cluster-view.ts';
import { asArr, asObj, asStr, type Obj, specOf } from '../../lib/untrusted.ts';

export interface IssuerRefInput {
  kind: 'Issuer' | 'ClusterIssuer';
  name: string;
}

export function lookupIssuer(view: ClusterView, namespace: string, ref: IssuerRefInput): KubernetesObject | undefined {
  return ref.kind === 'ClusterIssuer' ? view.clusterIssuer(ref.name) : view.issuer(namespace, ref.name);
}

export function isReady(issuer: KubernetesObject): boolean {
  const conditions = asArr(asObj(asObj(issuer)?.status)?.conditions);
  return conditions.some((c) => asObj(c)?.type === 'Ready' && asObj(c)?.status === 'True');
}

export function readyMessage(issuer: KubernetesObject): string | undefined {
  const ready = asArr(asObj(asObj(issuer)?.status)?.conditions)
    .map(asObj)
    .find((c) => c?.type === 'Ready');
  return asStr(ready?.message);
}

export function acmeOf(issuer: KubernetesObject): Obj | undefined {
  return asObj(specOf(issuer).acme);
}

/** True when the issuer is ACME and none of its solvers can do DNS-01 (so wildcards cannot be issued). */
export function acmeHttp01Only(issuer: KubernetesObject): boolean {
  const acme = acmeOf(issuer);
  if (!acme) return false;
  return !asArr(acme.solvers).some((s) => asObj(s)?.dns01 !== undefined);
}
