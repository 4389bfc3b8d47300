// RBAC authorization from stored Roles, ClusterRoles and their bindings, as the real RBAC
// authorizer evaluates them. system:masters is always allowed.
import type { AuthorizationAttributes } from './http.ts';
import type { UserInfo } from './admission.ts';
import { matchLabelSelectorObject } from './selectors.ts';
import type { KObj, Storage } from './storage.ts';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs?: string[];
}
export interface RoleRef {
  apiGroup?: string;
  kind: string;
  name: string;
}

/** The bootstrap ClusterRole system:basic-user, bound to every authenticated user: everyone may ask what they may do. */
const BASIC_USER_RULES: PolicyRule[] = [
  { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
];

const has = (list: string[] | undefined, v: string): boolean => (list ?? []).includes('*') || (list ?? []).includes(v);

function ruleAllows(rule: PolicyRule, a: AuthorizationAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!has(rule.apiGroups, a.group)) return false;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resOk = (rule.resources ?? []).some(
    (r: string) => r === '*' || r === resource || (a.subresource && r === `${a.resource}/*`) || (a.subresource && r === `*/${a.subresource}`),
  );
  if (!resOk) return false;
  if (rule.resourceNames?.length) return a.name !== undefined && rule.resourceNames.includes(a.name);
  return true;
}

export class RbacAuthorizer {
  constructor(private storage: Storage) {}

  authorize = (a: AuthorizationAttributes): boolean => {
    if (a.user.groups.includes('system:masters')) return true;
    return this.rulesFor(a.user, a.namespace).some((r) => ruleAllows(r, a));
  };

  /** Like DefaultRuleResolver.RulesFor: the rules of every ClusterRoleBinding, then every RoleBinding in `namespace`, that names the user. */
  rulesFor(user: UserInfo, namespace?: string): PolicyRule[] {
    const subjectMatches = (s: KObj, bindingNs?: string): boolean => {
      if (s.kind === 'User') return s.name === user.username;
      if (s.kind === 'Group') return user.groups.includes(s.name);
      if (s.kind === 'ServiceAccount') return user.username === `system:serviceaccount:${s.namespace ?? bindingNs}:${s.name}`;
      return false;
    };
    const rules = user.groups.includes('system:authenticated') ? [...BASIC_USER_RULES] : [];
    for (const b of this.storage.list('rbac.authorization.k8s.io/clusterrolebindings')) {
      if ((b.subjects ?? []).some((s: KObj) => subjectMatches(s))) rules.push(...(this.roleRefRules(b.roleRef) ?? []));
    }
    if (namespace) {
      for (const b of this.storage.list('rbac.authorization.k8s.io/rolebindings', namespace)) {
        if ((b.subjects ?? []).some((s: KObj) => subjectMatches(s, namespace))) rules.push(...(this.roleRefRules(b.roleRef, namespace) ?? []));
      }
    }
    return rules;
  }

  /** GetRoleReferenceRules: the rules of the referenced Role or ClusterRole, undefined when it does not exist. */
  roleRefRules(ref: RoleRef, namespace?: string): PolicyRule[] | undefined {
    const role =
      ref.kind === 'ClusterRole'
        ? this.storage.get('rbac.authorization.k8s.io/clusterroles', undefined, ref.name)
        : ref.kind === 'Role' && namespace
          ? this.storage.get('rbac.authorization.k8s.io/roles', namespace, ref.name)
          : undefined;
    if (!role) return undefined;
    // aggregated ClusterRoles: the union of the rules of every ClusterRole their selectors match
    // (the real server's aggregation controller writes that union into .rules)
    const selectors: KObj[] = role.aggregationRule?.clusterRoleSelectors ?? [];
    if (selectors.length === 0) return role.rules ?? [];
    const parts = this.storage
      .list('rbac.authorization.k8s.io/clusterroles')
      .filter((cr) => cr.metadata.name !== role.metadata.name && selectors.some((sel) => matchLabelSelectorObject(sel as any, cr.metadata.labels ?? {})));
    return [...(role.rules ?? []), ...parts.flatMap((cr) => cr.rules ?? [])];
  }
}
