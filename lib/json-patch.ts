// RFC 6902 JSON Patch from the difference of two JSON documents: objects are compared key by key,
// arrays and scalars that differ are replaced whole. Used by the webhook (mutations) and the worker (transparent TLS).
type Json = unknown;

const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
const isPlainObject = (v: Json): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

interface PatchOp {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: Json;
}

function equal(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k], b[k]));
  }
  return false;
}

export function diffToJsonPatch(before: Json, after: Json, path = ''): PatchOp[] {
  if (equal(before, after)) return [];
  if (!isPlainObject(before) || !isPlainObject(after)) return [{ op: 'replace', path, value: after }];
  const ops: PatchOp[] = [];
  for (const key of Object.keys(before)) {
    if (!(key in after) || after[key] === undefined) ops.push({ op: 'remove', path: `${path}/${escape(key)}` });
  }
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const p = `${path}/${escape(key)}`;
    if (!(key in before) || before[key] === undefined) ops.push({ op: 'add', path: p, value });
    else ops.push(...diffToJsonPatch(before[key], value, p));
  }
  return ops;
}
