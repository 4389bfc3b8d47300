// Name coverage rules of `certgate import`: which certificate names satisfy a Certificate's spec.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dnsNameCovered, uncoveredNames } from './import.ts';
import { emptyNames } from '../lib/pki/index.ts';

describe('dnsNameCovered', () => {
  const cases: Array<[string, string, string[], boolean]> = [
    ['exact name', 'a.example.com', ['a.example.com'], true],
    ['case-insensitive', 'A.Example.com', ['a.example.COM'], true],
    ['wildcard one label below', 'a.example.com', ['*.example.com'], true],
    ['wildcard does not cover the apex', 'example.com', ['*.example.com'], false],
    ['wildcard does not cover two labels below', 'a.b.example.com', ['*.example.com'], false],
    ['wildcard request needs the wildcard SAN', '*.example.com', ['a.example.com'], false],
    ['wildcard request with the same wildcard', '*.example.com', ['*.example.com'], true],
    ['other name', 'b.example.com', ['a.example.com'], false],
  ];
  for (const [name, want, sans, expected] of cases) test(name, () => assert.equal(dnsNameCovered(want, sans), expected));
});

describe('uncoveredNames', () => {
  test('lists every requested name the certificate lacks, across kinds', () => {
    const got = { ...emptyNames(), dnsNames: ['*.example.com'], ipAddresses: ['10.0.0.1'] };
    const missing = uncoveredNames(
      {
        secretName: 's',
        issuerRef: { name: 'i' },
        dnsNames: ['a.example.com', 'example.com'],
        ipAddresses: ['10.0.0.1', '::1'],
        uris: ['spiffe://x'],
        commonName: 'b.example.com',
      },
      got,
    );
    assert.deepEqual(missing, ['example.com', '::1', 'spiffe://x']);
  });
  test('IPs compare in canonical form and the common name may be a SAN', () => {
    const got = { ...emptyNames(), commonName: 'other', dnsNames: ['cn.example.com'], ipAddresses: ['0:0:0:0:0:0:0:1'] };
    assert.deepEqual(uncoveredNames({ secretName: 's', issuerRef: { name: 'i' }, ipAddresses: ['::1'], commonName: 'cn.example.com' }, got), []);
    assert.deepEqual(uncoveredNames({ secretName: 's', issuerRef: { name: 'i' }, commonName: 'nope.example.com' }, got), ['nope.example.com (commonName)']);
  });
});
