// StringPool: the caches' one copy of each repeated string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StringPool } from './shared-strings.ts';

const long = (c: string) => c.repeat(600);

test('shareIn leaves objects as they were and pools each text once, long and short', () => {
  const pool = new StringPool();
  const ca = long('C');
  const secret = { metadata: { name: 'a', namespace: 'ns', annotations: { note: 'short' } }, data: { 'tls.crt': long('L'), 'ca.crt': ca.slice() } };
  const request = {
    metadata: { name: 'b', namespace: 'ns'.slice() },
    status: { certificate: long('L'), ca: `${ca}`, conditions: [{ type: 'Ready', message: long('M') }] },
  };
  const copies = structuredClone({ secret, request });
  pool.shareIn(secret);
  pool.shareIn(request);
  assert.deepEqual({ secret, request }, copies, 'every value is unchanged');
  assert.equal(pool.size, 8, 'the certificate, the CA and the message, "a", "b", "ns", "short", "Ready": each once, though some came twice');
});

test('long and short texts have their own limits: short ones cannot push a certificate out', () => {
  const pool = new StringPool(1, 2);
  pool.share(long('L'));
  for (const word of ['a', 'b', 'c']) pool.share(word);
  assert.ok(pool.has(long('L')), 'the long text stays');
  assert.deepEqual(
    ['a', 'b', 'c'].map((w) => pool.has(w)),
    [false, true, true],
  );
});

test('StringPool forgets the least recently shared text beyond its limit', () => {
  const pool = new StringPool(2);
  pool.share(long('a'));
  pool.share(long('b'));
  pool.share(long('a'));
  pool.share(long('c')); // "b" goes
  assert.equal(pool.size, 2);
  assert.deepEqual(
    ['a', 'b', 'c'].map((c) => pool.has(long(c))),
    [true, false, true],
  );
});

test("a Secret's private key is not pooled (it must not outlive its Secret in the pool)", () => {
  const pool = new StringPool();
  const key = long('K');
  const secret = { data: { 'tls.key': key, 'tls.crt': long('L') } };
  pool.shareIn(secret);
  assert.equal(pool.has(key), false);
  assert.equal(pool.has(long('L')), true, 'the certificate is');
  assert.equal(secret.data['tls.key'], key);
});

test("of a Secret's data only public certificates are pooled: a key under any other name is not", () => {
  const pool = new StringPool();
  const accountKey = long('A');
  const token = 'a-short-api-token';
  const secret = { data: { 'tls.key': long('K'), 'key.pem': accountKey, 'api-token': token, 'ca.crt': long('C') }, stringData: { password: long('P') } };
  pool.shareIn(secret);
  assert.deepEqual(
    [long('K'), accountKey, token, long('P')].map((t) => pool.has(t)),
    [false, false, false, false],
  );
  assert.equal(pool.has(long('C')), true, 'the CA certificate is');
  assert.equal(secret.data['key.pem'], accountKey);
});
