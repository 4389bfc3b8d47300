// The ACME transport against a real loopback HTTP server: problem documents become typed errors,
// rateLimited carries Retry-After, 5xx is retried, badNonce is handed back to acme-client.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAcmeTransport } from './transport.ts';
import { AcmeProblemError, isRateLimited, isTerminalProblem } from './errors.ts';

let server: http.Server;
let base = '';
const hits = new Map<string, number>();

before(async () => {
  server = http.createServer((req, res) => {
    const n = (hits.get(req.url!) ?? 0) + 1;
    hits.set(req.url!, n);
    const problem = (status: number, type: string, detail: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/problem+json', ...headers });
      res.end(JSON.stringify({ type: `urn:ietf:params:acme:error:${type}`, detail }));
    };
    if (req.url === '/limited') return problem(429, 'rateLimited', 'too many certificates already issued', { 'Retry-After': '120' });
    if (req.url === '/flaky' && n < 3) return problem(503, 'serverInternal', 'try later');
    if (req.url === '/down') return problem(500, 'serverInternal', 'always down');
    if (req.url === '/nonce') return problem(400, 'badNonce', 'JWS has an invalid anti-replay nonce', { 'Replay-Nonce': 'fresh' });
    if (req.url === '/rejected') return problem(400, 'rejectedIdentifier', 'Error creating new order :: Cannot issue for "bad_name"');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Replay-Nonce': 'abc' });
    res.end(JSON.stringify({ ok: true, n }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const transport = createAcmeTransport({ retryAttempts: 3, retryBaseMs: 5 });

test('rateLimited is a typed error with Retry-After in ms, not a blocking sleep', async () => {
  const started = Date.now();
  const err = await transport.request(`${base}/limited`, 'post', { data: { payload: 'x' } }).catch((e) => e);
  assert.ok(err instanceof AcmeProblemError);
  assert.ok(isRateLimited(err));
  assert.equal(err.retryAfterMs, 120_000);
  assert.equal(isTerminalProblem(err), false);
  assert.ok(Date.now() - started < 30_000, 'answered at once, not after the 120 s Retry-After');
  assert.equal(hits.get('/limited'), 1, 'not retried in place');
});

test('5xx is retried with backoff, then succeeds', async () => {
  const res = await transport.request(`${base}/flaky`, 'get');
  assert.equal(res.status, 200);
  assert.equal(res.data.n, 3);
  assert.equal(res.headers['replay-nonce'], 'abc');
});

test('5xx that persists ends as a retryable serverInternal error', async () => {
  const err = await transport.request(`${base}/down`, 'get').catch((e) => e);
  assert.ok(err instanceof AcmeProblemError);
  assert.equal(err.httpStatus, 500);
  assert.equal(isTerminalProblem(err), false);
  assert.equal(hits.get('/down'), 4, 'first try + 3 retries');
});

test('badNonce goes back to the caller (acme-client retries it with the fresh nonce)', async () => {
  const res = await transport.request(`${base}/nonce`, 'post', { data: { payload: 'x' } });
  assert.equal(res.status, 400);
  assert.match(res.data.type, /badNonce$/);
});

test('other problems are terminal and keep type and detail verbatim', async () => {
  const err = await transport.request(`${base}/rejected`, 'post', { data: { payload: 'x' } }).catch((e) => e);
  assert.ok(isTerminalProblem(err));
  assert.equal(err.message, 'urn:ietf:params:acme:error:rejectedIdentifier: Error creating new order :: Cannot issue for "bad_name"');
});

test('a newNonce HEAD is answered from the nonces of earlier answers; a badNonce answer keeps its nonce for acme-client', async () => {
  const t = createAcmeTransport({ retryAttempts: 0 });
  const heads = () => hits.get('/new-nonce') ?? 0;
  const first = await t.request(`${base}/new-nonce`, 'head');
  assert.equal(first.headers['replay-nonce'], 'abc');
  assert.equal(heads(), 1, 'an empty pool: the CA is asked');
  await t.request(`${base}/order`, 'post', { data: { payload: '' } });
  const pooled = await t.request(`${base}/new-nonce`, 'head');
  assert.equal(pooled.headers['replay-nonce'], 'abc');
  assert.equal(heads(), 1, 'the nonce of the POST answer served the HEAD');
  const bad = await t.request(`${base}/nonce`, 'post', { data: { payload: 'x' } });
  assert.equal(bad.headers['replay-nonce'], 'fresh', 'acme-client retries with this one');
  assert.equal((await t.request(`${base}/new-nonce`, 'head')).headers['replay-nonce'], 'abc');
  assert.equal(heads(), 2, 'the badNonce answer was not pooled');
  t.close();
});
