import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCertificate } from './certificate.ts';
import { formatFinding } from './ids.ts';
import { certificate, view } from './fixtures.test-data.ts';

const ref = { name: 'le-prod', kind: 'ClusterIssuer' };
const base = { secretName: 'web-tls', dnsNames: ['web.example.com'], issuerRef: ref };
const run = (spec: Record<string, unknown>) => validateCertificate(certificate('web', spec), view());

test('certificate rules: correct Certificates have no findings', () => {
  assert.deepEqual(run(base), []);
  assert.deepEqual(
    run({ ...base, dnsNames: undefined, ipAddresses: ['10.0.0.1', '::1'], uris: ['spiffe://cluster.local/ns/a/sa/b'], emailAddresses: ['ops@example.com'] }),
    [],
  );
  assert.deepEqual(run({ ...base, duration: '2160h', renewBefore: '720h', privateKey: { algorithm: 'ECDSA', size: 384 } }), []);
  assert.deepEqual(run({ ...base, privateKey: { algorithm: 'Ed25519' }, issuerRef: { name: 'local', kind: 'Issuer', group: 'cert-manager.io' } }), []);
  // UPDATE of itself: its own secretName is not a conflict.
  assert.deepEqual(validateCertificate(certificate('explicit', { ...base, secretName: 'taken-by-cert' }), view()), []);
  // The Certificate ingress-shim makes for Ingress "other" writes the Secret that Ingress asks for.
  const shim = certificate('taken-by-ingress', { ...base, secretName: 'taken-by-ingress' }, 'apps', {
    ownerReferences: [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'other', uid: 'u', controller: true }],
  });
  assert.deepEqual(validateCertificate(shim, view()), []);
});

const cases: Array<{ name: string; spec: Record<string, unknown>; rule: string; field: string; severity?: string; text: RegExp }> = [
  {
    name: 'no identity',
    spec: { secretName: 's', issuerRef: ref },
    rule: 'certificate-no-identity',
    field: 'spec',
    text: /at least one of commonName, dnsNames/,
  },
  {
    name: 'bad dnsName',
    spec: { ...base, dnsNames: ['ok.example.com', 'bad name.example.com'] },
    rule: 'invalid-dns-name',
    field: 'spec.dnsNames[1]',
    text: /label "bad name"/,
  },
  {
    name: 'bad IP',
    spec: { ...base, ipAddresses: ['10.0.0.300'] },
    rule: 'invalid-ip-address',
    field: 'spec.ipAddresses[0]',
    text: /not an IPv4 or IPv6 address/,
  },
  { name: 'bad URI', spec: { ...base, uris: ['not a uri'] }, rule: 'invalid-uri', field: 'spec.uris[0]', text: /not an absolute URI/ },
  { name: 'bad email', spec: { ...base, emailAddresses: ['ops@'] }, rule: 'invalid-email', field: 'spec.emailAddresses[0]', text: /not an e-mail address/ },
  {
    name: 'commonName over 64 bytes',
    spec: { ...base, commonName: `${'é'.repeat(30)}.example.com` },
    rule: 'common-name-too-long',
    field: 'spec.commonName',
    text: /is 72 bytes; a commonName holds at most 64/,
  },
  { name: 'duration below 1h', spec: { ...base, duration: '30m' }, rule: 'duration-too-short', field: 'spec.duration', text: /must be at least 1h0m0s/ },
  {
    name: 'unparsable duration',
    spec: { ...base, duration: '90d' },
    rule: 'invalid-duration',
    field: 'spec.duration',
    text: /not a Go duration; write it like "2160h"/,
  },
  { name: 'renewBefore below 5m', spec: { ...base, renewBefore: '1m' }, rule: 'renew-before-invalid', field: 'spec.renewBefore', text: /at least 5m0s/ },
  {
    name: 'renewBefore not below duration',
    spec: { ...base, duration: '24h', renewBefore: '24h' },
    rule: 'renew-before-invalid',
    field: 'spec.renewBefore',
    text: /shorter than the duration \(24h0m0s\)/,
  },
  {
    name: 'renewBefore above the default duration',
    spec: { ...base, renewBefore: '2200h' },
    rule: 'renew-before-invalid',
    field: 'spec.renewBefore',
    text: /default 2160h0m0s/,
  },
  {
    name: 'ECDSA 2048',
    spec: { ...base, privateKey: { algorithm: 'ECDSA', size: 2048 } },
    rule: 'key-algorithm-invalid',
    field: 'spec.privateKey.size',
    text: /ECDSA keys take size 256, 384 or 521/,
  },
  {
    name: 'RSA 1024',
    spec: { ...base, privateKey: { algorithm: 'RSA', size: 1024 } },
    rule: 'key-algorithm-invalid',
    field: 'spec.privateKey.size',
    text: /RSA keys take size 2048 to 8192/,
  },
  {
    name: 'unknown algorithm',
    spec: { ...base, privateKey: { algorithm: 'DSA' } },
    rule: 'key-algorithm-invalid',
    field: 'spec.privateKey.algorithm',
    text: /RSA, ECDSA or Ed25519/,
  },
  {
    name: 'issuerRef kind typo',
    spec: { ...base, issuerRef: { name: 'x', kind: 'clusterissuer' } },
    rule: 'issuer-ref-invalid',
    field: 'spec.issuerRef.kind',
    text: /Issuer or ClusterIssuer \(case matters\)/,
  },
  {
    name: 'issuerRef without name',
    spec: { ...base, issuerRef: {} },
    rule: 'issuer-ref-invalid',
    field: 'spec.issuerRef.name',
    text: /name the Issuer or ClusterIssuer/,
  },
  {
    name: 'external issuer group warns',
    spec: { ...base, issuerRef: { name: 'x', kind: 'AWSPCAIssuer', group: 'awspca.cert-manager.io' } },
    rule: 'issuer-ref-invalid',
    field: 'spec.issuerRef.group',
    severity: 'warn',
    text: /signs only with cert-manager\.io issuers/,
  },
  {
    name: 'secretName owned by another Certificate',
    spec: { ...base, secretName: 'taken-by-cert' },
    rule: 'secret-name-conflict',
    field: 'spec.secretName',
    text: /Certificate "explicit" already writes this Secret/,
  },
  {
    name: 'secretName requested by an Ingress',
    spec: { ...base, secretName: 'taken-by-ingress' },
    rule: 'secret-name-conflict',
    field: 'spec.secretName',
    text: /Ingress "other" already requests a certificate into this Secret/,
  },
  {
    name: 'unsupported keystores',
    spec: { ...base, keystores: { jks: { create: true } } },
    rule: 'unsupported-field',
    field: 'spec.keystores',
    text: /certgate does not support this field: JKS and PKCS#12/,
  },
];

for (const c of cases) {
  test(`certificate rules: ${c.name} -> [${c.rule}]`, () => {
    const findings = run(c.spec);
    const f = findings.find((x) => x.rule === c.rule);
    assert.ok(f, `expected ${c.rule}, got ${JSON.stringify(findings)}`);
    assert.equal(f.field, c.field);
    assert.equal(f.severity, c.severity ?? 'deny');
    assert.match(formatFinding(f), c.text);
  });
}
