// TSIG configuration rules: algorithm spellings and secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTsigAlgorithm, decodeTsigSecret, algorithmWireName } from './tsig.ts';

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
