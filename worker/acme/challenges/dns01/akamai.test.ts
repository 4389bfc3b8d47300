// Contract test of the Akamai provider against a local HTTPS server implementing the Edge DNS
// config-dns v2 record set calls it makes (GET, POST, PUT, DELETE of names/<name>/types/TXT).
// Like Akamai's API gateway, the fake recomputes each request's EdgeGrid signature (EG1-HMAC-SHA256)
// from what arrived and the client secret it knows, so a wrong secret is refused; its answers are
// Akamai's problem documents (not authorized, not found, conflict, rate limited).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextWith, rejectsAsProviderError, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { akamaiProvider } from './akamai.ts';
import { CLIENT_TOKEN, CLIENT_SECRET, ACCESS_TOKEN, recordSets, signedBodies, problem, akamai, reset } from '../../../../test/services/dns01-fakes/akamai.ts';

const fake = useFakeApi(akamai, reset);

const solver = () => ({
  akamai: {
    serviceConsumerDomain: fake.api.url.replace('https://', ''),
    clientTokenSecretRef: { name: 'akamai', key: 'client-token' },
    clientSecretSecretRef: { name: 'akamai', key: 'client-secret' },
    accessTokenSecretRef: { name: 'akamai', key: 'access-token' },
  },
});
const ctx = (secret = CLIENT_SECRET) =>
  contextWith({ akamai: { 'client-token': CLIENT_TOKEN, 'client-secret': secret, 'access-token': ACCESS_TOKEN } }, fake.api);
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
  assert.deepEqual(
    fake.requests.map((r) => r.method),
    ['GET', 'POST', 'GET', 'PUT', 'GET'],
  );
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
  await rejectsAsProviderError(provider.present(apex), {
    retryable: false,
    message: /Akamai refused the API client \(Not authorized: The signature does not match\); check the client token/,
    secrets: [wrong, CLIENT_SECRET],
  });
  assert.equal(recordSets.has(AT_NAME), false);
});

test('a zone not in Edge DNS, a rate limit, a server that is down', async () => {
  const provider = await akamaiProvider(solver(), ctx());
  await rejectsAsProviderError(provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')), {
    retryable: false,
    message: /not found at Akamai \(Not Found: Zone "example\.org" does not exist\)/,
  });
  fake.force(() => problem(429, 'Too Many Requests', 'Rate limit exceeded', 'https://problems.luna.akamaiapis.net/-/pep-rate-limit/too-many-requests'));
  await rejectsAsProviderError(provider.present(apex), { retryable: true, message: /Akamai rate limit reached \(Too Many Requests: Rate limit exceeded\)/ });
  const down = await akamaiProvider({ akamai: { ...solver().akamai, serviceConsumerDomain: '127.0.0.1:1' } }, ctx());
  await rejectsAsProviderError(down.present(apex), { retryable: true, message: /unreachable/ });
});

test('configuration errors name the field', async () => {
  await assert.rejects(akamaiProvider({ akamai: { ...solver().akamai, serviceConsumerDomain: '' } }, ctx()), /akamai\.serviceConsumerDomain: set the host/);
  await assert.rejects(
    akamaiProvider({ akamai: { ...solver().akamai, accessTokenSecretRef: { name: 'missing', key: 'access-token' } } }, ctx()),
    /akamai\.accessTokenSecretRef: Secret shop\/missing not found/,
  );
});
