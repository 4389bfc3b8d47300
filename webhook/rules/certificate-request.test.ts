import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCertificateRequest } from './certificate-request.ts';
import { formatFinding } from './ids.ts';
import { csrFor, withBadSignature } from '../parity/csr.test-data.ts';

const request = await csrFor({ encodeUsages: false });
const cr = (spec: Record<string, unknown>) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'CertificateRequest',
  metadata: { name: 'r', namespace: 'apps' },
  spec: { request, issuerRef: { name: 'ca', kind: 'Issuer' }, ...spec },
});
const texts = (spec: Record<string, unknown>) => validateCertificateRequest(cr(spec)).map(formatFinding);

test('certificate request rules: a CSR without usage extensions takes spec.usages', () => {
  assert.deepEqual(texts({}), []);
  assert.deepEqual(texts({ usages: ['server auth', 'digital signature'] }), []);
});

test('certificate request rules: what is not a correctly signed CSR is refused', () => {
  assert.match(
    texts({ request: Buffer.from('hello').toString('base64') })[0],
    /\[certificate-request-invalid\] spec\.request: is not a PEM certificate request/,
  );
  assert.match(
    texts({ request: withBadSignature(request) })[0],
    /\[certificate-request-invalid\] spec\.request: has a signature that (does not match|cannot be checked)/,
  );
  assert.match(texts({ request: undefined })[0], /\[certificate-request-invalid\] spec\.request: holds no CSR/);
});

test('certificate request rules: usages that disagree with the CSR, and unknown usages, are refused', async () => {
  const serverAuth = await csrFor({ usages: ['digital signature', 'key encipherment', 'server auth'] });
  assert.match(
    texts({ request: serverAuth, usages: ['digital signature', 'key encipherment', 'client auth'] })[0],
    /extended key usages \['server auth'\] differ from spec\.usages, which asks for \['client auth'\]/,
  );
  assert.match(texts({ usages: ['typo'] })[0], /\[certificate-request-invalid\] spec\.usages \["typo"\]: names unknown key usages/);
  const ca = await csrFor({ isCA: true, extensions: [] });
  assert.deepEqual(texts({ request: ca, isCA: true }), [], 'no usage extensions, no BasicConstraints: nothing to disagree with');
});

test('certificate request rules: an external issuer kind needs its group', () => {
  assert.match(
    texts({ issuerRef: { name: 'pca', kind: 'AWSPCAClusterIssuer' } })[0],
    /\[issuer-ref-invalid\] spec\.issuerRef\.kind "AWSPCAClusterIssuer": must be Issuer or ClusterIssuer \(case matters\); for an external issuer, set spec\.issuerRef\.group too/,
  );
  assert.deepEqual(
    validateCertificateRequest(cr({ issuerRef: { name: 'pca', kind: 'AWSPCAClusterIssuer', group: 'awspca.cert-manager.io' } })).filter(
      (f) => f.severity === 'deny',
    ),
    [],
  );
});

test('certificate request rules: spec and cert-manager annotations are fixed after creation; other annotations are not', () => {
  const old = { ...cr({}), metadata: { name: 'r', namespace: 'apps', annotations: { 'cert-manager.io/certificate-name': 'web', team: 'a' } } };
  const relabelled = { ...old, metadata: { ...old.metadata, annotations: { 'cert-manager.io/certificate-name': 'web', team: 'b' } } };
  assert.deepEqual(validateCertificateRequest(relabelled, old), []);
  const renamed = { ...old, metadata: { ...old.metadata, annotations: { team: 'a' } } };
  assert.deepEqual(validateCertificateRequest(renamed, old).map(formatFinding), [
    '[certificate-request-immutable] metadata.annotations["cert-manager.io/certificate-name"]: cert-manager annotations of a CertificateRequest cannot change after creation; create a new request',
  ]);
  const respecced = { ...old, spec: { ...old.spec, isCA: true } };
  assert.deepEqual(
    validateCertificateRequest(respecced, old).map((f) => f.rule),
    ['certificate-request-immutable'],
  );
});
