// Label and field selectors with the syntax of k8s.io/apimachinery/pkg/labels and fields.
import { badRequest } from './errors.ts';
import type { KObj } from './storage.ts';

type Requirement =
  { key: string; op: 'eq' | 'neq'; value: string } | { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

/** Split at commas that are not inside parentheses: "a in (x,y),b" -> ["a in (x,y)", "b"]. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

export function parseLabelSelector(s: string): Requirement[] {
  return splitTerms(s).map((term) => {
    let m = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m)
      return {
        key: m[1],
        op: m[2] as 'in' | 'notin',
        values: m[3]
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== ''),
      };
    m = /^([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/.exec(term);
    if (m) return { key: m[1], op: m[2] === '!=' ? 'neq' : 'eq', value: m[3] };
    m = /^!\s*([A-Za-z0-9._/-]+)$/.exec(term);
    if (m) return { key: m[1], op: '!exists' };
    m = /^([A-Za-z0-9._/-]+)$/.exec(term);
    if (m) return { key: m[1], op: 'exists' };
    throw badRequest(`unable to parse requirement: found '${term}', expected: valid label selector`);
  });
}

export function matchLabels(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]);
      case 'notin':
        return !has || !r.values.includes(l[r.key]);
      case 'exists':
        return has;
      case '!exists':
        return !has;
    }
  });
}

/** metav1.LabelSelector (matchLabels + matchExpressions), as used by webhooks' namespaceSelector/objectSelector. */
export function matchLabelSelectorObject(
  sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!sel) return true;
  const reqs: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, value]) => ({ key, op: 'eq' as const, value }));
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') reqs.push({ key: e.key, op, values: e.values ?? [] });
    else if (op === 'exists') reqs.push({ key: e.key, op: 'exists' });
    else if (op === 'doesnotexist') reqs.push({ key: e.key, op: '!exists' });
  }
  return matchLabels(reqs, labels);
}

type FieldReq = { field: string; op: 'eq' | 'neq'; value: string };

const FIELD_GETTERS: Record<string, (o: KObj) => string | undefined> = {
  'metadata.name': (o) => o.metadata?.name,
  'metadata.namespace': (o) => o.metadata?.namespace ?? '',
  type: (o) => o.type,
  'spec.nodeName': (o) => o.spec?.nodeName ?? '',
  'status.phase': (o) => o.status?.phase ?? '',
  'involvedObject.name': (o) => o.involvedObject?.name,
  'involvedObject.namespace': (o) => o.involvedObject?.namespace,
  'involvedObject.kind': (o) => o.involvedObject?.kind,
  'involvedObject.uid': (o) => o.involvedObject?.uid,
  reason: (o) => o.reason,
};

export function parseFieldSelector(s: string, kind: string): FieldReq[] {
  return splitTerms(s).map((term) => {
    const m = /^([A-Za-z0-9._-]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const field = m[1];
    const supported =
      field.startsWith('metadata.') || (field === 'type' && (kind === 'Secret' || kind === 'Event')) || (field in FIELD_GETTERS && field !== 'type');
    if (!supported || !(field in FIELD_GETTERS)) throw badRequest(`field label not supported: ${field}`);
    return { field, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3].trim() };
  });
}

export function matchFields(reqs: FieldReq[], obj: KObj): boolean {
  return reqs.every((r) => {
    const v = FIELD_GETTERS[r.field](obj) ?? '';
    return r.op === 'eq' ? v === r.value : v !== r.value;
  });
}
