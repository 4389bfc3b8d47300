// Wire-format pieces of the DNS client, cross-checked against dns-packet's decoder, and
// nameserver address parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { parseNameserver } from './transport.ts';
import { CLASS_IN, CLASS_NONE, TYPE_TXT, encodeName, encodeRecord, encodeTxtRdata, lastRecord } from './wire.ts';

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

function messageWith(record: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(1, 6); // ANCOUNT
  return Buffer.concat([header, record]);
}

test('any TXT value we encode decodes back to the same bytes with dns-packet', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 700, unit: 'grapheme' }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (value, ttl) => {
      const decoded = dnsPacket.decode(messageWith(encodeRecord('_acme-challenge.Example.test', TYPE_TXT, CLASS_IN, ttl, encodeTxtRdata(value))));
      const answer = decoded.answers![0] as dnsPacket.TxtAnswer;
      assert.equal(answer.name, '_acme-challenge.Example.test');
      assert.equal(answer.ttl, ttl);
      const parts = answer.data as Buffer[];
      assert.ok(parts.every((p) => p.length <= 255));
      assert.equal(Buffer.concat(parts).toString('utf8'), value);
    }),
    { numRuns: 200 },
  );
});

test('lastRecord finds the final record with its class, e.g. NONE for single-value deletes', () => {
  const msg = messageWith(encodeRecord('a.example.test', TYPE_TXT, CLASS_NONE, 0, encodeTxtRdata('v')));
  const rec = lastRecord(msg)!;
  assert.equal(rec.name, 'a.example.test');
  assert.equal(rec.type, TYPE_TXT);
  assert.equal(rec.klass, CLASS_NONE);
  assert.equal(rec.rdataEnd, msg.length);
});
