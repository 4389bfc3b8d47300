// Contract test of the cloudDNS provider: google-auth-library and the provider's REST calls
// against a local HTTPS server playing both Google's OAuth 2.0 token endpoint and the Cloud DNS
// API v1. The token endpoint checks the JWT bearer grant as Google does: an RS256 assertion signed
// by the service account's private key (verified with its public key), issued by its email, for
// the token URL, with the Cloud DNS scope. The DNS API checks the Bearer token it issued and
// implements managed zone lookup, rrsets list and atomic changes (pending, then done), with
// Google's error bodies (invalid_grant, notFound, conditionNotMet, rateLimitExceeded).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createVerify, generateKeyPairSync } from 'node:crypto';
import type { FakeRequest, FakeResponse } from '../../../../test/services/fake-api.ts';
import { contextWith, rejectsAsProviderError, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { cloudDnsProvider } from './clouddns.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const EMAIL = 'certgate-dns01@my-project.iam.gserviceaccount.com';
const serviceAccountKey = (key = privateKey) => JSON.stringify({ type: 'service_account', project_id: 'my-project', private_key_id: '2f6d5e0c9b8a', private_key: key, client_email: EMAIL, client_id: '1234567890', token_uri: 'https://oauth2.googleapis.com/token' });
const ACCESS_TOKEN = 'ya29.c.fake-access-token';
const DNS = '/dns/v1/projects/my-project';

let rrsets: Map<string, { name: string; type: string; ttl: number; rrdatas: string[] }>; // zone/name
let changes: Array<{ additions: unknown[]; deletions: unknown[] }>;
let assertions: Array<Record<string, unknown>>;

const googleError = (code: number, reason: string, message: string, status: string): FakeResponse => ({ status: code, body: { error: { code, message, errors: [{ message, domain: 'global', reason }], status } } });
const b64url = (s: string) => Buffer.from(s, 'base64url');

/** Google's JWT bearer grant: the assertion's signature, issuer, audience, scope and lifetime. */
function token(req: FakeRequest): FakeResponse {
  const form = new URLSearchParams(req.body);
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } };
  const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
  const verifier = createVerify('RSA-SHA256').update(`${header}.${claims}`);
  if (JSON.parse(b64url(header).toString()).alg !== 'RS256' || !verifier.verify(publicKey, b64url(signature))) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
  const c = JSON.parse(b64url(claims).toString());
  assertions.push(c);
  const now = Date.now() / 1000;
  if (c.iss !== EMAIL || c.aud !== 'https://oauth2.googleapis.com/token' || !(c.iat <= now + 60 && c.exp > now && c.exp - c.iat <= 3600)) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.' } };
  if (!String(c.scope).split(' ').includes('https://www.googleapis.com/auth/ndev.clouddns.readwrite')) return { status: 400, body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' } };
  return { body: { access_token: ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' } };
}

function google(req: FakeRequest): FakeResponse {
  if (req.method === 'POST' && req.path === '/token') return token(req);
  if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return googleError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'UNAUTHENTICATED');
  if (req.method === 'GET' && req.path === `${DNS}/managedZones`) {
    const zones = [{ name: 'example-com', dnsName: 'example.com.', visibility: 'public', kind: 'dns#managedZone' }].filter((z) => z.dnsName === req.query.get('dnsName'));
    return { body: { kind: 'dns#managedZonesListResponse', managedZones: zones } };
  }
  const m = new RegExp(`^${DNS}/managedZones/([^/]+)/(rrsets|changes)(?:/([^/]+))?$`).exec(req.path);
  if (!m) return googleError(404, 'notFound', `${req.method} ${req.path}`, 'NOT_FOUND');
  const [, zone, kind, changeId] = m;
  if (zone !== 'example-com') return googleError(404, 'notFound', `The 'parameters.managedZone' resource named '${zone}' does not exist.`, 'NOT_FOUND');
  if (kind === 'rrsets' && req.method === 'GET') {
    const set = rrsets.get(`${zone}/${req.query.get('name')}`);
    return { body: { kind: 'dns#resourceRecordSetsListResponse', rrsets: set && req.query.get('type') === 'TXT' ? [set] : [] } };
  }
  if (kind === 'changes' && req.method === 'POST') {
    const { additions = [], deletions = [] } = req.json;
    for (const d of deletions) {
      if (JSON.stringify(rrsets.get(`${zone}/${d.name}`)?.rrdatas) !== JSON.stringify(d.rrdatas)) return googleError(412, 'conditionNotMet', `Precondition not met for 'entity.change.deletions[${d.name}]'`, 'FAILED_PRECONDITION');
    }
    for (const a of additions) {
      if (rrsets.has(`${zone}/${a.name}`) && !deletions.some((d: { name: string }) => d.name === a.name)) return googleError(409, 'alreadyExists', `The resource 'entity.change.additions[${a.name}][TXT]' named '${a.name} (TXT)' already exists`, 'ALREADY_EXISTS');
    }
    for (const d of deletions) rrsets.delete(`${zone}/${d.name}`);
    for (const a of additions) rrsets.set(`${zone}/${a.name}`, a);
    changes.push({ additions, deletions });
    return { body: { kind: 'dns#change', id: String(changes.length), status: 'pending', additions, deletions } };
  }
  if (kind === 'changes' && req.method === 'GET' && changeId) return { body: { kind: 'dns#change', id: changeId, status: 'done' } };
  return googleError(405, 'methodNotAllowed', req.method, 'METHOD_NOT_ALLOWED');
}

const fake = useFakeApi(google, () => {
  rrsets = new Map([['example-com/other.example.com.', { name: 'other.example.com.', type: 'TXT', ttl: 300, rrdatas: ['"unrelated"'] }]]);
  changes = [];
  assertions = [];
});

const solver = (extra: Record<string, unknown> = {}) => ({ cloudDNS: { project: 'my-project', serviceAccountSecretRef: { name: 'gcp', key: 'key.json' }, ...extra } });
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
  assert.deepEqual(changes[1], { deletions: [{ name: '_acme-challenge.example.com.', type: 'TXT', ttl: 60, rrdatas: ['"apex-value"'] }], additions: [{ name: '_acme-challenge.example.com.', type: 'TXT', ttl: 60, rrdatas: ['"apex-value"', '"wildcard-value"'] }] });
  assert.ok(fake.requests.some((r) => r.method === 'GET' && r.path.startsWith(`${DNS}/managedZones/example-com/changes/`)), 'each pending change was polled until done');
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
  await rejectsAsProviderError(wrong.present(apex), { retryable: false, message: /not found at Cloud DNS \(notFound: The 'parameters\.managedZone' resource named 'nope' does not exist\.\)/ });
});

test('a key the service account does not have: the token exchange fails, a configuration error without the key', async () => {
  const provider = await cloudDnsProvider(solver(), ctx(serviceAccountKey(other.privateKey)));
  const keyBody = other.privateKey.split('\n')[1];
  await rejectsAsProviderError(provider.present(apex), { retryable: false, message: /Google refused the credentials or their permissions \(invalid_grant: Invalid JWT Signature\.\)/, secrets: [keyBody] });
  assert.equal(changes.length, 0);
});

test('a zone not in the project, a lost race, and a rate limit', async () => {
  const provider = await cloudDnsProvider(solver(), ctx());
  await rejectsAsProviderError(provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')), { retryable: false, message: /no managed zone for example\.org\. in project my-project/ });
  fake.force((req) => (req.method === 'POST' && req.path.endsWith('/changes') ? googleError(412, 'conditionNotMet', "Precondition not met for 'entity.change.deletions[0]'", 'FAILED_PRECONDITION') : undefined));
  await rejectsAsProviderError(provider.present(apex), { retryable: true, message: /Cloud DNS answered 412 \(conditionNotMet: / });
  fake.force((req) => (req.path.startsWith(DNS) ? googleError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'RESOURCE_EXHAUSTED') : undefined));
  await rejectsAsProviderError(provider.present(apex), { retryable: true, message: /Cloud DNS rate limit reached \(rateLimitExceeded: Rate Limit Exceeded\)/ });
});

test('no key: application default credentials for ClusterIssuers only; configuration errors name the field', async () => {
  await assert.rejects(cloudDnsProvider({ cloudDNS: { project: 'my-project' } }, ctx()), /application default credentials are only used for ClusterIssuers/);
  await assert.rejects(cloudDnsProvider(solver(), ctx('not json')), /cloudDNS\.serviceAccountSecretRef: the Secret entry is not JSON/);
  await assert.rejects(cloudDnsProvider(solver(), ctx('{}')), /the JSON key has no client_email or private_key/);
  await assert.rejects(cloudDnsProvider({ cloudDNS: { project: '' } }, ctx()), /cloudDNS\.project: set the Google Cloud project/);
});
