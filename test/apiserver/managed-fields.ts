// Field ownership (metadata.managedFields, fieldsType FieldsV1) and server-side apply, modelled on
// structured-merge-diff as kube-apiserver uses it: every write records which manager set which
// fields; an apply merges the applied configuration into the live object, answers 409 when it
// changes a field another manager owns (unless force), and removes fields its manager applied
// before and no longer applies when nobody else owns them.
import { ApiError } from './errors.ts';
import { deepEqual, now } from './meta.ts';
import { listMergeKey } from './patch.ts';
import type { ResourceType } from './registry.ts';
import type { StructuralSchema } from './schema-validate.ts';
import type { KObj } from './storage.ts';

/** A path is its elements ("f:spec", "k:{\"name\":\"a\"}", "v:\"x\"") joined by NUL. */
type PathKey = string;
const SEP = '\u0000';
type ListType = { kind: 'atomic' } | { kind: 'set' } | { kind: 'map'; keys: string[] };

interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: KObj;
  subresource?: string;
}

/** Server-owned metadata never tracked (stripMeta), and the top-level fields outside the write's reach. */
const STRIPPED_META = [
  'name',
  'namespace',
  'creationTimestamp',
  'selfLink',
  'uid',
  'generation',
  'managedFields',
  'resourceVersion',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

interface Flat {
  leaves: Map<PathKey, string>;
  containers: Set<PathKey>;
}

/** How lists are merged at a path: the CRD schema's x-kubernetes-list-type, or the built-in kinds' patch merge keys. */
function listTypeAt(t: ResourceType, names: string[], schema: StructuralSchema | undefined): ListType {
  const field = names[names.length - 1];
  if (names.length === 2 && names[0] === 'metadata') {
    if (field === 'finalizers') return { kind: 'set' };
    if (field === 'ownerReferences') return { kind: 'map', keys: ['uid'] };
  }
  if (!t.builtin) {
    const lt = schema?.['x-kubernetes-list-type'];
    if (lt === 'set') return { kind: 'set' };
    if (lt === 'map') return { kind: 'map', keys: schema?.['x-kubernetes-list-map-keys'] ?? [] };
    return { kind: 'atomic' };
  }
  const key = listMergeKey(t.kind, names.slice(0, -1).join('.'), field);
  if (key === 'primitive') return { kind: 'set' };
  return key ? { kind: 'map', keys: [key] } : { kind: 'atomic' };
}

const childSchema = (s: StructuralSchema | undefined, field: string): StructuralSchema | undefined =>
  s?.properties?.[field] ?? (typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined);
const isObj = (v: unknown): v is KObj => typeof v === 'object' && v !== null && !Array.isArray(v);
const itemKey = (item: KObj, keys: string[]): string => `k:${JSON.stringify(Object.fromEntries([...keys].sort().map((k) => [k, item[k]])))}`;

/** Every path of an object: leaves (scalars, atomic lists, set members) with their JSON value, and the containers above them. */
function flatten(t: ResourceType, obj: KObj, scope: 'main' | 'status'): Flat {
  const flat: Flat = { leaves: new Map(), containers: new Set() };
  const walk = (v: unknown, path: string[], names: string[], schema: StructuralSchema | undefined): void => {
    const key = path.join(SEP);
    if (isObj(v)) {
      if (path.length > 0) flat.containers.add(key);
      for (const [k, child] of Object.entries(v)) if (child !== undefined) walk(child, [...path, `f:${k}`], [...names, k], childSchema(schema, k));
      return;
    }
    if (Array.isArray(v)) {
      const lt = listTypeAt(t, names, schema);
      if (lt.kind === 'atomic') return void flat.leaves.set(key, JSON.stringify(v));
      flat.containers.add(key);
      for (const item of v) {
        if (lt.kind === 'set') flat.leaves.set([...path, `v:${JSON.stringify(item)}`].join(SEP), JSON.stringify(item));
        else if (isObj(item)) walk(item, [...path, itemKey(item, lt.keys)], names, schema?.items);
      }
      return;
    }
    flat.leaves.set(key, JSON.stringify(v));
  };
  const { apiVersion: _a, kind: _k, metadata, status, ...rest } = obj;
  const meta = Object.fromEntries(Object.entries(metadata ?? {}).filter(([k]) => !STRIPPED_META.includes(k)));
  const tracked: KObj = scope === 'status' ? { status } : t.statusSubresource ? { ...rest, metadata: meta } : { ...rest, status, metadata: meta };
  walk(tracked, [], [], t.schema);
  flat.containers.delete('f:metadata'); // metadata itself is stripped, only its fields are owned
  return flat;
}

const pathsOf = (f: Flat): Set<PathKey> => new Set([...f.leaves.keys(), ...f.containers]);

/** Paths added or whose value changed from `before` to `after`, and paths removed. */
function compare(before: Flat, after: Flat): { changed: Set<PathKey>; removed: Set<PathKey> } {
  const changed = new Set<PathKey>();
  const removed = new Set<PathKey>();
  for (const [p, v] of after.leaves) if (before.leaves.get(p) !== v) changed.add(p);
  for (const p of after.containers) if (!before.containers.has(p)) changed.add(p);
  for (const p of pathsOf(before)) if (!after.leaves.has(p) && !after.containers.has(p)) removed.add(p);
  return { changed, removed };
}

// ---- fieldsV1 encoding -------------------------------------------------------------------------

function toFieldsV1(set: Set<PathKey>): KObj {
  const root: KObj = {};
  for (const p of [...set].sort()) {
    let node = root;
    for (const el of p.split(SEP)) node = node[el] ??= {};
  }
  // a member that has children is marked with ".": {}
  const mark = (node: KObj, prefix: string[]): KObj => {
    const out: KObj = {};
    const children = Object.keys(node).sort();
    if (children.length > 0 && prefix.length > 0 && set.has(prefix.join(SEP))) out['.'] = {};
    for (const c of children) out[c] = mark(node[c], [...prefix, c]);
    return out;
  };
  return mark(root, []);
}

function fromFieldsV1(fields: KObj | undefined): Set<PathKey> {
  const set = new Set<PathKey>();
  const walk = (node: KObj, prefix: string[]) => {
    const children = Object.keys(node).filter((k) => k !== '.');
    if (prefix.length > 0 && (children.length === 0 || '.' in node)) set.add(prefix.join(SEP));
    for (const c of children) if (isObj(node[c])) walk(node[c], [...prefix, c]);
  };
  if (isObj(fields)) walk(fields, []);
  return set;
}

/** structured-merge-diff's Path.String(): .spec.containers[name="a"].image, [="x"] for set members. */
function displayPath(p: PathKey): string {
  return p
    .split(SEP)
    .map((el) => {
      const body = el.slice(2);
      if (el.startsWith('f:')) return `.${body}`;
      if (el.startsWith('v:')) return `[=${body}]`;
      if (el.startsWith('i:')) return `[${body}]`;
      return `[${Object.entries(JSON.parse(body))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

// ---- managers ----------------------------------------------------------------------------------

interface Manager {
  entry: Omit<ManagedFieldsEntry, 'fieldsV1'>;
  set: Set<PathKey>;
}
const managerId = (e: { manager: string; operation: string; apiVersion: string; subresource?: string }) =>
  JSON.stringify([e.manager, e.operation, e.operation === 'Apply' ? '' : e.apiVersion, e.subresource ?? '']);

function decodeManagers(obj: KObj): Map<string, Manager> {
  const out = new Map<string, Manager>();
  for (const e of (obj.metadata?.managedFields ?? []) as ManagedFieldsEntry[]) {
    if (!isObj(e) || typeof e.manager !== 'string') continue;
    const { fieldsV1, ...entry } = e;
    out.set(managerId(entry), { entry: { ...entry, fieldsType: 'FieldsV1' }, set: fromFieldsV1(fieldsV1) });
  }
  return out;
}

/** Encoded like the real server: non-empty sets only, sorted by operation (Apply first), time, manager, apiVersion, subresource. */
function encodeManagers(managers: Map<string, Manager>): ManagedFieldsEntry[] {
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  return [...managers.values()]
    .filter((m) => m.set.size > 0)
    .map((m): ManagedFieldsEntry => ({ ...m.entry, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(m.set) }))
    .sort((p, q) =>
      p.operation !== q.operation
        ? p.operation < q.operation
          ? -1
          : 1
        : seconds(p.time) - seconds(q.time) || cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource ?? '', q.subresource ?? ''),
    );
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface WriteInfo {
  type: ResourceType;
  manager: string;
  apiVersion: string;
  subresource?: string;
}

/**
 * Managed fields after a create, update or patch (operation Update): the writer gains every field it
 * added or changed, others lose those, and removed fields leave every set. Server-side changes after
 * this point (mutating webhooks) are owned by nobody, as on the real server.
 */
export function recordUpdate(w: WriteInfo, old: KObj | undefined, next: KObj): void {
  const scope = w.subresource === 'status' ? 'status' : 'main';
  const managers = old ? baseManagers(next, old) : new Map<string, Manager>();
  const { changed, removed } = compare(old ? flatten(w.type, old, scope) : { leaves: new Map(), containers: new Set() }, flatten(w.type, next, scope));
  const entry = { manager: w.manager, operation: 'Update' as const, apiVersion: w.apiVersion, ...(w.subresource ? { subresource: w.subresource } : {}) };
  const id = managerId(entry);
  for (const [mid, m] of managers) if (mid !== id) m.set = minus(m.set, union(changed, removed));
  const mine = managers.get(id);
  const set = union(minus(mine?.set ?? new Set(), removed), changed);
  if (!mine || !sameSet(mine.set, set)) managers.set(id, { entry: { ...entry, fieldsType: 'FieldsV1', time: now() }, set });
  setManagedFields(next, managers);
}

/** No entries: no managedFields at all (an untracked object stays as it was). */
function setManagedFields(obj: KObj, managers: Map<string, Manager>): void {
  const encoded = encodeManagers(managers);
  if (encoded.length > 0) obj.metadata.managedFields = encoded;
  else delete obj.metadata.managedFields;
}

/** The managers to start from: those the writer sent (a client may replace them), else the stored ones. */
function baseManagers(next: KObj, old: KObj): Map<string, Manager> {
  return Array.isArray(next.metadata?.managedFields) && next.metadata.managedFields.length > 0 ? decodeManagers(next) : decodeManagers(old);
}

/**
 * Server-side apply of `config` by `w.manager` onto `live` (undefined: the object is created).
 * Returns the merged object with its managedFields; throws 409 on conflicts unless force.
 */
export function applyConfig(w: WriteInfo, live: KObj | undefined, config: KObj, force: boolean): KObj {
  const scope = w.subresource === 'status' ? 'status' : 'main';
  const applied = pathsOf(flatten(w.type, config, scope));
  const entry = { manager: w.manager, operation: 'Apply' as const, apiVersion: w.apiVersion, ...(w.subresource ? { subresource: w.subresource } : {}) };
  const id = managerId(entry);
  const managers = live ? decodeManagers(live) : new Map<string, Manager>();
  if (live && managers.size === 0) {
    // an object nobody tracked yet: what it holds belongs to "before-first-apply"
    const before = { manager: 'before-first-apply', operation: 'Update' as const, apiVersion: w.apiVersion };
    managers.set(managerId(before), { entry: { ...before, fieldsType: 'FieldsV1', time: now() }, set: pathsOf(flatten(w.type, live, scope)) });
  }
  const previous = managers.get(id);
  const lastSet = previous?.set ?? new Set<PathKey>();
  let merged = mergeApplied(w.type, live ?? {}, config, [], undefined);
  managers.set(id, { entry: { ...entry, fieldsType: 'FieldsV1', time: previous?.entry.time ?? now() }, set: applied });
  // fields this manager applied before and applies no more go, unless someone else still owns them
  const ownedByAnyone = union(...[...managers.values()].map((m) => m.set));
  merged = prune(
    merged,
    [...lastSet].filter((p) => !ownedByAnyone.has(p)),
  );
  const { changed, removed } = compare(live ? flatten(w.type, live, scope) : { leaves: new Map(), containers: new Set() }, flatten(w.type, merged, scope));
  const conflicts: Array<{ manager: Manager; path: PathKey }> = [];
  for (const [mid, m] of managers) {
    if (mid === id) continue;
    for (const p of m.set) if (changed.has(p)) conflicts.push({ manager: m, path: p });
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  for (const [mid, m] of managers) if (mid !== id) m.set = minus(minus(m.set, changed), removed);
  // the applier's time moves only when the apply changed the object (a repeated apply stays a no-op)
  if (changed.size > 0 || removed.size > 0) managers.get(id)!.entry.time = now();
  merged.metadata ??= {};
  setManagedFields(merged, managers);
  return merged;
}

/** The applied configuration merged into the live object: maps by key, associative lists by their keys, sets by value, atomic values replaced. */
function mergeApplied(t: ResourceType, live: unknown, config: unknown, names: string[], schema: StructuralSchema | undefined): any {
  if (isObj(config)) {
    const out: KObj = isObj(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) {
      if (v === null) continue;
      out[k] = mergeApplied(t, out[k], v, [...names, k], childSchema(schema, k));
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live)) {
    const lt = listTypeAt(t, names, schema);
    if (lt.kind === 'set') return [...live, ...config.filter((x) => !live.some((y) => deepEqual(x, y)))];
    if (lt.kind === 'map') {
      const out = [...live];
      for (const item of config) {
        const i = isObj(item) ? out.findIndex((o) => isObj(o) && lt.keys.every((k) => deepEqual(o[k], item[k]))) : -1;
        if (i >= 0) out[i] = mergeApplied(t, out[i], item, names, schema?.items);
        else out.push(item);
      }
      return out;
    }
  }
  return structuredClone(config);
}

/** Remove the given paths (deepest first); a container goes only when nothing is left in it. */
function prune(obj: KObj, paths: PathKey[]): KObj {
  const out = structuredClone(obj);
  for (const p of [...paths].sort((a, b) => b.split(SEP).length - a.split(SEP).length)) {
    const els = p.split(SEP);
    const parent = els.slice(0, -1).reduce<any>((node, el) => (node === undefined ? undefined : step(node, el)), out);
    const last = els[els.length - 1];
    const target = parent === undefined ? undefined : step(parent, last);
    if (target === undefined || (isObj(target) && Object.keys(target).length > 0) || (Array.isArray(target) && target.length > 0 && !last.startsWith('v:')))
      continue;
    if (last.startsWith('f:') && isObj(parent)) delete parent[last.slice(2)];
    else if (Array.isArray(parent)) parent.splice(parent.indexOf(target), 1);
  }
  return out;
}

function step(node: any, el: string): any {
  const body = el.slice(2);
  if (el.startsWith('f:')) return isObj(node) ? node[body] : undefined;
  if (!Array.isArray(node)) return undefined;
  if (el.startsWith('v:')) return node.find((x) => deepEqual(x, JSON.parse(body)));
  const key = JSON.parse(body);
  return node.find((x) => isObj(x) && Object.entries(key).every(([k, v]) => deepEqual(x[k], v)));
}

/** 409 like internal.NewConflictError: one cause per conflict, managers printed as the real server prints them. */
function conflictError(conflicts: Array<{ manager: Manager; path: PathKey }>): ApiError {
  const printManager = (m: Manager) => {
    let s = JSON.stringify(m.entry.manager);
    if (m.entry.subresource) s += ` with subresource ${JSON.stringify(m.entry.subresource)}`;
    return m.entry.operation === 'Update' ? `${s} using ${m.entry.apiVersion}${m.entry.time ? ` at ${m.entry.time}` : ''}` : s;
  };
  const sorted = [...conflicts].sort((a, b) => cmp(managerId(a.manager.entry), managerId(b.manager.entry)) || cmp(displayPath(a.path), displayPath(b.path)));
  const causes = sorted.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: displayPath(c.path) }));
  let message: string;
  if (sorted.length === 1) message = `Apply failed with 1 conflict: conflict with ${printManager(sorted[0].manager)}: ${displayPath(sorted[0].path)}`;
  else {
    const byManager = new Map<string, { m: Manager; paths: string[] }>();
    for (const c of sorted) {
      const key = managerId(c.manager.entry);
      if (!byManager.has(key)) byManager.set(key, { m: c.manager, paths: [] });
      byManager.get(key)!.paths.push(displayPath(c.path));
    }
    const lines = [...byManager.values()].flatMap(({ m, paths }) => [`conflicts with ${printManager(m)}:`, ...paths.map((p) => `- ${p}`)]);
    message = `Apply failed with ${sorted.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError(409, 'Conflict', message, { causes });
}

const union = (...sets: Set<PathKey>[]): Set<PathKey> => new Set(sets.flatMap((s) => [...s]));
const minus = (a: Set<PathKey>, b: Set<PathKey>): Set<PathKey> => new Set([...a].filter((p) => !b.has(p)));
const sameSet = (a: Set<PathKey>, b: Set<PathKey>): boolean => a.size === b.size && [...a].every((p) => b.has(p));
