// The patch formats the API server accepts: JSON merge patch (RFC 7386), JSON patch (RFC 6902)
// and a strategic merge patch subset for built-in types (lists merged by their patchMergeKey).
import { ApiError } from './errors.ts';

type Json = any;
const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, any> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function decodePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw jsonPatchError(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}
const jsonPatchError = (msg: string) => new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${msg}`);

function parentOf(doc: Json, tokens: string[], op: string): { parent: any; key: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObj(cur) ? cur[t] : undefined;
    if (cur === undefined) throw jsonPatchError(`${op} operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  }
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function getAt(doc: Json, path: string): Json {
  let cur = doc;
  for (const t of decodePointer(path)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : isObj(cur) ? cur[t] : undefined;
    if (cur === undefined) throw jsonPatchError(`doc is missing path: "${path}"`);
  }
  return cur;
}

function addAt(doc: Json, path: string, value: Json, op: string): Json {
  const tokens = decodePointer(path);
  if (tokens.length === 0) return structuredClone(value);
  const { parent, key } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw jsonPatchError(`${op} operation does not apply: index out of bounds: ${key}`);
    parent.splice(i, 0, structuredClone(value));
  } else if (isObj(parent)) parent[key] = structuredClone(value);
  else throw jsonPatchError(`${op} operation does not apply: doc is missing path: "${path}"`);
  return doc;
}

function removeAt(doc: Json, path: string, op: string): Json {
  const tokens = decodePointer(path);
  const { parent, key } = parentOf(doc, tokens, op);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw jsonPatchError(`${op} operation does not apply: doc is missing path: "${path}"`);
    parent.splice(i, 1);
  } else if (isObj(parent) && key in parent) delete parent[key];
  else throw jsonPatchError(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
  return doc;
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw jsonPatchError('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target);
  for (const o of ops) {
    switch (o.op) {
      case 'add':
        doc = addAt(doc, o.path, o.value, 'add');
        break;
      case 'remove':
        doc = removeAt(doc, o.path, 'remove');
        break;
      case 'replace':
        doc = removeAt(doc, o.path, 'replace');
        doc = addAt(doc, o.path, o.value, 'replace');
        break;
      case 'move': {
        const v = getAt(doc, o.from);
        doc = removeAt(doc, o.from, 'move');
        doc = addAt(doc, o.path, v, 'move');
        break;
      }
      case 'copy':
        doc = addAt(doc, o.path, getAt(doc, o.from), 'copy');
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, o.path)) !== JSON.stringify(o.value)) throw jsonPatchError(`testing value ${o.path} failed: test failed`);
        break;
      default:
        throw jsonPatchError(`Unexpected kind: ${o.op}`);
    }
  }
  return doc;
}

/** patchMergeKey of list fields in built-in types (by field name; 'ports' depends on the parent). */
export function listMergeKey(kind: string, path: string, field: string): string | 'primitive' | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'env':
    case 'imagePullSecrets':
    case 'webhooks':
    case 'secrets':
    case 'envFrom':
      return field === 'envFrom' ? undefined : 'name';
    case 'ports':
      return kind === 'Service' && path === 'spec' ? 'port' : 'containerPort';
    case 'volumeMounts':
      return 'mountPath';
    case 'ownerReferences':
      return 'uid';
    case 'finalizers':
      return 'primitive';
    case 'conditions':
      return 'type';
    case 'hostAliases':
      return 'ip';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    default:
      return undefined;
  }
}

/** Strategic merge patch for built-in types (`kind` selects the merge keys). */
export function strategicMergePatch(kind: string, target: Json, patch: Json): Json {
  return smpMap(kind, '', isObj(target) ? target : {}, patch);
}

function smpMap(kind: string, path: string, orig: Record<string, any>, patch: Record<string, any>): any {
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, any> = { ...orig };
  const orders: Record<string, any[]> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) {
      orders[k.slice('$setElementOrder/'.length)] = v;
      continue;
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[f])) out[f] = out[f].filter((x: any) => !(v as any[]).includes(x));
      continue;
    }
    const childPath = path ? `${path}.${k}` : k;
    if (v === null) delete out[k];
    else if (isObj(v) && isObj(out[k])) {
      const merged = smpMap(kind, childPath, out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (isObj(v)) {
      const merged = smpMap(kind, childPath, {}, v);
      if (merged !== undefined) out[k] = merged;
    } else if (Array.isArray(v)) {
      const key = listMergeKey(kind, path, k);
      const current = Array.isArray(out[k]) ? out[k] : [];
      if (key === 'primitive') out[k] = [...current, ...v.filter((x) => !current.includes(x))];
      else if (key) out[k] = smpList(kind, childPath, current, v, key);
      else out[k] = structuredClone(v);
    } else out[k] = v;
  }
  for (const [f, order] of Object.entries(orders)) if (Array.isArray(out[f])) out[f] = reorder(out[f], order, listMergeKey(kind, path, f));
  if (Array.isArray(patch.$retainKeys)) {
    for (const k of Object.keys(out)) if (!patch.$retainKeys.includes(k)) delete out[k];
  }
  return out;
}

function smpList(kind: string, path: string, orig: any[], patch: any[], key: string): any[] {
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) return patch.filter((p) => !(isObj(p) && p.$patch === 'replace')).map((p) => structuredClone(p));
  const out = orig.map((x) => structuredClone(x));
  for (const item of patch) {
    if (!isObj(item)) {
      out.push(item);
      continue;
    }
    const i = out.findIndex((o) => isObj(o) && o[key] === item[key]);
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
      continue;
    }
    if (i >= 0) out[i] = smpMap(kind, path, out[i], item);
    else out.push(smpMap(kind, path, {}, item));
  }
  return out;
}

function reorder(list: any[], order: any[], key: string | undefined): any[] {
  const id = (x: any) => (key && key !== 'primitive' && isObj(x) ? x[key] : x);
  const orderIds = order.map(id);
  const ordered = orderIds.map((oid) => list.find((x) => id(x) === oid)).filter((x) => x !== undefined);
  return [...ordered, ...list.filter((x) => !orderIds.includes(id(x)))];
}
