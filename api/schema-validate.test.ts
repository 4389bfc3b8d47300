// Manifests from cert-manager's docs (api/testdata/) validate against certgate's CRD schemas, and
// broken ones fail with readable errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { loadCrds } from './crds.test-support.ts';
import { createSchemaChecker } from './schema-validate.test-support.ts';
import { findUnsupportedFields } from './unsupported.ts';

const check = createSchemaChecker(loadCrds());
const testdata = new URL('./testdata/', import.meta.url);

function manifests(file: string): Array<{ kind: string; metadata: { name: string } } & Record<string, unknown>> {
  return parseAllDocuments(readFileSync(new URL(file, testdata), 'utf8')).map((d) => d.toJS());
}

describe('schema validation of example manifests', () => {
  for (const file of readdirSync(testdata).filter((f) => f.endsWith('.yaml'))) {
    it(`${file} is valid and loses no field to pruning`, () => {
      // Files may mix in the Ingresses the examples annotate: only cert-manager objects have a CRD schema.
      for (const obj of manifests(file).filter((o) => /cert-manager\.io\//.test(String(o.apiVersion ?? '')))) {
        const result = check(obj.kind, obj);
        assert.deepEqual(result.errors, [], `${file} ${obj.kind}/${obj.metadata.name}`);
        assert.ok(result.valid);
        assert.deepEqual(result.pruned, [], `${file} ${obj.kind}/${obj.metadata.name}`);
      }
    });
  }

  // The chart's user-facing examples (owned by the chart) must fit the CRDs they ship with.
  const chartExamples = new URL('../charts/certgate/examples/', import.meta.url);
  for (const file of existsSync(chartExamples) ? readdirSync(chartExamples).filter((f) => f.endsWith('.yaml')) : []) {
    it(`chart example ${file}: its cert-manager objects are valid and lose no field`, () => {
      const docs = parseAllDocuments(readFileSync(new URL(file, chartExamples), 'utf8'))
        .map((d) => d.toJS())
        .filter((o) => /cert-manager\.io\//.test(o?.apiVersion ?? ''));
      for (const obj of docs) {
        const result = check(obj.kind, obj);
        assert.deepEqual([result.errors, result.pruned], [[], []], `${file} ${obj.kind}/${obj.metadata?.name}`);
      }
    });
  }

  it('certificate-unsupported.yaml keeps its unsupported fields for the webhook to reject', () => {
    const [cert] = manifests('certificate-unsupported.yaml');
    assert.deepEqual(
      findUnsupportedFields('Certificate', cert).map((u) => u.path),
      ['spec.keystores', 'spec.additionalOutputFormats'],
    );
  });

  const broken: Array<{ name: string; kind: string; edit: (o: any) => void; error: RegExp }> = [
    { name: 'missing secretName', kind: 'Certificate', edit: (o) => delete o.spec.secretName, error: /^spec: must have required property 'secretName'$/ },
    {
      name: 'missing issuerRef.name',
      kind: 'Certificate',
      edit: (o) => delete o.spec.issuerRef.name,
      error: /^spec\.issuerRef: must have required property 'name'$/,
    },
    {
      name: 'lowercase key algorithm (v1alpha2 spelling)',
      kind: 'Certificate',
      edit: (o) => (o.spec.privateKey = { algorithm: 'rsa' }),
      error: /^spec\.privateKey\.algorithm: must be equal to one of the allowed values: RSA, ECDSA, Ed25519$/,
    },
    {
      name: 'unknown usage',
      kind: 'Certificate',
      edit: (o) => (o.spec.usages = ['server-auth']),
      error: /^spec\.usages\[0\]: must be equal to one of the allowed values/,
    },
    { name: 'dnsNames as a string', kind: 'Certificate', edit: (o) => (o.spec.dnsNames = 'a.example.com'), error: /^spec\.dnsNames: must be array$/ },
    { name: 'size as a string', kind: 'Certificate', edit: (o) => (o.spec.privateKey = { size: '2048' }), error: /^spec\.privateKey\.size: must be integer$/ },
    {
      name: 'ACME issuer without server',
      kind: 'ClusterIssuer',
      edit: (o) => delete o.spec.acme.server,
      error: /^spec\.acme: must have required property 'server'$/,
    },
    {
      name: 'unknown cnameStrategy',
      kind: 'ClusterIssuer',
      edit: (o) => (o.spec.acme.solvers[0].dns01 = { cnameStrategy: 'Always' }),
      error: /cnameStrategy: must be equal to one of the allowed values: None, Follow$/,
    },
  ];
  for (const c of broken) {
    it(`rejects ${c.kind} with ${c.name}`, () => {
      const file = c.kind === 'Certificate' ? 'certificate-full.yaml' : 'clusterissuer-letsencrypt-http01.yaml';
      const [obj] = manifests(file);
      c.edit(obj);
      const result = check(c.kind, obj);
      assert.equal(result.valid, false);
      assert.ok(
        result.errors.some((e) => c.error.test(e)),
        `errors were: ${result.errors.join(' | ')}`,
      );
    });
  }

  it('reports fields the API server would prune (typos)', () => {
    const [obj] = manifests('certificate-minimal.yaml');
    (obj as any).spec.dnsName = ['typo.example.com'];
    (obj as any).spec.privateKey = { algorithm: 'RSA', rotationpolicy: 'Always' };
    (obj as any).metadata.labels = { a: 'b' };
    assert.deepEqual(check('Certificate', obj).pruned, ['spec.dnsName', 'spec.privateKey.rotationpolicy']);
  });

  it('does not report fields below preserved unsupported fields', () => {
    const [obj] = manifests('certificate-unsupported.yaml');
    (obj as any).spec.keystores.jks = { anything: { goes: true } };
    assert.deepEqual(check('Certificate', obj).pruned, []);
  });
});
