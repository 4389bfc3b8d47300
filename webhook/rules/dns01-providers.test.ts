// The providers cert-manager's tables have no case for (acme-dns, DigitalOcean): the same checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dns01ProviderFindings } from './dns01-providers.ts';

const at = 'spec.acme.solvers[0]';
const fields = (dns01: Record<string, unknown>) => dns01ProviderFindings(dns01, at).map((f) => `${f.rule} ${f.field}`);

test('acme-dns needs its host and an account Secret reference with name and key', () => {
  assert.deepEqual(fields({ acmeDNS: { host: 'https://acme-dns.example.com', accountSecretRef: { name: 'acme-dns', key: 'acmedns.json' } } }), []);
  assert.deepEqual(fields({ acmeDNS: { accountSecretRef: { name: 'acme-dns' } } }), [
    'acme-solver-invalid spec.acme.solvers[0].dns01.acmeDNS.accountSecretRef.key',
    'acme-solver-invalid spec.acme.solvers[0].dns01.acmeDNS.host',
  ]);
});

test('DigitalOcean needs a token Secret reference with name and key', () => {
  assert.deepEqual(fields({ digitalocean: { tokenSecretRef: { name: 'do', key: 'token' } } }), []);
  assert.deepEqual(fields({ digitalocean: { tokenSecretRef: { name: 'do' } } }), [
    'acme-solver-invalid spec.acme.solvers[0].dns01.digitalocean.tokenSecretRef.key',
  ]);
});

test('rfc2136 and webhook solvers are left to their own checks', () => {
  assert.deepEqual(fields({ rfc2136: { nameserver: '127.0.0.1' } }), []);
  assert.deepEqual(fields({ webhook: { groupName: 'acme.example.com', solverName: 'x' } }), []);
});
