// A minimal RFC 6902 applier (add/remove/replace) so tests check what a patch does to the object,
// independently of how lib/json-patch.ts computed it.
export function jsonPatchApply(doc: any, ops: Array<{ op: string; path: string; value?: unknown }>): any {
  const out = structuredClone(doc);
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let parent = out;
    for (const p of parts) parent = parent[p];
    if (op.op === 'remove') delete parent[last];
    else parent[last] = structuredClone(op.value);
  }
  return out;
}
