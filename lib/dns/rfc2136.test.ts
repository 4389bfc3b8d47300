// Rfc2136Client against a real BIND (test/services/bind.ts), cross-checked with nsupdate and dig.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Rfc2136Client, Rfc2136Error } from './rfc2136.ts';
import { lastRecord, TYPE_TSIG } from './wire.ts';
import { startBind, type BindServer } from '../../test/services/index.ts';

const run = promisify(execFile);
let bind: BindServer;
let client: Rfc2136Client;
const tmp = mkdtempSync(join(tmpdir(), 'certgate-rfc2136-'));

before(async () => {
  bind = await startBind();
  client = new Rfc2136Client({
    nameserver: bind.address,
    tsigKeyName: bind.tsig.name,
    tsigAlgorithm: bind.tsig.algorithm,
    tsigSecret: bind.tsig.secret,
    timeoutMs: 3000,
  });
});

after(async () => {
  await bind?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function clientWith(overrides: Partial<ConstructorParameters<typeof Rfc2136Client>[0]>): Rfc2136Client {
  return new Rfc2136Client({ nameserver: bind.address, tsigKeyName: bind.tsig.name, tsigSecret: bind.tsig.secret, timeoutMs: 3000, ...overrides });
}

async function digTxt(name: string): Promise<string[]> {
  const { stdout } = await run('dig', ['+short', '+tcp', '+time=2', '+tries=1', '-p', String(bind.port), '@127.0.0.1', name, 'TXT']);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^"|"$/g, '').replace(/" "/g, ''))
    .sort();
}

async function nsupdate(commands: string): Promise<void> {
  const keyFile = join(tmp, 'nsupdate.key');
  writeFileSync(keyFile, `key "${bind.tsig.name}" { algorithm ${bind.tsig.algorithm}; secret "${bind.tsig.secret}"; };\n`);
  const child = spawn('nsupdate', ['-k', keyFile, '-t', '5'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  child.stdin.end(`server 127.0.0.1 ${bind.port}\nzone ${bind.zone}\n${commands}\nsend\n`);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, `nsupdate failed: ${output}`);
}

test('findZone discovers the zone from the SOA, for deep names and the apex', async () => {
  assert.equal(await client.findZone(`_acme-challenge.a.b.${bind.zone}`), bind.zone);
  assert.equal(await client.findZone(`${bind.zone}.`), bind.zone);
});

test('addTxt then queryTxt returns the value; dig sees it too', async () => {
  const name = `_acme-challenge.add.${bind.zone}`;
  await client.addTxt(name, 'first-value', 60);
  assert.deepEqual(await client.queryTxt(name), ['first-value']);
  assert.deepEqual(await digTxt(name), ['first-value']);
});

test('two values on one name coexist, and removing one leaves the other', async () => {
  const name = `_acme-challenge.pair.${bind.zone}`;
  await client.addTxt(name, 'apex-token', 60);
  await client.addTxt(name, 'wildcard-token', 60);
  await client.addTxt(name, 'wildcard-token', 60); // duplicate add is a no-op
  assert.deepEqual((await client.queryTxt(name)).sort(), ['apex-token', 'wildcard-token']);
  await client.removeTxt(name, 'apex-token');
  assert.deepEqual(await client.queryTxt(name), ['wildcard-token']);
  await client.removeTxt(name, 'apex-token'); // removing a missing value is a no-op
  await client.removeTxt(name, 'wildcard-token');
  assert.deepEqual(await client.queryTxt(name), []);
});

test('values longer than 255 bytes are split into character-strings and read back whole', async () => {
  const name = `_acme-challenge.long.${bind.zone}`;
  const value = 'x'.repeat(300) + 'end';
  await client.addTxt(name, value, 60);
  assert.deepEqual(await client.queryTxt(name), [value]);
  await client.removeTxt(name, value);
  assert.deepEqual(await client.queryTxt(name), []);
});

test("nsupdate and Rfc2136Client see each other's records", async () => {
  const name = `_acme-challenge.cross.${bind.zone}`;
  await nsupdate(`update add ${name}. 60 TXT "from-nsupdate"`);
  assert.deepEqual(await client.queryTxt(name), ['from-nsupdate']);
  await client.addTxt(name, 'from-certgate', 60);
  assert.deepEqual(await digTxt(name), ['from-certgate', 'from-nsupdate']);
  await nsupdate(`update delete ${name}. TXT "from-certgate"`);
  assert.deepEqual(await client.queryTxt(name), ['from-nsupdate']);
  await client.removeTxt(name, 'from-nsupdate');
  assert.deepEqual(await digTxt(name), []);
});

test('a wrong secret is rejected with BADSIG naming the zone and key, and changes nothing', async () => {
  const name = `_acme-challenge.badsig.${bind.zone}`;
  const wrong = clientWith({ tsigSecret: Buffer.alloc(32, 7).toString('base64') });
  await assert.rejects(wrong.addTxt(name, 'nope'), (err: Rfc2136Error) => {
    assert.equal(err.code, 'BADSIG');
    assert.equal(err.retryable, false);
    assert.match(err.message, new RegExp(`zone ${bind.zone}`));
    assert.match(err.message, new RegExp(`"${bind.tsig.name}"`));
    assert.match(err.message, /secret does not match/);
    return true;
  });
  assert.deepEqual(await client.queryTxt(name), []);
});

test('checkKey() tells a key the server refuses (BADSIG, BADKEY) from a good one, without updating anything', async () => {
  await client.checkKey();
  await clientWith({ tsigKeyName: bind.deniedTsig.name, tsigSecret: bind.deniedTsig.secret }).checkKey(); // known key; what it may update is another matter
  await new Rfc2136Client({ nameserver: bind.address }).checkKey(); // unsigned: nothing to check
  await assert.rejects(clientWith({ tsigSecret: Buffer.alloc(32, 7).toString('base64') }).checkKey(), {
    code: 'BADSIG',
    message: new RegExp(`rejected the signature of TSIG key "${bind.tsig.name}" .*\\(BADSIG\\): the secret does not match`),
  });
  await assert.rejects(clientWith({ tsigKeyName: 'no-such-key' }).checkKey(), {
    code: 'BADKEY',
    message: /does not know TSIG key "no-such-key" .*\(BADKEY\): check the key name and algorithm/,
  });
});

test('an unknown key name or algorithm is rejected with BADKEY', async () => {
  await assert.rejects(clientWith({ tsigKeyName: 'no-such-key' }).addTxt(`x.${bind.zone}`, 'v'), {
    name: 'Rfc2136Error',
    code: 'BADKEY',
    message: /"no-such-key".*BADKEY/,
  });
  await assert.rejects(clientWith({ tsigAlgorithm: 'hmac-sha512' }).addTxt(`x.${bind.zone}`, 'v'), { code: 'BADKEY', message: /hmac-sha512/ });
});

test('a key the update policy does not grant is REFUSED with a readable message', async () => {
  const denied = clientWith({ tsigKeyName: bind.deniedTsig.name, tsigSecret: bind.deniedTsig.secret });
  await assert.rejects(denied.addTxt(`_acme-challenge.denied.${bind.zone}`, 'v'), {
    code: 'REFUSED',
    message: new RegExp(
      `refused the update of _acme-challenge\\.denied\\.${bind.zone.replace('.', '\\.')} in zone ${bind.zone.replace('.', '\\.')}.*update policy`,
    ),
  });
});

test('a name in no zone the server serves fails clearly before any update is sent', async () => {
  await assert.rejects(client.addTxt('_acme-challenge.elsewhere.invalid', 'v'), {
    code: 'NOZONE',
    message: /not authoritative for any zone containing _acme-challenge\.elsewhere\.invalid/,
  });
});

test('an explicit zone that does not contain the name gets NOTZONE', async () => {
  const fixedZone = clientWith({ zone: bind.zone });
  await assert.rejects(fixedZone.addTxt('_acme-challenge.other.test', 'v'), {
    code: 'NOTZONE',
    message: new RegExp(`_acme-challenge\\.other\\.test is not inside zone ${bind.zone}`),
  });
});

test('hmac-sha512 keys sign and verify', async () => {
  const other = await startBind({ tsigAlgorithm: 'hmac-sha512' });
  try {
    const c = new Rfc2136Client({ nameserver: other.address, tsigKeyName: other.tsig.name, tsigAlgorithm: 'HMACSHA512', tsigSecret: other.tsig.secret });
    await c.addTxt(`_acme-challenge.${other.zone}`, 'sha512-value');
    assert.deepEqual(await c.queryTxt(`_acme-challenge.${other.zone}`), ['sha512-value']);
  } finally {
    await other.stop();
  }
});

test("hmac-md5 keys (cert-manager's default algorithm) sign and verify", async () => {
  const other = await startBind({ tsigAlgorithm: 'hmac-md5' });
  try {
    const c = new Rfc2136Client({ nameserver: other.address, tsigKeyName: other.tsig.name, tsigAlgorithm: 'HMACMD5', tsigSecret: other.tsig.secret });
    await c.addTxt(`_acme-challenge.${other.zone}`, 'md5-value');
    assert.deepEqual(await c.queryTxt(`_acme-challenge.${other.zone}`), ['md5-value']);
    await c.removeTxt(`_acme-challenge.${other.zone}`, 'md5-value');
    assert.deepEqual(await c.queryTxt(`_acme-challenge.${other.zone}`), []);
  } finally {
    await other.stop();
  }
});

test('without a TSIG key, updates go unsigned: accepted where the zone allows them, REFUSED where it needs a key', async () => {
  const open = await startBind({ zone: 'open.test', allowUnsignedUpdates: true });
  try {
    const unsignedOpen = new Rfc2136Client({ nameserver: open.address });
    await unsignedOpen.addTxt('_acme-challenge.open.test', 'unsigned-value');
    assert.deepEqual(await unsignedOpen.queryTxt('_acme-challenge.open.test'), ['unsigned-value']);
  } finally {
    await open.stop();
  }
  const unsigned = new Rfc2136Client({ nameserver: bind.address, timeoutMs: 3000 });
  await assert.rejects(unsigned.addTxt(`_acme-challenge.unsigned.${bind.zone}`, 'v'), {
    code: 'REFUSED',
    message: /refused the unsigned update .* requires a TSIG key/,
  });
});

/** A TCP proxy to BIND that rewrites each response with `mutate` before passing it on. */
async function tamperingProxy(mutate: (response: Buffer) => Buffer): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    sockets.add(downstream);
    const upstream = connect({ host: '127.0.0.1', port: bind.port });
    sockets.add(upstream);
    downstream.pipe(upstream);
    let buf = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      const changed = mutate(Buffer.from(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(changed.length, 0);
      downstream.end(Buffer.concat([len, changed]));
    });
    upstream.on('error', () => downstream.destroy());
    downstream.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test('a response whose TSIG MAC was altered, or stripped, is not trusted', async () => {
  const flipMac = await tamperingProxy((res) => {
    const rec = lastRecord(res);
    if (rec?.type === TYPE_TSIG) res[rec.rdataEnd - 7] ^= 0xff; // last byte of the MAC (followed by original id, error, other len)
    return res;
  });
  const stripTsig = await tamperingProxy((res) => {
    const rec = lastRecord(res);
    if (rec?.type !== TYPE_TSIG) return res;
    const out = Buffer.from(res.subarray(0, rec.start));
    out.writeUInt16BE(out.readUInt16BE(10) - 1, 10);
    return out;
  });
  try {
    const zone = bind.zone;
    await assert.rejects(clientWith({ nameserver: flipMac.address, zone }).addTxt(`_acme-challenge.mac.${zone}`, 'v'), {
      code: 'BADRESPONSESIG',
      message: /MAC does not match/,
    });
    await assert.rejects(clientWith({ nameserver: stripTsig.address, zone }).addTxt(`_acme-challenge.strip.${zone}`, 'v'), {
      code: 'BADRESPONSESIG',
      message: /no TSIG signature/,
    });
  } finally {
    await flipMac.close();
    await stripTsig.close();
  }
});

test('a server that never answers times out after timeoutMs', async () => {
  const held = new Set<Socket>();
  const silent = createServer((s) => void held.add(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  try {
    const started = Date.now();
    await assert.rejects(clientWith({ nameserver: `127.0.0.1:${port}`, zone: bind.zone, timeoutMs: 300 }).addTxt(`a.${bind.zone}`, 'v'), {
      name: 'Rfc2136Error',
      code: 'TIMEOUT',
      retryable: true,
      message: new RegExp(`127\\.0\\.0\\.1:${port} did not answer within 300 ms`),
    });
    assert.ok(Date.now() - started < 10_000, 'gave up near timeoutMs, did not hang');
  } finally {
    for (const s of held) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('an unreachable server is a retryable NETWORK error naming the server', async () => {
  const closedPort = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
  await assert.rejects(clientWith({ nameserver: `127.0.0.1:${closedPort}` }).queryTxt(`a.${bind.zone}`), {
    code: 'NETWORK',
    retryable: true,
    message: new RegExp(`127\\.0\\.0\\.1:${closedPort}.*ECONNREFUSED`),
  });
});

test('bad configuration fails in the constructor with a clear message', () => {
  const base = { nameserver: '127.0.0.1:53', tsigKeyName: 'k', tsigSecret: 'c2VjcmV0' };
  assert.throws(() => new Rfc2136Client({ ...base, tsigAlgorithm: 'hmac-md4' }), /unsupported TSIG algorithm "hmac-md4"/);
  assert.throws(() => new Rfc2136Client({ ...base, tsigSecret: 'not base64!' }), /TSIG secret for key "k" is not valid base64/);
  assert.throws(() => new Rfc2136Client({ ...base, nameserver: '127.0.0.1:99999' }), /bad port "99999"/);
  assert.throws(() => new Rfc2136Client({ ...base, tsigKeyName: ' ' }), /tsigKeyName and tsigSecret must be set together/);
  assert.throws(() => new Rfc2136Client({ nameserver: '127.0.0.1:53', tsigKeyName: 'k' }), /tsigKeyName and tsigSecret must be set together/);
});
