import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostPort } from './listen.ts';

test('parseHostPort accepts IPv4, IPv6 in brackets and an empty host', () => {
  assert.deepEqual(parseHostPort('0.0.0.0:9402'), { host: '0.0.0.0', port: 9402 });
  assert.deepEqual(parseHostPort('[::]:443'), { host: '::', port: 443 });
  assert.deepEqual(parseHostPort(':8089'), { host: '0.0.0.0', port: 8089 });
  assert.deepEqual(parseHostPort('localhost:0'), { host: 'localhost', port: 0 });
});

test('parseHostPort refuses what is not HOST:PORT, naming the value', () => {
  for (const bad of ['8089', 'a:99999', 'host:', 'a:b:c:1', '::1:80']) {
    assert.throws(
      () => parseHostPort(bad),
      (e: Error) => e.message.includes(`"${bad}" is not HOST:PORT`),
      bad,
    );
  }
});
