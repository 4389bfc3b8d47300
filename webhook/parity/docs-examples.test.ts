// cert-manager's documentation examples (api/testdata/cert-manager-docs-examples.yaml, copied from
// the cert-manager/website pages, each with its "# source:") apply to certgate unchanged: each passes
// the CRD schema with nothing pruned and is admitted by the validating webhook in enforce mode
// (warnings allowed), with the issuers of the same page in place. The exceptions are deliberate and
// named: an example marked "# certgate: refused RULE: why" is refused with exactly that rule, and one
// that sets a field of api/unsupported.ts is refused with unsupported-field for exactly those fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCrds } from '../../api/crds.test-support.ts';
import { createSchemaChecker } from '../../api/schema-validate.test-support.ts';
import { handleValidate } from '../admission/handlers.ts';
import { staticClusterView } from '../cluster-view.ts';
import type { RuleId } from '../rules/ids.ts';
import { deniedRules, docsExamples as examples, isCertManagerObject as isCertManager } from './docs-examples.test-data.ts';

const schemaCheck = createSchemaChecker(loadCrds());
const config = {
  mode: 'enforce' as const,
  disabledRules: new Set<RuleId>(),
  transparentTls: false,
  productionLabel: { key: 'certgate.io/environment', value: 'production' },
};

/** What a user applying this page has in the cluster: the page's issuers, Ready (namespace default when the example names none). */
function pageView(page: string) {
  const peers = examples.filter((e) => e.page === page).map((e) => e.doc);
  const ready = (kind: string) =>
    peers
      .filter((d) => d.kind === kind)
      .map((d) => ({ ...d, metadata: { namespace: 'default', ...d.metadata }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }));
  return staticClusterView({ issuers: ready('Issuer'), clusterIssuers: ready('ClusterIssuer') });
}

for (const { doc, source, page, expectedRules: expected, unsupportedPaths } of examples) {
  const outcome = expected.length === 0 ? 'applies unchanged' : `is refused on purpose (${[...new Set(expected)].join(', ')})`;
  test(`cert-manager docs example ${doc.kind} ${doc.metadata.name} (${source}) ${outcome}`, () => {
    if (isCertManager(doc)) {
      const schema = schemaCheck(doc.kind, doc);
      assert.deepEqual([schema.errors, schema.pruned], [[], []], 'the CRD schema takes it whole');
    }
    const [group, version] = doc.apiVersion.split('/');
    const namespace = doc.kind === 'ClusterIssuer' ? undefined : (doc.metadata.namespace ?? 'default');
    const { response } = handleValidate(
      { uid: 'docs', kind: { group, version, kind: doc.kind }, namespace, name: doc.metadata.name, operation: 'CREATE', object: doc },
      { view: pageView(page), config },
    );
    if (expected.length === 0) {
      assert.equal(response.allowed, true, response.status?.message);
      return;
    }
    assert.equal(response.allowed, false, `expected a denial by ${expected.join(', ')}`);
    assert.deepEqual(deniedRules(response.status?.message).sort(), [...expected].sort(), response.status?.message);
    for (const path of unsupportedPaths) assert.ok(response.status?.message?.includes(path), `names ${path}`);
  });
}

test('the docs examples file covers the pages it says it does', () => {
  const pages = new Set(examples.map((e) => e.page));
  for (const p of [
    'configuration/acme/README.md',
    'configuration/acme/http01/README.md',
    'configuration/acme/dns01/route53.md',
    'configuration/acme/dns01/cloudflare.md',
    'configuration/ca.md',
    'configuration/selfsigned.md',
    'usage/certificate.md',
    'usage/ingress.md',
    'tutorials/acme/nginx-ingress.md',
  ]) {
    assert.ok(pages.has(p), `examples from ${p}`);
  }
  assert.ok(examples.filter((e) => e.doc.kind === 'Ingress').length >= 5, 'annotated Ingresses');
  // The README ("Migrating from cert-manager") states these counts.
  const refused = examples.filter((e) => e.expectedRules.length > 0).length;
  assert.deepEqual({ admitted: examples.length - refused, refused }, { admitted: 72, refused: 19 });
});
