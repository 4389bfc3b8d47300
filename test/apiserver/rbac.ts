// RBAC authorization from stored Roles, ClusterRoles and their bindings, as the real RBAC
// authorizer evaluates them. system:masters is always allowed.
import type { AuthorizationAttributes } from './http.ts';
import { matchLabelSelectorObject } from './selectors.ts';
import type { KObj, Storage } from './storage.ts';

const has = (list: string[] | undefined, v: string): boolean => (list ?? []).includes('*') || (list ?? []).includes(v);

function ruleAllows(rule: KObj, a: AuthorizationAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!has(rule.apiGroups, a.group)) return false;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resOk = (rule.resources ?? []).some((r: string) => r === '*' || r === resource || (a.subresource && r === `${a.resource}/*`) || (a.subresource && r === `*/${a.subresource}`));
  if (!resOk) return false;
  if (rule.resourceNames?.length) return a.name !== undefined && rule.resourceNames.includes(a.name);
  return true;
}

export class RbacAuthorizer {
  constructor(private storage: Storage) {}

  authorize = (a: AuthorizationAttributes): boolean => {
    if (a.user.groups.includes('system:masters')) return true;
    // the bootstrap ClusterRole system:basic-user: everyone may ask what they may do
    if (a.group === 'authorization.k8s.io' && a.verb === 'create' && ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'].includes(a.resource)) return true;
    const subjectMatches = (s: KObj, bindingNs?: string): boolean => {
      if (s.kind === 'User') return s.name === a.user.username;
      if (s.kind === 'Group') return a.user.groups.includes(s.name);
      if (s.kind === 'ServiceAccount') return a.user.username === `system:serviceaccount:${s.namespace ?? bindingNs}:${s.name}`;
      return false;
    };
    const rulesOf = (ref: KObj, ns?: string): KObj[] => {
      const role = ref.kind === 'ClusterRole' ? this.storage.get('rbac.authorization.k8s.io/clusterroles', undefined, ref.name) : this.storage.get('rbac.authorization.k8s.io/roles', ns, ref.name);
      if (!role) return [];
      // aggregated ClusterRoles: the union of the rules of every ClusterRole their selectors match
      const selectors: KObj[] = role.aggregationRule?.clusterRoleSelectors ?? [];
      if (selectors.length === 0) return role.rules ?? [];
      const parts = this.storage.list('rbac.authorization.k8s.io/clusterroles').filter((cr) => cr.metadata.name !== role.metadata.name && selectors.some((sel) => matchLabelSelectorObject(sel as any, cr.metadata.labels ?? {})));
      return [...(role.rules ?? []), ...parts.flatMap((cr) => cr.rules ?? [])];
    };
    for (const b of this.storage.list('rbac.authorization.k8s.io/clusterrolebindings')) {
      if ((b.subjects ?? []).some((s: KObj) => subjectMatches(s)) && rulesOf(b.roleRef).some((r) => ruleAllows(r, a))) return true;
    }
    if (a.namespace) {
      for (const b of this.storage.list('rbac.authorization.k8s.io/rolebindings', a.namespace)) {
        if ((b.subjects ?? []).some((s: KObj) => subjectMatches(s, a.namespace)) && rulesOf(b.roleRef, a.namespace).some((r) => ruleAllows(r, a))) return true;
      }
    }
    return false;
  };
}
