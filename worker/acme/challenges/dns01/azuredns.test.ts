// Contract test of the azureDNS provider: the official SDKs (@azure/identity's client secret
// credential, @azure/arm-dns) against a local HTTPS server playing both Microsoft Entra ID (the
// tenant's OpenID configuration and its v2.0 token endpoint, which checks the client id and
// secret) and Azure Resource Manager (TXT record set GET, PUT and DELETE, which check the Bearer
// token it issued), with Azure's error bodies (AADSTS7000215 invalid client secret, NotFound,
// ParentResourceNotFound, TooManyRequests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextWith, rejectsAsProviderError, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { azureDnsProvider } from './azuredns.ts';
import {
  FEDERATED_TOKEN,
  TENANT,
  CLIENT_ID,
  CLIENT_SECRET,
  SUBSCRIPTION,
  ACCESS_TOKEN,
  recordSets,
  tokenRequests,
  armError,
  azure,
  reset,
} from '../../../../test/services/dns01-fakes/azuredns.ts';

const fake = useFakeApi((req) => azure(req, fake.api.url), reset);

const solver = (extra: Record<string, unknown> = {}) => ({
  azureDNS: {
    clientID: CLIENT_ID,
    clientSecretSecretRef: { name: 'azure', key: 'client-secret' },
    subscriptionID: SUBSCRIPTION,
    tenantID: TENANT,
    resourceGroupName: 'dns-rg',
    ...extra,
  },
});
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
  assert.deepEqual(
    arm.map((r) => r.method),
    ['GET', 'PUT', 'GET', 'PUT', 'GET'],
  );
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
  await rejectsAsProviderError(provider.present(apex), {
    retryable: false,
    message: /Azure refused the credentials or their permissions \(.*AADSTS7000215: Invalid client secret provided/,
    secrets: [wrong, CLIENT_SECRET],
  });
  assert.equal(recordSets.has('example.com/_acme-challenge'), false);
});

test('a zone not in the resource group, and throttling (retried by the SDK, then retryable)', async () => {
  const provider = await azureDnsProvider(solver(), ctx());
  await rejectsAsProviderError(provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')), {
    retryable: false,
    message: /not found at Azure \(ParentResourceNotFound: .*Parent resource 'example\.org' not found\.\); check subscriptionID/,
  });
  fake.force((req) =>
    req.path.startsWith('/subscriptions/') ? armError(429, 'TooManyRequests', 'The request is being throttled.', { 'retry-after': '0' }) : undefined,
  );
  fake.requests.length = 0;
  await rejectsAsProviderError(provider.present(apex), { retryable: true, message: /Azure rate limit reached/ });
  assert.equal(fake.requests.filter((r) => r.path.startsWith('/subscriptions/')).length, 3, "the first call and the SDK's two retries");
});

test('workload identity (ClusterIssuers): the projected token exchanged for the managedIdentity client', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'azure-wi-'));
  writeFileSync(join(dir, 'token'), FEDERATED_TOKEN);
  process.env.AZURE_FEDERATED_TOKEN_FILE = join(dir, 'token');
  try {
    const ambient = { azureDNS: { subscriptionID: SUBSCRIPTION, resourceGroupName: 'dns-rg', managedIdentity: { clientID: CLIENT_ID, tenantID: TENANT } } };
    await assert.rejects(azureDnsProvider(ambient, ctx()), /managed or workload identity is only used for ClusterIssuers/);
    const provider = await azureDnsProvider(ambient, { ...ctx(), allowAmbientCredentials: true });
    await provider.present(apex);
    assert.deepEqual(recordSets.get('example.com/_acme-challenge'), ['apex-value']);
    assert.equal(tokenRequests[0].get('client_id'), CLIENT_ID);
    assert.equal(tokenRequests[0].get('client_assertion'), FEDERATED_TOKEN);
    assert.equal(tokenRequests[0].get('client_secret'), null);
  } finally {
    delete process.env.AZURE_FEDERATED_TOKEN_FILE;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no client secret: ambient identity for ClusterIssuers only; configuration errors name the field', async () => {
  await assert.rejects(
    azureDnsProvider({ azureDNS: { subscriptionID: SUBSCRIPTION, resourceGroupName: 'dns-rg' } }, ctx()),
    /managed or workload identity is only used for ClusterIssuers/,
  );
  await assert.rejects(azureDnsProvider(solver({ tenantID: undefined }), ctx()), /azureDNS\.tenantID: set the service principal's tenant/);
  await assert.rejects(
    azureDnsProvider(solver({ clientSecretSecretRef: { name: 'missing', key: 'client-secret' } }), ctx()),
    /azureDNS\.clientSecretSecretRef: Secret shop\/missing not found/,
  );
  await assert.rejects(azureDnsProvider({ azureDNS: { subscriptionID: SUBSCRIPTION } as never }, ctx()), /azureDNS\.resourceGroupName/);
});
