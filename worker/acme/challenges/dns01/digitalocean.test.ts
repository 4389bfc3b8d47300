// Contract test of the DigitalOcean provider against a local HTTPS server implementing the API v2
// domain-records calls it makes (list by type and name, create, delete), with DigitalOcean's
// bodies: {"domain_records": [...]} / {"domain_record": {...}}, 204 on delete, and its errors
// (401 Unauthorized, 404 not_found, 429 too_many_requests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeRequest, FakeResponse } from '../../../../test/services/fake-api.ts';
import { contextWith, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { digitaloceanProvider } from './digitalocean.ts';
import { Dns01ProviderError } from './provider.ts';

const TOKEN = 'dop_v1_0123456789abcdef0123456789abcdef';
let records: Array<{ id: number; type: string; name: string; data: string; ttl: number }>;
let nextId = 100;
let rateLimited = false;

function digitalocean(req: FakeRequest): FakeResponse {
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { id: 'Unauthorized', message: 'Unable to authenticate you' } };
  if (rateLimited) return { status: 429, body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' } };
  const m = /^\/v2\/domains\/([^/]+)\/records(?:\/(\d+))?$/.exec(req.path);
  if (!m || m[1] !== 'example.com') return { status: 404, body: { id: 'not_found', message: 'The resource you were accessing could not be found.' } };
  if (req.method === 'GET') {
    // the name filter takes the full name; records carry the name relative to the domain
    const relative = (req.query.get('name') ?? '').replace(/\.?example\.com$/, '') || '@';
    const found = records.filter((r) => r.type === req.query.get('type') && r.name === relative);
    return { body: { domain_records: found, links: {}, meta: { total: found.length } } };
  }
  if (req.method === 'POST') {
    const rec = { id: nextId++, type: req.json.type, name: String(req.json.name).replace(/\.?example\.com\.?$/, ''), data: req.json.data, ttl: req.json.ttl };
    records.push(rec);
    return { status: 201, body: { domain_record: rec } };
  }
  if (req.method === 'DELETE' && m[2]) {
    records = records.filter((r) => r.id !== Number(m[2]));
    return { status: 204 };
  }
  return { status: 405, body: { id: 'method_not_allowed', message: 'method not allowed' } };
}

const fake = useFakeApi(digitalocean, () => {
  records = [];
  rateLimited = false;
});

const solver = { digitalocean: { tokenSecretRef: { name: 'do', key: 'token' } } };
const ctx = (token = TOKEN) => contextWith({ do: { token } }, fake.api);
const apex = txtRequest('_acme-challenge.example.com.', 'example.com.', 'apex-value');
const wildcard = txtRequest('_acme-challenge.example.com.', 'example.com.', 'wildcard-value');

test('one record per value, each deleted on its own, with the Bearer token', async () => {
  const provider = await digitaloceanProvider(solver, ctx());
  await provider.present(apex);
  await provider.present(wildcard);
  await provider.present(apex);
  assert.deepEqual(records.map((r) => [r.name, r.data, r.ttl]), [['_acme-challenge', 'apex-value', 60], ['_acme-challenge', 'wildcard-value', 60]]);
  const create = fake.requests.find((r) => r.method === 'POST')!;
  assert.equal(create.path, '/v2/domains/example.com/records');
  assert.deepEqual(create.json, { type: 'TXT', name: '_acme-challenge.example.com.', data: 'apex-value', ttl: 60 });
  assert.equal(fake.requests[0].query.get('name'), '_acme-challenge.example.com');
  await provider.cleanUp(apex);
  assert.deepEqual(records.map((r) => r.data), ['wildcard-value']);
  await provider.cleanUp(wildcard);
  assert.deepEqual(records, []);
  assert.ok(fake.requests.some((r) => r.method === 'DELETE'));
});

test('DigitalOcean errors: bad token, unknown domain, rate limit', async () => {
  const bad = await digitaloceanProvider(solver, ctx('dop_v1_wrong'));
  await assert.rejects(bad.present(apex), (err: unknown) => err instanceof Dns01ProviderError && !err.retryable && /refused the token \(Unauthorized: Unable to authenticate you\)/.test(err.message) && !err.message.includes('dop_v1_wrong'));
  const provider = await digitaloceanProvider(solver, ctx());
  await assert.rejects(provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')), /not found at DigitalOcean \(not_found: .*\); is the zone a domain of this account\?/);
  rateLimited = true;
  await assert.rejects(provider.present(apex), (err: unknown) => err instanceof Dns01ProviderError && err.retryable && /rate limit/.test(err.message));
});
