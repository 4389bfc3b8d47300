// Defensive readers for untrusted admission objects: a mutating webhook sees objects before schema
// validation, and the fuzz test sends anything. Rules read through these and never throw on shape.
export type Obj = Record<string, unknown>;

export function asObj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}
export function asArr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function asStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function asStrings(v: unknown): string[] {
  return asArr(v).filter((x): x is string => typeof x === 'string');
}
/** Labels or annotations: only string values count. */
export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const o = asObj(v);
  if (!o) return out;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (typeof x === 'string') out[k] = x;
  }
  return out;
}

export interface Meta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: Array<{ kind?: string; name?: string; uid?: string }>;
}

export function metaOf(obj: unknown): Meta {
  const m = asObj(asObj(obj)?.metadata) ?? {};
  return {
    name: asStr(m.name) ?? asStr(m.generateName) ?? '',
    namespace: asStr(m.namespace) ?? '',
    labels: stringMap(m.labels),
    annotations: stringMap(m.annotations),
    ownerReferences: asArr(m.ownerReferences).map((r) => {
      const o = asObj(r) ?? {};
      return { kind: asStr(o.kind), name: asStr(o.name), uid: asStr(o.uid) };
    }),
  };
}

export function specOf(obj: unknown): Obj {
  return asObj(asObj(obj)?.spec) ?? {};
}
