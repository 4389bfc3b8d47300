// cert-manager's documentation examples (api/testdata/cert-manager-docs-examples.yaml, copied from
// the cert-manager/website pages, each with its "# source:") apply to certgate unchanged: each passes
// the CRD schema with nothing pruned and is admitted by the validating webhook in enforce mode
// (warnings allowed), with the issuers of the same page in place. The exceptions are deliberate and
// named: an example marked "# certgate: refused RULE: why" is refused with exactly that rule, and one
// that sets a field of api/unsupported.ts is refused with unsupported-field for exactly those fields.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadCrds } from '../../api/crds.test-support.ts';
import { createSchemaChecker } from '../../api/schema-validate.test-support.ts';
import { findUnsupportedFields, type CrdKind } from '../../api/unsupported.ts';
import { handleValidate } from '../admission/handlers.ts';
import { staticClusterView, type KubeObject } from '../cluster-view.ts';
import type { RuleId } from '../rules/ids.ts';

type Doc = KubeObject & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
interface Example {
  doc: Doc;
  source: string;
  refusedBy?: string;
}

const file = fileURLToPath(new URL('../../api/testdata/cert-manager-docs-examples.yaml', import.meta.url));
const examples: Example[] = parseAllDocuments(readFileSync(file, 'utf8')).map((d, i) => {
  const comment = `${d.commentBefore ?? ''}\n${d.contents?.commentBefore ?? ''}`;
  const source = /^ ?source: (.+)$/m.exec(comment)?.[1];
  if (!source) throw new Error(`document ${i + 1} of ${file} names no source page`);
  return { doc: d.toJS() as Doc, source, refusedBy: /^ ?certgate: refused ([a-z0-9-]+):/m.exec(comment)?.[1] };
});
const page = (source: string) => source.split(/[ ,]/)[0];
const schemaCheck = createSchemaChecker(loadCrds());
const config = {
  mode: 'enforce' as const,
  disabledRules: new Set<RuleId>(),
  transparentTls: false,
  productionLabel: { key: 'certgate.io/environment', value: 'production' },
};
const isCertManager = (doc: Doc) => /^(acme\.)?cert-manager\.io\//.test(doc.apiVersion);

/** What a user applying this page has in the cluster: the page's issuers, Ready (namespace default when the example names none). */
function pageView(source: string) {
  const peers = examples.filter((e) => page(e.source) === page(source)).map((e) => e.doc);
  const ready = (kind: string) =>
    peers
      .filter((d) => d.kind === kind)
      .map((d) => ({ ...d, metadata: { namespace: 'default', ...d.metadata }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }));
  return staticClusterView({ issuers: ready('Issuer'), clusterIssuers: ready('ClusterIssuer') });
}

/** The rule ids of a denial message ("certgate: [rule] field: ..." or "certgate found N problems: - [rule] ..."). */
const deniedRules = (message = '') => [...message.matchAll(/(?:^|\n- |certgate: )\[([a-z0-9-]+)\]/g)].map((m) => m[1]);

for (const { doc, source, refusedBy } of examples) {
  const unsupported = isCertManager(doc) ? findUnsupportedFields(doc.kind as CrdKind, doc) : [];
  const expected = [...(refusedBy ? [refusedBy] : []), ...unsupported.map(() => 'unsupported-field')];
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
      { view: pageView(source), config },
    );
    if (expected.length === 0) {
      assert.equal(response.allowed, true, response.status?.message);
      return;
    }
    assert.equal(response.allowed, false, `expected a denial by ${expected.join(', ')}`);
    assert.deepEqual(deniedRules(response.status?.message).sort(), expected.sort(), response.status?.message);
    for (const use of unsupported) assert.ok(response.status?.message?.includes(use.path), `names ${use.path}`);
  });
}

test('the docs examples file covers the pages it says it does', () => {
  const pages = new Set(examples.map((e) => page(e.source)));
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
});
