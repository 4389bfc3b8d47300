// RBAC escalation prevention, as the real server's policy-based Role/ClusterRole/(Cluster)RoleBinding
// storage applies it: a user may create or change a role only with rules they already hold (or the
// "escalate" verb on it), and bind a role only when they hold its rules (or the "bind" verb on it).
import { ApiError, notFound, qualifiedResource } from './errors.ts';
import { deepEqual } from './meta.ts';
import type { RbacAuthorizer, PolicyRule, RoleRef } from './rbac.ts';
import type { UserInfo } from './admission.ts';
import type { ResourceType } from './registry.ts';
import type { KObj } from './storage.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
/** What the aggregationRule of a ClusterRole may gather: anything, so only a holder of everything may set it. */
const FULL_AUTHORITY: PolicyRule[] = [
  { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
  { nonResourceURLs: ['*'], verbs: ['*'] },
];

interface EscalationRequest {
  type: ResourceType;
  user: UserInfo;
  namespace?: string;
  name: string;
}

/** Throws 403 (or 404 for a binding to a missing role) when the write would grant rights the user lacks. */
export function checkEscalation(rbac: RbacAuthorizer, req: EscalationRequest, obj: KObj, old?: KObj): void {
  const t = req.type;
  if (t.group !== RBAC_GROUP || !['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(t.kind)) return;
  if (req.user.groups.includes('system:masters')) return; // EscalationAllowed
  if (old && onlyGcFieldsChanged(obj, old)) return;
  const namespace = t.namespaced ? req.namespace : undefined;
  const forbidden = (detail: string) =>
    new ApiError(403, 'Forbidden', `${qualifiedResource(t.group, t.plural)} "${req.name}" is forbidden: ${detail}`, {
      name: req.name,
      group: t.group,
      kind: t.plural,
    });
  const missing = (rules: PolicyRule[]) => uncovered(rbac.rulesFor(req.user, namespace), rules);
  const escalationText = (rules: PolicyRule[]) =>
    `user ${goQuote(req.user.username)} (groups=${goQuoteList(req.user.groups)}) is attempting to grant RBAC permissions not currently held:\n${[...new Set(compact(rules).map(compactString))].sort().join('\n')}`;

  if (t.kind === 'Role' || t.kind === 'ClusterRole') {
    if (rbac.authorize({ user: req.user, verb: 'escalate', group: t.group, resource: t.plural, name: req.name, namespace })) return;
    const lacking = missing(obj.rules ?? []);
    if (lacking.length > 0) throw forbidden(escalationText(lacking));
    if (t.kind === 'ClusterRole' && obj.aggregationRule && missing(FULL_AUTHORITY).length > 0)
      throw forbidden('must have cluster-admin privileges to use the aggregationRule');
    return;
  }
  const ref: RoleRef = obj.roleRef ?? { kind: '', name: '' };
  const refResource = ref.kind === 'ClusterRole' ? 'clusterroles' : ref.kind === 'Role' ? 'roles' : undefined;
  if (refResource && rbac.authorize({ user: req.user, verb: 'bind', group: ref.apiGroup ?? '', resource: refResource, name: ref.name, namespace })) return;
  const rules = rbac.roleRefRules(ref, namespace);
  if (!rules) throw refResource ? notFound(RBAC_GROUP, refResource, ref.name) : forbidden(`unsupported role reference kind: ${goQuote(ref.kind)}`);
  const lacking = missing(rules);
  if (lacking.length > 0) throw forbidden(escalationText(lacking));
}

/** IsOnlyMutatingGCFields: a change of ownerReferences or finalizers alone is never an escalation. */
function onlyGcFieldsChanged(obj: KObj, old: KObj): boolean {
  const strip = (o: KObj) => {
    const { ownerReferences: _o, finalizers: _f, resourceVersion: _r, managedFields: _m, ...meta } = o.metadata ?? {};
    return { ...o, metadata: meta };
  };
  return deepEqual(strip(obj), strip(old));
}

/** validation.Covers: the servant rules broken down to one group/resource/verb(/name) each, minus those an owner rule covers. */
function uncovered(owner: PolicyRule[], servant: PolicyRule[]): PolicyRule[] {
  return servant.flatMap(breakdown).filter((sub) => !owner.some((o) => ruleCovers(o, sub)));
}

function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? [])
    for (const resource of rule.resources ?? [])
      for (const verb of rule.verbs ?? []) {
        if (rule.resourceNames?.length)
          for (const name of rule.resourceNames) out.push({ apiGroups: [group], resources: [resource], resourceNames: [name], verbs: [verb] });
        else out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
      }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs ?? []) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

const hasAll = (set: string[] | undefined, wanted: string[] | undefined) => (wanted ?? []).every((w) => (set ?? []).includes(w));
const includes = (set: string[] | undefined, v: string) => (set ?? []).includes(v);

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = includes(owner.verbs, '*') || hasAll(owner.verbs, sub.verbs);
  const groups = includes(owner.apiGroups, '*') || hasAll(owner.apiGroups, sub.apiGroups);
  const resources =
    includes(owner.resources, '*') ||
    (sub.resources ?? []).every((r) => includes(owner.resources, r) || (r.includes('/') && includes(owner.resources, `*/${r.split('/').slice(1).join('/')}`)));
  const urls = (sub.nonResourceURLs ?? []).every((u) =>
    (owner.nonResourceURLs ?? []).some((o) => o === u || (o.endsWith('*') && u.startsWith(o.replace(/\*+$/, '')))),
  );
  const names = sub.resourceNames?.length ? !owner.resourceNames?.length || hasAll(owner.resourceNames, sub.resourceNames) : !owner.resourceNames?.length;
  return verbs && groups && resources && urls && names;
}

/** CompactRules: rules of one group and resource (and at most one name) that differ only by verb become one. */
function compact(rules: PolicyRule[]): PolicyRule[] {
  const simple = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const r of rules) {
    const isSimple = !r.nonResourceURLs?.length && (r.resourceNames?.length ?? 0) <= 1 && r.apiGroups?.length === 1 && r.resources?.length === 1;
    if (!isSimple) {
      out.push(r);
      continue;
    }
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames ?? null]);
    const seen = simple.get(key);
    if (seen) seen.verbs = [...(seen.verbs ?? []), ...(r.verbs ?? [])];
    else simple.set(key, structuredClone(r));
  }
  return [...out, ...simple.values()];
}

/** rbacv1helpers.CompactString: {APIGroups:["x"], Resources:["y"], ResourceNames:["n"], Verbs:["get"]}, empty parts left out. */
function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${goQuoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${goQuoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${goQuoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${goQuoteList(r.resourceNames)}`);
  if (r.verbs?.length) parts.push(`Verbs:${goQuoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Go's %q of a string (printable ASCII here) and of a []string: ["a" "b"]. */
const goQuote = (s: string): string => JSON.stringify(s);
const goQuoteList = (l: string[]): string => `[${l.map(goQuote).join(' ')}]`;
