// Semantic equality of API objects and their parts: what decides whether a write is needed.
// Key order is not meaning (the real API server returns custom resources with keys sorted, the
// embedded one and our own code build them in insertion order), and a key holding undefined is
// the same as an absent key (JSON drops it on the way to the server).
import { isDeepStrictEqual } from 'node:util';

/** A copy without undefined-valued keys (recursively), as the object would look after a JSON round trip. */
function normalized<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : normalized(x))) as T;
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = normalized(x);
  return out as T;
}

/** True when a and b would be the same JSON document up to key order. */
export function semanticallyEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalized(a), normalized(b));
}
