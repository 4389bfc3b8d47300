// Contract test of the cloudDNS provider: google-auth-library and the provider's REST calls
// against a local HTTPS server playing both Google's OAuth 2.0 token endpoint and the Cloud DNS
// API v1. The token endpoint checks the JWT bearer grant as Google does: an RS256 assertion signed
// by the service account's private key (verified with its public key), issued by its email, for
// the token URL, with the Cloud DNS scope. The DNS API checks the Bearer token it issued and
// implements managed zone lookup, rrsets list and atomic changes (pending, then done), with
// Google's error bodies (invalid_grant, notFound, conditionNotMet, rateLimitExceeded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextWith, rejectsAsProviderError, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { cloudDnsProvider } from './clouddns.ts';
import { other, serviceAccountKey, DNS, rrsets, changes, assertions, googleError, google, reset } from '../../../../test/services/dns01-fakes/clouddns.ts';

const fake = useFakeApi(google, reset);

const solver = (extra: Record<string, unknown> = {}) => ({
  cloudDNS: { project: 'my-project', serviceAccountSecretRef: { name: 'gcp', key: 'key.json' }, ...extra },
});
const ctx = (key = serviceAccountKey()) => contextWith({ gcp: { 'key.json': key } }, fake.api);
const apex = txtRequest('_acme-challenge.example.com.', 'example.com.', 'apex-value');
const wildcard = txtRequest('_acme-challenge.example.com.', 'example.com.', 'wildcard-value');
const AT_NAME = 'example-com/_acme-challenge.example.com.';

test('service account key: a signed JWT exchanged for a token, the zone found by DNS name, atomic changes waited for', async () => {
  const provider = await cloudDnsProvider(solver(), ctx());
  await provider.present(apex);
  await provider.present(wildcard);
  await provider.present(apex); // already there: no change
  assert.deepEqual(rrsets.get(AT_NAME), { name: '_acme-challenge.example.com.', type: 'TXT', ttl: 60, rrdatas: ['"apex-value"', '"wildcard-value"'] });
  assert.equal(assertions.length, 1, 'one token exchange; the token is reused');
  assert.equal(assertions[0].scope, 'https://www.googleapis.com/auth/ndev.clouddns.readwrite');
  assert.equal(fake.requests[0].path, '/token');
  assert.equal(fake.requests[1].query.get('dnsName'), 'example.com.');
  assert.deepEqual(changes[1], {
    deletions: [{ name: '_acme-challenge.example.com.', type: 'TXT', ttl: 60, rrdatas: ['"apex-value"'] }],
    additions: [{ name: '_acme-challenge.example.com.', type: 'TXT', ttl: 60, rrdatas: ['"apex-value"', '"wildcard-value"'] }],
  });
  assert.ok(
    fake.requests.some((r) => r.method === 'GET' && r.path.startsWith(`${DNS}/managedZones/example-com/changes/`)),
    'each pending change was polled until done',
  );
  assert.ok(!fake.requests.some((r) => r.body.includes('PRIVATE KEY')), 'the private key never leaves the worker');

  await provider.cleanUp(apex);
  assert.deepEqual(rrsets.get(AT_NAME)?.rrdatas, ['"wildcard-value"'], 'the wildcard value stays');
  await provider.cleanUp(apex); // gone already: harmless
  await provider.cleanUp(wildcard);
  assert.equal(rrsets.has(AT_NAME), false, 'the last value deletes the set');
  assert.deepEqual(changes.at(-1)?.additions, []);
  assert.deepEqual(rrsets.get('example-com/other.example.com.')?.rrdatas, ['"unrelated"']);
});

test('hostedZoneName skips the lookup; an unknown one is notFound', async () => {
  const provider = await cloudDnsProvider(solver({ hostedZoneName: 'example-com' }), ctx());
  await provider.present(apex);
  assert.ok(!fake.requests.some((r) => r.path === `${DNS}/managedZones`));
  const wrong = await cloudDnsProvider(solver({ hostedZoneName: 'nope' }), ctx());
  await rejectsAsProviderError(wrong.present(apex), {
    retryable: false,
    message: /not found at Cloud DNS \(notFound: The 'parameters\.managedZone' resource named 'nope' does not exist\.\)/,
  });
});

test('a key the service account does not have: the token exchange fails, a configuration error without the key', async () => {
  const provider = await cloudDnsProvider(solver(), ctx(serviceAccountKey(other.privateKey)));
  const keyBody = other.privateKey.split('\n')[1];
  await rejectsAsProviderError(provider.present(apex), {
    retryable: false,
    message: /Google refused the credentials or their permissions \(invalid_grant: Invalid JWT Signature\.\)/,
    secrets: [keyBody],
  });
  assert.equal(changes.length, 0);
});

test('a zone not in the project, a lost race, and a rate limit', async () => {
  const provider = await cloudDnsProvider(solver(), ctx());
  await rejectsAsProviderError(provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')), {
    retryable: false,
    message: /no managed zone for example\.org\. in project my-project/,
  });
  fake.force((req) =>
    req.method === 'POST' && req.path.endsWith('/changes')
      ? googleError(412, 'conditionNotMet', "Precondition not met for 'entity.change.deletions[0]'", 'FAILED_PRECONDITION')
      : undefined,
  );
  await rejectsAsProviderError(provider.present(apex), { retryable: true, message: /Cloud DNS answered 412 \(conditionNotMet: / });
  fake.force((req) => (req.path.startsWith(DNS) ? googleError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'RESOURCE_EXHAUSTED') : undefined));
  await rejectsAsProviderError(provider.present(apex), { retryable: true, message: /Cloud DNS rate limit reached \(rateLimitExceeded: Rate Limit Exceeded\)/ });
});

test('application default credentials (ClusterIssuers): the key file GOOGLE_APPLICATION_CREDENTIALS names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gcp-adc-'));
  writeFileSync(join(dir, 'key.json'), serviceAccountKey());
  process.env.GOOGLE_APPLICATION_CREDENTIALS = join(dir, 'key.json');
  try {
    const provider = await cloudDnsProvider({ cloudDNS: { project: 'my-project' } }, { ...ctx(), allowAmbientCredentials: true });
    await provider.present(apex);
    assert.deepEqual(rrsets.get(AT_NAME)?.rrdatas, ['"apex-value"']);
    assert.equal(assertions.length, 1, "the key file's JWT was exchanged at the token endpoint");
  } finally {
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no key: application default credentials for ClusterIssuers only; configuration errors name the field', async () => {
  await assert.rejects(cloudDnsProvider({ cloudDNS: { project: 'my-project' } }, ctx()), /application default credentials are only used for ClusterIssuers/);
  await assert.rejects(cloudDnsProvider(solver(), ctx('not json')), /cloudDNS\.serviceAccountSecretRef: the Secret entry is not JSON/);
  await assert.rejects(cloudDnsProvider(solver(), ctx('{}')), /the JSON key has no client_email or private_key/);
  await assert.rejects(cloudDnsProvider({ cloudDNS: { project: '' } }, ctx()), /cloudDNS\.project: set the Google Cloud project/);
});
