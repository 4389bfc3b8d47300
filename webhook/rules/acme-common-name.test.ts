// A commonName that is not among the SANs, on an ACME issuer: refused before ordering (the CA
// would refuse it only at finalize, after every challenge was solved).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCertificate } from './certificate.ts';
import { formatFinding } from './ids.ts';
import { certificate, view } from './fixtures.test-data.ts';

const acme = { name: 'le-prod', kind: 'ClusterIssuer' };
const run = (spec: Record<string, unknown>) =>
  validateCertificate(certificate('web', { secretName: 'web-tls', ...spec }), view()).filter((f) => f.rule === 'acme-common-name-not-in-dns-names');

test('ACME issuer: a commonName missing from dnsNames is denied with the reason and the fix', () => {
  const [f, ...rest] = run({ commonName: 'www.example.com', dnsNames: ['example.com'], issuerRef: acme });
  assert.equal(rest.length, 0);
  assert.equal(f.severity, 'deny');
  assert.equal(
    formatFinding(f),
    '[acme-common-name-not-in-dns-names] spec.commonName "www.example.com": the ACME issuer "le-prod" orders every name in the certificate, and the CA refuses a commonName that is not also in spec.dnsNames or spec.ipAddresses (after the challenges are solved); add it to spec.dnsNames, or drop commonName',
  );
  assert.equal(run({ commonName: 'www.example.com', issuerRef: acme }).length, 1, 'no dnsNames at all');
});

test('ACME issuer: a commonName among the dnsNames or ipAddresses, or no commonName, is fine', () => {
  assert.deepEqual(run({ commonName: 'www.example.com', dnsNames: ['example.com', 'www.example.com'], issuerRef: acme }), []);
  assert.deepEqual(run({ commonName: '10.0.0.1', ipAddresses: ['10.0.0.1'], issuerRef: acme }), []);
  assert.deepEqual(run({ dnsNames: ['example.com'], issuerRef: acme }), []);
});

test('non-ACME, missing and external issuers are not judged by this rule', () => {
  assert.deepEqual(
    run({ commonName: 'internal', dnsNames: ['example.com'], issuerRef: { name: 'local', kind: 'Issuer' } }),
    [],
    'a SelfSigned issuer signs any commonName',
  );
  assert.deepEqual(run({ commonName: 'x.example.com', dnsNames: ['example.com'], issuerRef: { name: 'nope', kind: 'ClusterIssuer' } }), []);
  assert.deepEqual(
    run({ commonName: 'x.example.com', dnsNames: ['example.com'], issuerRef: { name: 'le-prod', kind: 'ClusterIssuer', group: 'awspca.cert-manager.io' } }),
    [],
  );
});
