// cert-manager's documentation examples for Issuers, Certificates and annotated Ingresses apply to
// certgate unchanged: each passes the CRD schema with nothing pruned and is admitted by the
// validating webhook in enforce mode (warnings allowed), with the issuers of the same file in place.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { loadCrds } from '../../api/crds.ts';
import { createSchemaChecker } from '../../api/schema-validate.test-support.ts';
import { handleValidate } from '../admission/handlers.ts';
import { staticClusterView, type KubeObject } from '../cluster-view.ts';
import type { RuleId } from '../rules/ids.ts';

const file = fileURLToPath(new URL('../../api/testdata/cert-manager-docs-examples.yaml', import.meta.url));
const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as KubeObject & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } });
const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
const withStatus = (kind: string) => docs.filter((d) => d.kind === kind).map((d) => ({ ...d, status: ready }));
const view = staticClusterView({ issuers: withStatus('Issuer'), clusterIssuers: withStatus('ClusterIssuer'), namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sandbox' } }] });
const schemaCheck = createSchemaChecker(loadCrds());
const config = { mode: 'enforce' as const, disabledRules: new Set<RuleId>(), transparentTls: false, productionLabel: { key: 'certgate.io/environment', value: 'production' } };

for (const doc of docs) {
  test(`cert-manager docs example applies unchanged: ${doc.kind} ${doc.metadata.name}`, () => {
    if (doc.apiVersion.startsWith('cert-manager.io/')) {
      const schema = schemaCheck(doc.kind, doc);
      assert.deepEqual([schema.errors, schema.pruned], [[], []]);
    }
    const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : ['', doc.apiVersion];
    const { response } = handleValidate({ uid: 'docs', kind: { group, version, kind: doc.kind }, namespace: doc.metadata.namespace, name: doc.metadata.name, operation: 'CREATE', object: doc }, { view, config });
    assert.equal(response.allowed, true, response.status?.message);
  });
}
