import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { listenSolver, MAX_HEADER_BYTES, type SolverServer } from './server.ts';
import { TokenIndex } from './token-index.ts';
import type { Challenge } from '../api/types.generated.ts';

const challenge = (token: string, key: string, uid = 'u1', type: 'HTTP-01' | 'DNS-01' = 'HTTP-01'): Challenge => ({
  apiVersion: 'acme.cert-manager.io/v1',
  kind: 'Challenge',
  metadata: { name: `c-${token}`, namespace: 'default', uid },
  spec: { authorizationURL: 'https://ca/authz/1', dnsName: 'a.example.test', issuerRef: { name: 'i' }, key, solver: {}, token, type, url: 'https://ca/chal/1' },
});

let server: SolverServer;
const tokens = new TokenIndex();
before(async () => {
  tokens.upsert(challenge('tok_A-1', 'tok_A-1.thumbprint'));
  tokens.upsert(challenge('dnstoken', 'digest', 'u2', 'DNS-01'));
  server = await listenSolver({ host: '127.0.0.1', port: 0, lookup: (t) => tokens.keyAuthorization(t), ready: () => true });
});
after(() => server.close());

test('answers a known token with its key authorization as text/plain', async () => {
  const res = await fetch(`${server.url}/.well-known/acme-challenge/tok_A-1`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  assert.equal(await res.text(), 'tok_A-1.thumbprint');
});

test('unknown tokens, DNS-01 tokens and other paths get 404', async () => {
  for (const path of [
    '/.well-known/acme-challenge/nope',
    '/.well-known/acme-challenge/dnstoken',
    '/.well-known/acme-challenge/',
    '/',
    '/.well-known/acme-challenge/../x',
  ]) {
    const res = await fetch(`${server.url}${path}`);
    assert.equal(res.status, 404, path);
    await res.text();
  }
});

test('HEAD answers headers without a body; other methods get 405', async () => {
  const head = await fetch(`${server.url}/.well-known/acme-challenge/tok_A-1`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String('tok_A-1.thumbprint'.length));
  assert.equal(await head.text(), '');
  const post = await fetch(`${server.url}/.well-known/acme-challenge/tok_A-1`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  await post.text();
});

test('an over-long URL gets 414 and over-large headers 431', async () => {
  const long = await fetch(`${server.url}/.well-known/acme-challenge/${'a'.repeat(2000)}`);
  assert.equal(long.status, 414);
  await long.text();
  const status = await rawStatus(server.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(MAX_HEADER_BYTES * 2)}\r\n\r\n`);
  assert.equal(status, 431);
});

test('a removed challenge stops being served; a newer object with the same token is kept', async () => {
  tokens.upsert(challenge('gone', 'k1', 'old'));
  tokens.upsert(challenge('gone', 'k2', 'new'));
  tokens.remove(challenge('gone', 'k1', 'old'));
  assert.equal(await (await fetch(`${server.url}/.well-known/acme-challenge/gone`)).text(), 'k2');
  tokens.remove(challenge('gone', 'k2', 'new'));
  const res = await fetch(`${server.url}/.well-known/acme-challenge/gone`);
  assert.equal(res.status, 404);
  await res.text();
});

test('/readyz reflects cache readiness with its reason; /healthz only says the process is alive', async () => {
  let ready: true | string = 'Challenge cache not synced';
  const s = await listenSolver({ host: '127.0.0.1', port: 0, lookup: () => undefined, ready: () => ready });
  try {
    const notReady = await fetch(`${s.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.match(await notReady.text(), /Challenge cache not synced/);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    ready = true;
    assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
  } finally {
    await s.close();
  }
});

function rawStatus(port: number, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(request));
    let data = '';
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
    sock.on('data', (c) => {
      data += c.toString();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) {
        sock.destroy();
        resolve(Number(m[1]));
      }
    });
    sock.on('error', reject);
  });
}
