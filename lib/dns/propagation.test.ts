// DnsLookup against a real BIND serving two zones: zone discovery, authoritative nameservers from
// NS records, CNAME following across zones, and what a check reports before and after publishing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DnsLookup, describeAnswers } from './propagation.ts';
import { Rfc2136Client } from './rfc2136.ts';
import { startBind, type BindServer } from '../../test/services/index.ts';

let bind: BindServer;
let dns: Rfc2136Client;
let lookup: DnsLookup;

before(async () => {
  bind = await startBind({ zone: 'prop.test', extraZones: ['delegated.test'], records: ['_acme-challenge.app IN CNAME app.delegated.test.'] });
  dns = new Rfc2136Client({
    nameserver: bind.address,
    tsigKeyName: bind.tsig.name,
    tsigAlgorithm: bind.tsig.algorithm,
    tsigSecret: bind.tsig.secret,
    timeoutMs: 3000,
  });
  lookup = new DnsLookup({ recursive: [{ host: bind.host, port: bind.port }], recursiveOnly: false, authoritativePort: bind.port });
});

after(async () => {
  await bind?.stop();
});

test('findZone walks up to the closest SOA', async () => {
  assert.equal(await lookup.findZone('_acme-challenge.www.prop.test'), 'prop.test.');
  assert.equal(await lookup.findZone('delegated.test.'), 'delegated.test.');
});

test("authoritative nameservers come from the zone's NS records", async () => {
  assert.deepEqual(await lookup.authoritativeNameservers('prop.test.'), [{ host: '127.0.0.1', port: bind.port }]);
});

test('checkTxt reports what each authoritative server answered, then sees the value once published', async () => {
  const name = '_acme-challenge.check.prop.test.';
  const before = await lookup.checkTxt(name, 'prop.test.', 'value-1');
  assert.equal(before.visible, false);
  assert.deepEqual(before.answers, [{ server: `127.0.0.1:${bind.port}`, values: [] }]);
  assert.equal(describeAnswers(name, 'value-1', before.answers), `TXT _acme-challenge.check.prop.test: 127.0.0.1:${bind.port} has no TXT record`);

  await dns.addTxt(name, 'other');
  const other = await lookup.checkTxt(name, 'prop.test.', 'value-1');
  assert.equal(other.visible, false);
  assert.equal(
    describeAnswers(name, 'value-1', other.answers),
    `TXT _acme-challenge.check.prop.test: 127.0.0.1:${bind.port} has 1 other TXT value, not this challenge's`,
  );

  await dns.addTxt(name, 'value-1');
  const after = await lookup.checkTxt(name, 'prop.test.', 'value-1');
  assert.equal(after.visible, true);
  assert.deepEqual(after.answers[0].values?.sort(), ['other', 'value-1']);
});

test("recursiveOnly asks the recursive servers, not the zone's nameservers", async () => {
  // authoritativePort 1 would fail: a pass proves the recursive server was asked
  const recursiveOnly = new DnsLookup({ recursive: [{ host: bind.host, port: bind.port }], recursiveOnly: true, authoritativePort: 1, timeoutMs: 500 });
  const name = '_acme-challenge.recursive.prop.test.';
  await dns.addTxt(name, 'r-1');
  assert.equal((await recursiveOnly.checkTxt(name, 'prop.test.', 'r-1')).visible, true);
  const unreachable = await new DnsLookup({
    recursive: [{ host: bind.host, port: bind.port }],
    recursiveOnly: false,
    authoritativePort: 1,
    timeoutMs: 300,
  }).checkTxt(name, 'prop.test.', 'r-1');
  assert.equal(unreachable.visible, false);
  assert.ok(unreachable.answers[0].error, JSON.stringify(unreachable.answers));
});

test('followCname follows _acme-challenge delegated into another zone, and stops at a plain name', async () => {
  assert.equal(await lookup.followCname('_acme-challenge.app.prop.test'), 'app.delegated.test.');
  assert.equal(await lookup.followCname('_acme-challenge.plain.prop.test'), '_acme-challenge.plain.prop.test.');
});
