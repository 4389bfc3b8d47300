// Contract test of the acmeDNS provider against a local HTTPS server implementing acme-dns's
// /update endpoint as the server does it: X-Api-User / X-Api-Key authentication, the two latest
// TXT values kept per subdomain, and its error bodies ({"error": "unauthorized"}, "bad_subdomain").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeRequest, FakeResponse } from '../../../../test/services/fake-api.ts';
import { contextWith, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { acmeDnsProvider } from './acmedns.ts';
import { Dns01ProviderError } from './provider.ts';

const ACCOUNT = { username: 'c36f50e8-4632-44f0-83fe-e070fef28a10', password: 'htB9mR9DYgcu9bX_afHF62erXaH2TS7bg9KW3F7Z', fulldomain: 'd420c923-bbd7-4056-ab64-c3ca54c9b3cf.auth.example.org', subdomain: 'd420c923-bbd7-4056-ab64-c3ca54c9b3cf', allowfrom: [] };
let txt: string[];

function acmeDns(req: FakeRequest): FakeResponse {
  if (req.method !== 'POST' || req.path !== '/update') return { status: 404, body: { error: 'not_found' } };
  if (req.headers['x-api-user'] !== ACCOUNT.username || req.headers['x-api-key'] !== ACCOUNT.password) return { status: 401, body: { error: 'unauthorized' } };
  if (req.json?.subdomain !== ACCOUNT.subdomain) return { status: 401, body: { error: 'unauthorized' } };
  if (typeof req.json?.txt !== 'string' || req.json.txt.length !== 43) return { status: 400, body: { error: 'bad_txt' } };
  txt = [...txt, req.json.txt].slice(-2);
  return { body: { txt: req.json.txt } };
}

const fake = useFakeApi(acmeDns, () => {
  txt = [];
});

const solver = () => ({ acmeDNS: { host: fake.api.url, accountSecretRef: { name: 'acme-dns', key: 'acmedns.json' } } });
const ctxWith = (accounts: unknown) => contextWith({ 'acme-dns': { 'acmedns.json': JSON.stringify(accounts) } }, fake.api);
const value = (c: string) => c.repeat(43);

test('present updates the account of the domain, apex and wildcard values both kept', async () => {
  const provider = await acmeDnsProvider(solver(), ctxWith({ 'example.com': ACCOUNT }));
  await provider.present(txtRequest('_acme-challenge.example.com.', 'example.com.', value('a')));
  await provider.present(txtRequest('_acme-challenge.example.com.', 'example.com.', value('b')));
  assert.deepEqual(txt, [value('a'), value('b')]);
  const r = fake.requests[0];
  assert.equal(r.headers['x-api-user'], ACCOUNT.username);
  assert.equal(r.headers['x-api-key'], ACCOUNT.password);
  assert.deepEqual(r.json, { subdomain: ACCOUNT.subdomain, txt: value('a') });
  await provider.cleanUp(txtRequest('_acme-challenge.example.com.', 'example.com.', value('a')));
  assert.equal(fake.requests.length, 2, 'acme-dns has no delete: clean-up sends nothing');
});

test('wrong password: a configuration error without the password', async () => {
  const provider = await acmeDnsProvider(solver(), ctxWith({ 'example.com': { ...ACCOUNT, password: 'not-the-password' } }));
  await assert.rejects(provider.present(txtRequest('_acme-challenge.example.com.', 'example.com.', value('a'))), (err: unknown) => {
    assert.ok(err instanceof Dns01ProviderError && !err.retryable);
    assert.match(err.message, /acme-dns refused the account for example\.com \(unauthorized\)/);
    assert.ok(!err.message.includes('not-the-password'));
    return true;
  });
});

test('a domain with no account, a Secret that is not JSON, a server that is down', async () => {
  const provider = await acmeDnsProvider(solver(), ctxWith({ 'example.com': ACCOUNT }));
  await assert.rejects(provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', value('a'))), /no acme-dns account for example\.org in the Secret \(domains there: example\.com\)/);
  await assert.rejects(acmeDnsProvider(solver(), contextWith({ 'acme-dns': { 'acmedns.json': 'nope' } }, fake.api)), /is not JSON/);
  const down = await acmeDnsProvider({ acmeDNS: { host: 'https://127.0.0.1:1', accountSecretRef: { name: 'acme-dns', key: 'acmedns.json' } } }, ctxWith({ 'example.com': ACCOUNT }));
  await assert.rejects(down.present(txtRequest('_acme-challenge.example.com.', 'example.com.', value('a'))), (err: unknown) => err instanceof Dns01ProviderError && err.retryable && /unreachable/.test(err.message));
});
