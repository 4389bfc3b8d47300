// Contract test of the azureDNS provider: the official SDKs (@azure/identity's client secret
// credential, @azure/arm-dns) against a local HTTPS server playing both Microsoft Entra ID (the
// tenant's OpenID configuration and its v2.0 token endpoint, which checks the client id and
// secret) and Azure Resource Manager (TXT record set GET, PUT and DELETE, which check the Bearer
// token it issued), with Azure's error bodies (AADSTS7000215 invalid client secret, NotFound,
// ParentResourceNotFound, TooManyRequests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeRequest, FakeResponse } from '../../../../test/services/fake-api.ts';
import { contextWith, rejectsAsProviderError, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { azureDnsProvider } from './azuredns.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = '0f9a2c1e-8d3b-4c6a-9e51-7b2d4f6a8c10';
const CLIENT_SECRET = 'Qm18Q~azure.client-secret_value0123456789';
const SUBSCRIPTION = '1c9f5d4e-2b7a-4e3c-8f61-0a9b8c7d6e5f';
const ACCESS_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-arm-token.sig';
const RECORD = `/subscriptions/${SUBSCRIPTION}/resourceGroups/dns-rg/providers/Microsoft.Network/dnsZones/`;

let recordSets: Map<string, string[]>; // "zone/relative name" -> values
let tokenRequests: URLSearchParams[];

const armError = (status: number, code: string, message: string, headers: Record<string, string> = {}): FakeResponse => ({ status, headers, body: { error: { code, message } } });
const recordSet = (zone: string, name: string, values: string[]) => ({
  id: `${RECORD}${zone}/TXT/${name}`,
  name,
  type: 'Microsoft.Network/dnszones/TXT',
  etag: 'etag-1',
  properties: { TTL: 60, fqdn: `${name}.${zone}.`, provisioningState: 'Succeeded', TXTRecords: values.map((v) => ({ value: [v] })) },
});

function entraId(req: FakeRequest, base: string): FakeResponse {
  if (req.method === 'GET' && req.path === `/${TENANT}/v2.0/.well-known/openid-configuration`) {
    return { body: { token_endpoint: `${base}/${TENANT}/oauth2/v2.0/token`, authorization_endpoint: `${base}/${TENANT}/oauth2/v2.0/authorize`, issuer: `${base}/${TENANT}/v2.0`, jwks_uri: `${base}/${TENANT}/discovery/v2.0/keys`, response_types_supported: ['code', 'token'], end_session_endpoint: `${base}/${TENANT}/oauth2/v2.0/logout` } };
  }
  if (req.method === 'POST' && req.path === `/${TENANT}/oauth2/v2.0/token`) {
    const form = new URLSearchParams(req.body);
    tokenRequests.push(form);
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== CLIENT_ID) return { status: 400, body: { error: 'unauthorized_client', error_description: `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`, error_codes: [700016] } };
    if (form.get('client_secret') !== CLIENT_SECRET) return { status: 401, body: { error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${CLIENT_ID}'.`, error_codes: [7000215] } };
    return { body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: ACCESS_TOKEN } };
  }
  return { status: 404, body: { error: 'not_found' } };
}

function azure(req: FakeRequest, base: string): FakeResponse {
  if (!req.path.startsWith('/subscriptions/')) return entraId(req, base);
  if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
  const m = new RegExp(`^${RECORD}([^/]+)/TXT/([^/]+)$`).exec(req.path);
  if (!m) return armError(404, 'ResourceGroupNotFound', `Resource group or path not found: ${req.path}`);
  assert.equal(req.query.get('api-version'), '2018-05-01');
  const [, zone, name] = m;
  if (zone !== 'example.com') return armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${zone}' not found.`);
  const key = `${zone}/${name}`;
  if (req.method === 'GET') return recordSets.has(key) ? { body: recordSet(zone, name, recordSets.get(key)!) } : armError(404, 'NotFound', `The resource record '${name}' does not exist in resource group 'dns-rg' of subscription '${SUBSCRIPTION}'.`);
  if (req.method === 'PUT') {
    const values = (req.json.properties.TXTRecords as Array<{ value: string[] }>).map((r) => r.value.join(''));
    assert.equal(req.json.properties.TTL, 60);
    const created = !recordSets.has(key);
    recordSets.set(key, values);
    return { status: created ? 201 : 200, body: recordSet(zone, name, values) };
  }
  if (req.method === 'DELETE') {
    const existed = recordSets.delete(key);
    return { status: existed ? 200 : 204 };
  }
  return armError(405, 'MethodNotAllowed', req.method);
}

const fake = useFakeApi(
  (req) => azure(req, fake.api.url),
  () => {
    recordSets = new Map([['example.com/other', ['unrelated']]]);
    tokenRequests = [];
  },
);

const solver = (extra: Record<string, unknown> = {}) => ({ azureDNS: { clientID: CLIENT_ID, clientSecretSecretRef: { name: 'azure', key: 'client-secret' }, subscriptionID: SUBSCRIPTION, tenantID: TENANT, resourceGroupName: 'dns-rg', ...extra } });
const ctx = (secret = CLIENT_SECRET) => contextWith({ azure: { 'client-secret': secret } }, fake.api);
const apex = txtRequest('_acme-challenge.example.com.', 'example.com.', 'apex-value');
const wildcard = txtRequest('_acme-challenge.example.com.', 'example.com.', 'wildcard-value');

test('client secret: one token for the Resource Manager scope, the record set written value by value', async () => {
  const provider = await azureDnsProvider(solver(), ctx());
  await provider.present(apex);
  await provider.present(wildcard);
  await provider.present(apex); // already there: nothing written
  assert.deepEqual(recordSets.get('example.com/_acme-challenge'), ['apex-value', 'wildcard-value']);
  assert.equal(tokenRequests.length, 1, 'the token is cached between calls');
  assert.equal(tokenRequests[0].get('scope'), 'https://management.azure.com/.default');
  assert.equal(tokenRequests[0].get('client_id'), CLIENT_ID);
  const arm = fake.requests.filter((r) => r.path.startsWith('/subscriptions/'));
  assert.deepEqual(arm.map((r) => r.method), ['GET', 'PUT', 'GET', 'PUT', 'GET']);
  assert.ok(arm.every((r) => r.headers.authorization === `Bearer ${ACCESS_TOKEN}`));
  assert.ok(!arm.some((r) => JSON.stringify(r.headers).includes(CLIENT_SECRET)), 'the client secret goes to the token endpoint only');

  await provider.cleanUp(apex);
  assert.deepEqual(recordSets.get('example.com/_acme-challenge'), ['wildcard-value'], 'the wildcard value stays');
  await provider.cleanUp(apex); // gone already: harmless
  await provider.cleanUp(wildcard);
  assert.equal(recordSets.has('example.com/_acme-challenge'), false, 'the last value deletes the set');
  assert.equal(fake.requests.at(-1)?.method, 'DELETE');
  assert.deepEqual(recordSets.get('example.com/other'), ['unrelated']);
});

test('hostedZoneName names the zone; a name at the apex is "@"', async () => {
  const provider = await azureDnsProvider(solver({ hostedZoneName: 'example.com' }), ctx());
  await provider.present(txtRequest('example.com.', 'ignored.example.', 'at-apex'));
  assert.deepEqual(recordSets.get('example.com/@'), ['at-apex']);
});

test('a wrong client secret: Entra ID refuses it, a configuration error without the secret', async () => {
  const wrong = 'Qm18Q~wrong.client-secret_value000000000';
  const provider = await azureDnsProvider(solver(), ctx(wrong));
  await rejectsAsProviderError(provider.present(apex), { retryable: false, message: /Azure refused the credentials or their permissions \(.*AADSTS7000215: Invalid client secret provided/, secrets: [wrong, CLIENT_SECRET] });
  assert.equal(recordSets.has('example.com/_acme-challenge'), false);
});

test('a zone not in the resource group, and throttling (retried by the SDK, then retryable)', async () => {
  const provider = await azureDnsProvider(solver(), ctx());
  await rejectsAsProviderError(provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')), { retryable: false, message: /not found at Azure \(ParentResourceNotFound: .*Parent resource 'example\.org' not found\.\); check subscriptionID/ });
  fake.force((req) => (req.path.startsWith('/subscriptions/') ? armError(429, 'TooManyRequests', 'The request is being throttled.', { 'retry-after': '0' }) : undefined));
  fake.requests.length = 0;
  await rejectsAsProviderError(provider.present(apex), { retryable: true, message: /Azure rate limit reached/ });
  assert.equal(fake.requests.filter((r) => r.path.startsWith('/subscriptions/')).length, 3, 'the first call and the SDK\'s two retries');
});

test('no client secret: ambient identity for ClusterIssuers only; configuration errors name the field', async () => {
  await assert.rejects(azureDnsProvider({ azureDNS: { subscriptionID: SUBSCRIPTION, resourceGroupName: 'dns-rg' } }, ctx()), /managed or workload identity is only used for ClusterIssuers/);
  await assert.rejects(azureDnsProvider(solver({ tenantID: undefined }), ctx()), /azureDNS\.tenantID: set the service principal's tenant/);
  await assert.rejects(azureDnsProvider(solver({ clientSecretSecretRef: { name: 'missing', key: 'client-secret' } }), ctx()), /azureDNS\.clientSecretSecretRef: Secret shop\/missing not found/);
  await assert.rejects(azureDnsProvider({ azureDNS: { subscriptionID: SUBSCRIPTION } as never }, ctx()), /azureDNS\.resourceGroupName/);
});
