// Contract test of the Akamai provider against a local HTTPS server implementing the Edge DNS
// config-dns v2 record set calls it makes (GET, POST, PUT, DELETE of names/<name>/types/TXT).
// Like Akamai's API gateway, the fake recomputes each request's EdgeGrid signature (EG1-HMAC-SHA256)
// from what arrived and the client secret it knows, so a wrong secret is refused; its answers are
// Akamai's problem documents (not authorized, not found, conflict, rate limited).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import type { FakeRequest, FakeResponse } from '../../../../test/services/fake-api.ts';
import { contextWith, rejectsAsProviderError, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { akamaiProvider } from './akamai.ts';

const CLIENT_TOKEN = 'akab-client-token-xxx-xxxxxxxxxxxxxxxx';
const CLIENT_SECRET = 'C113nt53KR3TN6N90yVuAgICxIRwsObLi0E67/N8eRN=';
const ACCESS_TOKEN = 'akab-access-token-xxx-xxxxxxxxxxxxxxxx';

let recordSets: Map<string, { name: string; type: string; ttl: number; rdata: string[] }>; // "zone/name"
let signedBodies: string[];

const problem = (status: number, title: string, detail: string, type = 'https://problems.luna.akamaiapis.net/authoritative-dns/error'): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/problem+json' },
  body: { type, title, status, detail, instance: 'https://akab-host.luna.akamaiapis.net/config-dns/v2/', requestId: 'req-1' },
});
const b64hmac = (key: string, data: string) => createHmac('sha256', key).update(data).digest('base64');

/** What Akamai's gateway checks: a known client and access token, and the EdgeGrid signature. */
function edgegridProblem(req: FakeRequest): FakeResponse | undefined {
  const header = String(req.headers.authorization ?? '');
  const m = /^(EG1-HMAC-SHA256 client_token=([^;]*);access_token=([^;]*);timestamp=(\d{8}T\d\d:\d\d:\d\d\+0000);nonce=([^;]+);)signature=(.+)$/.exec(header);
  const deny = (detail: string) => problem(401, 'Not authorized', detail, 'https://problems.luna.akamaiapis.net/-/pep-authn/deny');
  if (!m) return deny('Invalid authorization header');
  const [, unsigned, clientToken, accessToken, timestamp, , signature] = m;
  if (clientToken !== CLIENT_TOKEN) return deny('Invalid authorization client token');
  if (accessToken !== ACCESS_TOKEN) return deny('Invalid authorization access token');
  const query = req.query.toString();
  const contentHash = req.method === 'POST' && req.body ? createHash('sha256').update(req.body).digest('base64') : '';
  const data = [req.method, 'https', String(req.headers.host), req.path + (query ? `?${query}` : ''), '', contentHash, unsigned].join('\t');
  if (signature !== b64hmac(b64hmac(CLIENT_SECRET, timestamp), data)) return deny('The signature does not match');
  if (contentHash) signedBodies.push(req.body);
  return undefined;
}

function akamai(req: FakeRequest): FakeResponse {
  const refused = edgegridProblem(req);
  if (refused) return refused;
  const m = /^\/config-dns\/v2\/zones\/([^/]+)\/names\/([^/]+)\/types\/TXT$/.exec(req.path);
  if (!m) return problem(404, 'Not Found', `${req.method} ${req.path}`);
  const [, zone, name] = m;
  if (zone !== 'example.com') return problem(404, 'Not Found', `Zone "${zone}" does not exist`);
  const key = `${zone}/${name}`;
  const existing = recordSets.get(key);
  switch (req.method) {
    case 'GET':
      return existing ? { body: existing } : problem(404, 'Not Found', `Record set with name ${name} and type TXT not found`);
    case 'POST':
      if (existing) return problem(409, 'Conflict', `Record set with name ${name} and type TXT already exists`);
      recordSets.set(key, req.json);
      return { status: 201, body: req.json };
    case 'PUT':
      if (!existing) return problem(404, 'Not Found', `Record set with name ${name} and type TXT not found`);
      recordSets.set(key, req.json);
      return { body: req.json };
    case 'DELETE':
      if (!existing) return problem(404, 'Not Found', `Record set with name ${name} and type TXT not found`);
      recordSets.delete(key);
      return { status: 204 };
  }
  return problem(405, 'Method Not Allowed', req.method);
}

const fake = useFakeApi(akamai, () => {
  recordSets = new Map([['example.com/other.example.com', { name: 'other.example.com', type: 'TXT', ttl: 300, rdata: ['"unrelated"'] }]]);
  signedBodies = [];
});

const solver = () => ({
  akamai: {
    serviceConsumerDomain: fake.api.url.replace('https://', ''),
    clientTokenSecretRef: { name: 'akamai', key: 'client-token' },
    clientSecretSecretRef: { name: 'akamai', key: 'client-secret' },
    accessTokenSecretRef: { name: 'akamai', key: 'access-token' },
  },
});
const ctx = (secret = CLIENT_SECRET) => contextWith({ akamai: { 'client-token': CLIENT_TOKEN, 'client-secret': secret, 'access-token': ACCESS_TOKEN } }, fake.api);
const apex = txtRequest('_acme-challenge.example.com.', 'example.com.', 'apex-value');
const wildcard = txtRequest('_acme-challenge.example.com.', 'example.com.', 'wildcard-value');
const AT_NAME = 'example.com/_acme-challenge.example.com';

test('signed calls: the record set is created, extended, shrunk and deleted value by value', async () => {
  const provider = await akamaiProvider(solver(), ctx());
  await provider.present(apex);
  assert.deepEqual(recordSets.get(AT_NAME), { name: '_acme-challenge.example.com', type: 'TXT', ttl: 300, rdata: ['"apex-value"'] });
  await provider.present(wildcard);
  await provider.present(apex); // already there: nothing written
  assert.deepEqual(recordSets.get(AT_NAME)?.rdata, ['"apex-value"', '"wildcard-value"']);
  assert.deepEqual(fake.requests.map((r) => r.method), ['GET', 'POST', 'GET', 'PUT', 'GET']);
  assert.equal(fake.requests[1].path, '/config-dns/v2/zones/example.com/names/_acme-challenge.example.com/types/TXT');
  assert.equal(signedBodies.length, 1, 'the POST body was covered by the signature');
  for (const r of fake.requests) assert.ok(!String(r.headers.authorization).includes(CLIENT_SECRET), 'the client secret is never sent');

  await provider.cleanUp(apex);
  assert.deepEqual(recordSets.get(AT_NAME)?.rdata, ['"wildcard-value"'], 'the wildcard value stays');
  await provider.cleanUp(apex); // gone already: harmless
  await provider.cleanUp(wildcard);
  assert.equal(recordSets.has(AT_NAME), false, 'the last value deletes the set');
  assert.equal(fake.requests.at(-1)?.method, 'DELETE');
  assert.deepEqual(recordSets.get('example.com/other.example.com')?.rdata, ['"unrelated"']);
});

test('a wrong client secret fails the signature check: a configuration error without the secret', async () => {
  const wrong = 'WR0NG53KR3TN6N90yVuAgICxIRwsObLi0E67/N8eRN=';
  const provider = await akamaiProvider(solver(), ctx(wrong));
  await rejectsAsProviderError(provider.present(apex), { retryable: false, message: /Akamai refused the API client \(Not authorized: The signature does not match\); check the client token/, secrets: [wrong, CLIENT_SECRET] });
  assert.equal(recordSets.has(AT_NAME), false);
});

test('a zone not in Edge DNS, a rate limit, a server that is down', async () => {
  const provider = await akamaiProvider(solver(), ctx());
  await rejectsAsProviderError(provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')), { retryable: false, message: /not found at Akamai \(Not Found: Zone "example\.org" does not exist\)/ });
  fake.force(() => problem(429, 'Too Many Requests', 'Rate limit exceeded', 'https://problems.luna.akamaiapis.net/-/pep-rate-limit/too-many-requests'));
  await rejectsAsProviderError(provider.present(apex), { retryable: true, message: /Akamai rate limit reached \(Too Many Requests: Rate limit exceeded\)/ });
  const down = await akamaiProvider({ akamai: { ...solver().akamai, serviceConsumerDomain: '127.0.0.1:1' } }, ctx());
  await rejectsAsProviderError(down.present(apex), { retryable: true, message: /unreachable/ });
});

test('configuration errors name the field', async () => {
  await assert.rejects(akamaiProvider({ akamai: { ...solver().akamai, serviceConsumerDomain: '' } }, ctx()), /akamai\.serviceConsumerDomain: set the host/);
  await assert.rejects(akamaiProvider({ akamai: { ...solver().akamai, accessTokenSecretRef: { name: 'missing', key: 'access-token' } } }, ctx()), /akamai\.accessTokenSecretRef: Secret shop\/missing not found/);
});
