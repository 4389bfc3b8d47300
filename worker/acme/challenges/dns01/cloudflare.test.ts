// Contract test of the Cloudflare provider: the official SDK against a local HTTPS server that
// implements the part of Cloudflare's API v4 it calls (zone lookup, TXT record list, create,
// delete) with Cloudflare's response envelope and real error bodies (invalid token, rate limit,
// identical record exists, zone not in the account).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextWith, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { cloudflareProvider } from './cloudflare.ts';
import { Dns01ProviderError } from './provider.ts';
import { TOKEN, GLOBAL_KEY, ZONE_ID, envelope, failure, records, cloudflare, reset } from '../../../../test/services/dns01-fakes/cloudflare.ts';

const fake = useFakeApi(cloudflare, reset);

const tokenSolver = { cloudflare: { apiTokenSecretRef: { name: 'cloudflare', key: 'api-token' } } };
const tokenCtx = () => contextWith({ cloudflare: { 'api-token': TOKEN } }, fake.api);

test('API token: zone found by name, one TXT record per value, each removed on its own', async () => {
  const provider = await cloudflareProvider(tokenSolver, tokenCtx());
  const apex = txtRequest('_acme-challenge.example.com.', 'example.com.', 'apex-value');
  const wildcard = txtRequest('_acme-challenge.example.com.', 'example.com.', 'wildcard-value');
  await provider.present(apex);
  await provider.present(wildcard);
  await provider.present(apex); // again: no duplicate
  assert.deepEqual(
    records.map((r) => [r.name, r.content, r.ttl]),
    [
      ['_acme-challenge.example.com', 'apex-value', 120],
      ['_acme-challenge.example.com', 'wildcard-value', 120],
    ],
  );

  const first = fake.requests[0];
  assert.equal(first.method, 'GET');
  assert.equal(first.path, '/zones');
  assert.equal(first.query.get('name'), 'example.com');
  assert.ok(
    fake.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}` && !r.headers['x-auth-key']),
    'the token as a Bearer header on every call',
  );
  const create = fake.requests.find((r) => r.method === 'POST')!;
  assert.equal(create.path, `/zones/${ZONE_ID}/dns_records`);
  assert.deepEqual(create.json, { type: 'TXT', name: '_acme-challenge.example.com', content: 'apex-value', ttl: 120 });
  assert.equal(fake.requests.filter((r) => r.method === 'POST').length, 2, 'the repeated present created nothing');

  await provider.cleanUp(apex);
  assert.deepEqual(
    records.map((r) => r.content),
    ['wildcard-value'],
    'only the apex value was removed',
  );
  await provider.cleanUp(apex); // gone already: harmless
  await provider.cleanUp(wildcard);
  assert.deepEqual(records, []);
});

test('global API key with email: X-Auth-Key and X-Auth-Email headers', async () => {
  const provider = await cloudflareProvider(
    { cloudflare: { email: 'ops@example.com', apiKeySecretRef: { name: 'cloudflare', key: 'api-key' } } },
    contextWith({ cloudflare: { 'api-key': GLOBAL_KEY } }, fake.api),
  );
  await provider.present(txtRequest('_acme-challenge.www.example.com.', 'example.com.', 'v'));
  assert.ok(fake.requests.every((r) => r.headers['x-auth-key'] === GLOBAL_KEY && r.headers['x-auth-email'] === 'ops@example.com' && !r.headers.authorization));
  assert.equal(records[0].name, '_acme-challenge.www.example.com');
});

test('a bad token is a configuration error that says what to check, without the token', async () => {
  const provider = await cloudflareProvider(tokenSolver, contextWith({ cloudflare: { 'api-token': 'wrong-token' } }, fake.api));
  await assert.rejects(provider.present(txtRequest('_acme-challenge.example.com.', 'example.com.', 'v')), (err: unknown) => {
    assert.ok(err instanceof Dns01ProviderError);
    assert.equal(err.retryable, false);
    assert.match(err.message, /Cloudflare refused the credentials \(9109: Invalid access token\)/);
    assert.ok(!err.message.includes('wrong-token'));
    return true;
  });
});

test('a zone the account does not have', async () => {
  const provider = await cloudflareProvider(tokenSolver, tokenCtx());
  await assert.rejects(
    provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')),
    /zone example\.org not found in the Cloudflare account/,
  );
});

test('rate limited: retried by the SDK, then a retryable error', async () => {
  fake.force(() => failure(429, 971, 'Please wait and consider throttling your request speed', { 'retry-after': '0' }));
  const provider = await cloudflareProvider(tokenSolver, tokenCtx());
  await assert.rejects(provider.present(txtRequest('_acme-challenge.example.com.', 'example.com.', 'v')), (err: unknown) => {
    assert.ok(err instanceof Dns01ProviderError && err.retryable);
    assert.match(err.message, /rate limit/);
    return true;
  });
  assert.equal(fake.requests.length, 3, "the first call and the SDK's two retries");
});

test('an identical record created meanwhile counts as presented', async () => {
  let listed = false;
  fake.force((req) => {
    // the list sees nothing, then someone else creates the same record before our POST
    if (req.method === 'GET' && req.path.endsWith('/dns_records') && !listed) {
      listed = true;
      records.push({ id: 'rec-other', type: 'TXT', name: '_acme-challenge.example.com', content: 'v', ttl: 120 });
      return { body: envelope([], { result_info: { page: 1, per_page: 100, count: 0, total_count: 0, total_pages: 1 } }) };
    }
    return undefined;
  });
  const provider = await cloudflareProvider(tokenSolver, tokenCtx());
  await provider.present(txtRequest('_acme-challenge.example.com.', 'example.com.', 'v'));
  assert.equal(records.length, 1);
});

test('configuration errors name the field', async () => {
  await assert.rejects(cloudflareProvider({ cloudflare: {} }, tokenCtx()), /set exactly one of apiTokenSecretRef and apiKeySecretRef/);
  await assert.rejects(
    cloudflareProvider({ cloudflare: { apiKeySecretRef: { name: 'cloudflare', key: 'api-key' } } }, tokenCtx()),
    /email: the global API key/,
  );
  await assert.rejects(
    cloudflareProvider({ cloudflare: { apiTokenSecretRef: { name: 'missing', key: 'api-token' } } }, tokenCtx()),
    /apiTokenSecretRef: Secret shop\/missing not found/,
  );
});
