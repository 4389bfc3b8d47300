// The DNS path end to end: pebble resolves through BIND, Rfc2136Client writes the DNS-01 TXT values,
// and a wildcard plus apex certificate is issued. Apex and wildcard share one TXT name, so this also
// proves removing one value leaves the other in place until its own cleanup.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAcmeStack, type AcmeStack } from './index.ts';
import { newAcmeClient, issueCertificate, chainsTo } from './acme-test-client.ts';
import { Rfc2136Client } from '../../lib/dns/rfc2136.ts';

let stack: AcmeStack;

before(async () => {
  stack = await startAcmeStack();
});

after(async () => {
  await stack?.stop();
});

test('DNS-01 wildcard + apex certificate via RFC 2136 updates to BIND', async () => {
  const { bind, pebble } = stack;
  const dns = new Rfc2136Client({
    nameserver: bind.address,
    tsigKeyName: bind.tsig.name,
    tsigAlgorithm: bind.tsig.algorithm,
    tsigSecret: bind.tsig.secret,
    timeoutMs: 3000,
  });
  const txtName = `_acme-challenge.${bind.zone}`;
  const presented: string[] = [];
  let maxValuesSeen = 0;

  const client = await newAcmeClient(pebble);
  const ordersBefore = pebble.newOrderCount();
  const names = [`*.${bind.zone}`, bind.zone];
  const issued = await issueCertificate(client, names, {
    type: 'dns-01',
    present: async (authz, _challenge, value) => {
      const name = `_acme-challenge.${authz.identifier.value}`;
      await dns.addTxt(name, value, 60);
      presented.push(value);
      // Self-check against the authoritative server, as the solver does before telling the CA.
      const seen = await dns.queryTxt(name);
      assert.ok(seen.includes(value));
      maxValuesSeen = Math.max(maxValuesSeen, seen.length);
      return async () => {
        await dns.removeTxt(name, value);
        assert.ok(!(await dns.queryTxt(name)).includes(value), 'value removed after validation');
      };
    },
  });

  assert.equal(presented.length, 2, 'one DNS-01 challenge each for the wildcard and the apex');
  assert.notEqual(presented[0], presented[1]);
  assert.equal(maxValuesSeen, 2, 'both TXT values were published on the same name at once');
  assert.deepEqual(await dns.queryTxt(txtName), [], 'all challenge values cleaned up');
  assert.equal(issued.leaf.checkHost(`anything.${bind.zone}`), `*.${bind.zone}`, 'wildcard SAN covers any name');
  assert.equal(issued.leaf.checkHost(bind.zone), bind.zone);
  assert.match(issued.leaf.subjectAltName ?? '', new RegExp(`DNS:\\*\\.${bind.zone.replace('.', '\\.')}`));
  assert.ok(chainsTo(issued.chain, await pebble.issuingRootsPem()), 'chain verifies against pebble issuing root');
  assert.equal(pebble.newOrderCount(), ordersBefore + 1);
});
