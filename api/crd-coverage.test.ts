// Every field of cert-manager's CRDs (v1.21 and its main branch; the list is in testdata) exists in
// certgate's CRDs, typed or inside a part the API server preserves, so kubectl's strict validation
// accepts cert-manager manifests and a non-strict apply drops nothing. Whether certgate implements
// a field is api/unsupported.ts's business (the webhook refuses the ones it does not, with the reason).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadCrds, schemaForKind, type JSONSchemaProps } from './crds.test-support.ts';

const crds = loadCrds();
const lines = readFileSync(fileURLToPath(new URL('./testdata/cert-manager-crd-fields.txt', import.meta.url)), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'));

/** True when path is declared, or lies below a node that preserves unknown fields. */
function covered(root: JSONSchemaProps, path: string): boolean {
  let node: JSONSchemaProps | undefined = root;
  for (const segment of path.split('.')) {
    if (node?.['x-kubernetes-preserve-unknown-fields']) return true;
    const list = segment.endsWith('[]');
    node = node?.properties?.[list ? segment.slice(0, -2) : segment];
    if (list && node) node = node['x-kubernetes-preserve-unknown-fields'] && !node.items ? node : node.items;
    if (!node) return false;
  }
  return true;
}

test(`certgate's CRDs hold every field of cert-manager's (${lines.length} paths)`, () => {
  const missing = lines.filter((line) => {
    const [kind, path] = line.split(' ');
    return !covered(schemaForKind(crds, kind), path);
  });
  assert.deepEqual(missing, []);
});
