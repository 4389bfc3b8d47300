// StringPool: the caches' one copy of each long string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StringPool } from './shared-strings.ts';

const long = (c: string) => c.repeat(600);

test('shareIn leaves objects as they were and pools each long text once, short ones not at all', () => {
  const pool = new StringPool();
  const ca = long('C');
  const secret = { metadata: { name: 'a', annotations: { note: 'short' } }, data: { 'tls.crt': long('L'), 'ca.crt': ca.slice() } };
  const request = { status: { certificate: long('L'), ca: `${ca}`, conditions: [{ type: 'Ready', message: long('M') }] } };
  const copies = structuredClone({ secret, request });
  pool.shareIn(secret);
  pool.shareIn(request);
  assert.deepEqual({ secret, request }, copies, 'every value is unchanged');
  assert.equal(pool.size, 3, 'the certificate, the CA and the message: each once, though the first two came twice; "short" and "a" not');
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
