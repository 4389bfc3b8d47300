// Pure parsing rules of the DNS client: algorithm spellings, secrets, nameserver addresses, names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTsigAlgorithm, decodeTsigSecret, algorithmWireName } from './tsig.ts';
import { parseNameserver } from './transport.ts';
import { encodeName, encodeTxtRdata } from './wire.ts';

test('TSIG algorithm spellings from BIND and cert-manager map to one name', () => {
  const cases: Array<[string, string]> = [
    ['hmac-sha256', 'hmac-sha256'],
    ['HMACSHA256', 'hmac-sha256'],
    ['hmac-sha512.', 'hmac-sha512'],
    ['HMACSHA1', 'hmac-sha1'],
    [' hmac_sha384 ', 'hmac-sha384'],
    ['HMACMD5', 'hmac-md5'],
    ['hmac-md5.sig-alg.reg.int.', 'hmac-md5'],
  ];
  for (const [input, want] of cases) assert.equal(parseTsigAlgorithm(input), want, input);
  assert.throws(() => parseTsigAlgorithm('HMACSHA3'), /unsupported TSIG algorithm "HMACSHA3"; use one of hmac-md5, hmac-sha1/);
  assert.equal(algorithmWireName('hmac-md5'), 'hmac-md5.sig-alg.reg.int');
  assert.equal(algorithmWireName('hmac-sha256'), 'hmac-sha256');
});

test('TSIG secrets must be base64', () => {
  assert.deepEqual(decodeTsigSecret('c2VjcmV0', 'k'), Buffer.from('secret'));
  assert.deepEqual(decodeTsigSecret('c2Vj\ncmV0', 'k'), Buffer.from('secret'));
  for (const bad of ['', '!!!!', 'abcde']) assert.throws(() => decodeTsigSecret(bad, 'my-key'), /TSIG secret for key "my-key" is not valid base64/, bad);
});

test('nameserver addresses', () => {
  const cases: Array<[string, { host: string; port: number }]> = [
    ['10.0.0.1', { host: '10.0.0.1', port: 53 }],
    ['10.0.0.1:5353', { host: '10.0.0.1', port: 5353 }],
    ['ns1.example.com:53', { host: 'ns1.example.com', port: 53 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['fd00::53', { host: 'fd00::53', port: 53 }],
  ];
  for (const [input, want] of cases) assert.deepEqual(parseNameserver(input), want, input);
  for (const bad of [':53', 'host:0', 'host:x']) assert.throws(() => parseNameserver(bad), /invalid nameserver/, bad);
});

test('DNS names and TXT rdata encode to wire format with limits enforced', () => {
  assert.deepEqual(encodeName('A.b.'), Buffer.from([1, 0x41, 1, 0x62, 0]));
  assert.deepEqual(encodeName('A.b', true), Buffer.from([1, 0x61, 1, 0x62, 0]));
  assert.throws(() => encodeName(`${'x'.repeat(64)}.test`), /label .* must be 1 to 63 bytes/);
  assert.throws(() => encodeName('a..b'), /must be 1 to 63 bytes/);
  assert.throws(() => encodeName(Array(130).fill('ab').join('.')), /longer than 255 bytes/);
  assert.deepEqual(encodeTxtRdata(''), Buffer.from([0]));
  const long = encodeTxtRdata('y'.repeat(256));
  assert.equal(long[0], 255);
  assert.equal(long[256], 1);
  assert.equal(long.length, 258);
});
