// Contract test of the acmeDNS provider against a local HTTPS server implementing acme-dns's
// /update endpoint as the server does it: X-Api-User / X-Api-Key authentication, the two latest
// TXT values kept per subdomain, and its error bodies ({"error": "unauthorized"}, "bad_subdomain").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextWith, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { acmeDnsProvider } from './acmedns.ts';
import { Dns01ProviderError } from './provider.ts';
import { ACCOUNT, txt, acmeDns, reset } from '../../../../test/services/dns01-fakes/acmedns.ts';

const fake = useFakeApi(acmeDns, reset);

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
  await assert.rejects(
    provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', value('a'))),
    /no acme-dns account for example\.org in the Secret \(domains there: example\.com\)/,
  );
  await assert.rejects(acmeDnsProvider(solver(), contextWith({ 'acme-dns': { 'acmedns.json': 'nope' } }, fake.api)), /is not JSON/);
  const down = await acmeDnsProvider(
    { acmeDNS: { host: 'https://127.0.0.1:1', accountSecretRef: { name: 'acme-dns', key: 'acmedns.json' } } },
    ctxWith({ 'example.com': ACCOUNT }),
  );
  await assert.rejects(
    down.present(txtRequest('_acme-challenge.example.com.', 'example.com.', value('a'))),
    (err: unknown) => err instanceof Dns01ProviderError && err.retryable && /unreachable/.test(err.message),
  );
});
