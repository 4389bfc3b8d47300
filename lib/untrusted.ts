// Defensive readers for untrusted objects (admission requests are seen before schema validation,
// the fuzz test sends anything): webhook rules and transparent TLS read through these, never throwing on shape.
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
const NO_STRINGS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Labels or annotations: only string values count. Read-only: when every value is a string (the
 * usual case) this is the object itself, so the webhook's request path copies nothing.
 */
export function stringMap(v: unknown): Readonly<Record<string, string>> {
  const o = asObj(v);
  if (!o) return NO_STRINGS;
  let onlyStrings = true;
  for (const k in o) if (typeof o[k] !== 'string') onlyStrings = false;
  if (onlyStrings) return o as Record<string, string>;
  const out: Record<string, string> = {};
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (typeof x === 'string') out[k] = x;
  }
  return out;
}

export interface Meta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly ownerReferences: ReadonlyArray<{ kind?: string; name?: string; uid?: string }>;
}

export function metaOf(obj: unknown): Meta {
  const m = asObj(asObj(obj)?.metadata) ?? {};
  const owners = asArr(m.ownerReferences);
  return {
    name: asStr(m.name) ?? asStr(m.generateName) ?? '',
    namespace: asStr(m.namespace) ?? '',
    labels: stringMap(m.labels),
    annotations: stringMap(m.annotations),
    ownerReferences:
      owners.length === 0
        ? []
        : owners.map((r) => {
            const o = asObj(r) ?? {};
            return { kind: asStr(o.kind), name: asStr(o.name), uid: asStr(o.uid) };
          }),
  };
}

export function specOf(obj: unknown): Obj {
  return asObj(asObj(obj)?.spec) ?? {};
}

export function statusOf(obj: unknown): Obj {
  return asObj(asObj(obj)?.status) ?? {};
}
