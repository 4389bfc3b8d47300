// The test services themselves: BIND answers for the zone, pebble's API is reachable over verified
// HTTPS, a real HTTP-01 issuance succeeds through them, and stop() leaves nothing running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Resolver } from 'node:dns/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import acme from 'acme-client';
import { startAcmeStack, startPebble, newEabMacKey, httpsGet, mintServerTls, type AcmeStack } from './index.ts';
import { newAcmeClient, issueCertificate, chainsTo, trustPebble } from './acme-test-client.ts';

const run = promisify(execFile);
let stack: AcmeStack;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

before(async () => {
  stack = await startAcmeStack();
});

after(async () => {
  await stack?.stop();
});

test('BIND resolves any name under the zone, and the apex, to 127.0.0.1', async () => {
  const resolver = new Resolver({ timeout: 1000, tries: 2 });
  resolver.setServers([stack.bind.address]);
  assert.deepEqual(await resolver.resolve4(`anything.${stack.bind.zone}`), ['127.0.0.1']);
  assert.deepEqual(await resolver.resolve4(stack.bind.zone), ['127.0.0.1']);
  const { stdout } = await run('dig', ['+short', '+time=1', '+tries=2', '-p', String(stack.bind.port), '@127.0.0.1', `deep.name.${stack.bind.zone}`, 'A']);
  assert.equal(stdout.trim(), '127.0.0.1');
});

test('BIND refuses names outside its zone (no recursion)', async () => {
  const { stdout } = await run('dig', ['+time=1', '+tries=1', '-p', String(stack.bind.port), '@127.0.0.1', 'example.com', 'A']);
  assert.match(stdout, /status: REFUSED/);
});

test("pebble's directory answers over HTTPS verified against caBundlePem only", async () => {
  const res = await httpsGet(stack.pebble.directoryUrl, stack.pebble.caBundlePem);
  assert.equal(res.status, 200);
  const dir = JSON.parse(res.body);
  assert.match(dir.newOrder, /^https:\/\/127\.0\.0\.1:\d+\//);
  // Without the minted CA the listener must not be trusted.
  await assert.rejects(httpsGet(stack.pebble.directoryUrl, mintServerTls().caCertPem), /self-signed|unable to verify|certificate/i);
  assert.equal(readFileSync(stack.pebble.caBundlePath, 'utf8'), stack.pebble.caBundlePem);
  assert.match(await stack.pebble.issuingRootsPem(), /BEGIN CERTIFICATE/);
  assert.match(await stack.pebble.issuingIntermediatesPem(), /BEGIN CERTIFICATE/);
});

test('HTTP-01 issuance through pebble with acme-client, counted by newOrderCount', async () => {
  const tokens = new Map<string, string>();
  let hits = 0;
  const responder = createServer((req, res) => {
    const token = req.url?.match(/^\/\.well-known\/acme-challenge\/([\w-]+)$/)?.[1];
    const keyAuthorization = token ? tokens.get(token) : undefined;
    if (!keyAuthorization) {
      res.writeHead(404).end();
      return;
    }
    hits++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(keyAuthorization);
  });
  await new Promise<void>((resolve) => responder.listen(stack.pebble.httpPort, '127.0.0.1', resolve));
  try {
    const ordersBefore = stack.pebble.newOrderCount();
    const client = await newAcmeClient(stack.pebble);
    const names = [`web.${stack.bind.zone}`, `www.${stack.bind.zone}`];
    const issued = await issueCertificate(client, names, {
      type: 'http-01',
      present: async (_authz, challenge, keyAuthorization) => {
        tokens.set(challenge.token, keyAuthorization);
        return async () => void tokens.delete(challenge.token);
      },
    });
    assert.ok(hits >= 2, `pebble fetched the HTTP-01 tokens (hits: ${hits})`);
    assert.equal(issued.leaf.checkHost(names[0]), names[0]);
    assert.equal(issued.leaf.checkHost(names[1]), names[1]);
    assert.ok(chainsTo(issued.chain, await stack.pebble.issuingRootsPem()), 'issued chain verifies against pebble issuing root');
    assert.equal(stack.pebble.newOrderCount(), ordersBefore + 1);
  } finally {
    await new Promise((resolve) => responder.close(resolve));
  }
});

test('a second stack starts beside the first on other ports, and stop() leaves no process behind', async () => {
  const second = await startAcmeStack({ bind: { zone: 'other.test' } });
  assert.notEqual(second.bind.port, stack.bind.port);
  assert.notEqual(second.pebble.directoryUrl, stack.pebble.directoryUrl);
  const pids = [second.bind.pid, second.pebble.pid];
  assert.ok(pids.every(isRunning));
  await second.stop();
  assert.ok(!pids.some(isRunning), `processes ${pids.join(', ')} are gone after stop()`);
  await second.stop(); // idempotent
  await assert.rejects(httpsGet(second.pebble.directoryUrl, second.pebble.caBundlePem, 1000));
});

test('a pebble with externalAccountBinding requires EAB and accepts only its MAC keys; the default one does not', async () => {
  const meta = async (url: string, ca: string) => JSON.parse((await httpsGet(url, ca)).body).meta ?? {};
  assert.notEqual((await meta(stack.pebble.directoryUrl, stack.pebble.caBundlePem)).externalAccountRequired, true, 'default stack: no EAB');
  await assert.rejects(startPebble({ dnsServer: stack.bind.address, externalAccountBinding: { macKeys: { k: 'pad==' } } }), /base64url without padding/);
  const macKey = newEabMacKey();
  assert.match(macKey, /^[A-Za-z0-9_-]{43}$/);
  const pebble = await startPebble({ dnsServer: stack.bind.address, externalAccountBinding: { macKeys: { 'kid-1': macKey } } });
  try {
    assert.equal((await meta(pebble.directoryUrl, pebble.caBundlePem)).externalAccountRequired, true);
    trustPebble(pebble);
    const register = async (eab?: { kid: string; hmacKey: string }) =>
      new acme.Client({ directoryUrl: pebble.directoryUrl, accountKey: await acme.crypto.createPrivateKey(2048), externalAccountBinding: eab }).createAccount({
        termsOfServiceAgreed: true,
      });
    assert.equal((await register({ kid: 'kid-1', hmacKey: macKey })).status, 'valid');
    await assert.rejects(register(), /externalAccountBinding/);
    await assert.rejects(register({ kid: 'kid-1', hmacKey: newEabMacKey() }), /external account binding JWS verification error/);
    await assert.rejects(register({ kid: 'kid-2', hmacKey: macKey }), /not known/);
  } finally {
    await pebble.stop();
    trustPebble(stack.pebble);
  }
});

test('pebble 2.10 (from Debian sid, in .tools/) serves renewalInfo and the profiles default and shortlived; 2.4 neither', async () => {
  const dir = async (url: string, ca: string) => JSON.parse((await httpsGet(url, ca)).body);
  const old = await dir(stack.pebble.directoryUrl, stack.pebble.caBundlePem);
  assert.equal(stack.pebble.version, '2.4');
  assert.equal(old.renewalInfo, undefined);
  assert.equal(old.meta?.profiles, undefined);
  const pebble = await startPebble({ dnsServer: stack.bind.address, version: '2.10' });
  try {
    assert.equal(pebble.version, '2.10');
    // sid moves on: whatever it has must be 2.10 or later (ARI with /set-renewal-info/, profiles).
    const [major, minor] = readFileSync(new URL('../../.tools/pebble-2.10/VERSION', import.meta.url), 'utf8')
      .split(/[.+~-]/)
      .map(Number);
    assert.ok(major > 2 || (major === 2 && minor >= 10), `pebble ${major}.${minor}`);
    const d = await dir(pebble.directoryUrl, pebble.caBundlePem);
    assert.match(d.renewalInfo, /^https:\/\/127\.0\.0\.1:\d+\/.*renewalInfo$/);
    assert.deepEqual(Object.keys(d.meta.profiles).sort(), ['default', 'shortlived']);
  } finally {
    await pebble.stop();
  }
});
