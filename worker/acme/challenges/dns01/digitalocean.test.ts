// Contract test of the DigitalOcean provider against a local HTTPS server implementing the API v2
// domain-records calls it makes (list by type and name, create, delete), with DigitalOcean's
// bodies: {"domain_records": [...]} / {"domain_record": {...}}, 204 on delete, and its errors
// (401 Unauthorized, 404 not_found, 429 too_many_requests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextWith, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { digitaloceanProvider } from './digitalocean.ts';
import { Dns01ProviderError } from './provider.ts';
import { TOKEN, records, RATE_LIMITED, digitalocean, reset } from '../../../../test/services/dns01-fakes/digitalocean.ts';

const fake = useFakeApi(digitalocean, reset);

const solver = { digitalocean: { tokenSecretRef: { name: 'do', key: 'token' } } };
const ctx = (token = TOKEN) => contextWith({ do: { token } }, fake.api);
const apex = txtRequest('_acme-challenge.example.com.', 'example.com.', 'apex-value');
const wildcard = txtRequest('_acme-challenge.example.com.', 'example.com.', 'wildcard-value');

test('one record per value, each deleted on its own, with the Bearer token', async () => {
  const provider = await digitaloceanProvider(solver, ctx());
  await provider.present(apex);
  await provider.present(wildcard);
  await provider.present(apex);
  assert.deepEqual(
    records.map((r) => [r.name, r.data, r.ttl]),
    [
      ['_acme-challenge', 'apex-value', 60],
      ['_acme-challenge', 'wildcard-value', 60],
    ],
  );
  const create = fake.requests.find((r) => r.method === 'POST')!;
  assert.equal(create.path, '/v2/domains/example.com/records');
  assert.deepEqual(create.json, { type: 'TXT', name: '_acme-challenge.example.com.', data: 'apex-value', ttl: 60 });
  assert.equal(fake.requests[0].query.get('name'), '_acme-challenge.example.com');
  await provider.cleanUp(apex);
  assert.deepEqual(
    records.map((r) => r.data),
    ['wildcard-value'],
  );
  await provider.cleanUp(wildcard);
  assert.deepEqual(records, []);
  assert.ok(fake.requests.some((r) => r.method === 'DELETE'));
});

test('DigitalOcean errors: bad token, unknown domain, rate limit', async () => {
  const bad = await digitaloceanProvider(solver, ctx('dop_v1_wrong'));
  await assert.rejects(
    bad.present(apex),
    (err: unknown) =>
      err instanceof Dns01ProviderError &&
      !err.retryable &&
      /refused the token \(Unauthorized: Unable to authenticate you\)/.test(err.message) &&
      !err.message.includes('dop_v1_wrong'),
  );
  const provider = await digitaloceanProvider(solver, ctx());
  await assert.rejects(
    provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')),
    /not found at DigitalOcean \(not_found: .*\); is the zone a domain of this account\?/,
  );
  fake.force(() => RATE_LIMITED);
  await assert.rejects(provider.present(apex), (err: unknown) => err instanceof Dns01ProviderError && err.retryable && /rate limit/.test(err.message));
});
