// Fake of Microsoft Entra ID (OpenID configuration, v2.0 token endpoint) and Azure Resource Manager TXT record sets.
// Shared by the provider's contract test and the DNS-01 secrecy e2e; state is per module, reset() refills it.
import assert from 'node:assert/strict';
import type { FakeRequest, FakeResponse } from '../fake-api.ts';

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT_ID = '0f9a2c1e-8d3b-4c6a-9e51-7b2d4f6a8c10';
export const CLIENT_SECRET = 'Qm18Q~azure.client-secret_value0123456789';
export const SUBSCRIPTION = '1c9f5d4e-2b7a-4e3c-8f61-0a9b8c7d6e5f';
export const FEDERATED_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.projected-service-account-token.sig';
export const ACCESS_TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake-arm-token.sig';
const RECORD = `/subscriptions/${SUBSCRIPTION}/resourceGroups/dns-rg/providers/Microsoft.Network/dnsZones/`;

export let recordSets: Map<string, string[]>; // "zone/relative name" -> values
export let tokenRequests: URLSearchParams[];

export const armError = (status: number, code: string, message: string, headers: Record<string, string> = {}): FakeResponse => ({
  status,
  headers,
  body: { error: { code, message } },
});
const recordSet = (zone: string, name: string, values: string[]) => ({
  id: `${RECORD}${zone}/TXT/${name}`,
  name,
  type: 'Microsoft.Network/dnszones/TXT',
  etag: 'etag-1',
  properties: { TTL: 60, fqdn: `${name}.${zone}.`, provisioningState: 'Succeeded', TXTRecords: values.map((v) => ({ value: [v] })) },
});

function entraId(req: FakeRequest, base: string): FakeResponse {
  if (req.method === 'GET' && req.path === `/${TENANT}/v2.0/.well-known/openid-configuration`) {
    return {
      body: {
        token_endpoint: `${base}/${TENANT}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/${TENANT}/oauth2/v2.0/authorize`,
        issuer: `${base}/${TENANT}/v2.0`,
        jwks_uri: `${base}/${TENANT}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'token'],
        end_session_endpoint: `${base}/${TENANT}/oauth2/v2.0/logout`,
      },
    };
  }
  if (req.method === 'POST' && req.path === `/${TENANT}/oauth2/v2.0/token`) {
    const form = new URLSearchParams(req.body);
    tokenRequests.push(form);
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== CLIENT_ID)
      return {
        status: 400,
        body: {
          error: 'unauthorized_client',
          error_description: `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
          error_codes: [700016],
        },
      };
    // workload identity: the service account token Kubernetes projected into the pod, federated with the app
    const federated =
      form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' && form.get('client_assertion') === FEDERATED_TOKEN;
    if (form.get('client_assertion') && !federated)
      return {
        status: 401,
        body: {
          error: 'invalid_client',
          error_description: 'AADSTS700213: No matching federated identity record found for presented assertion subject.',
          error_codes: [700213],
        },
      };
    if (!federated && form.get('client_secret') !== CLIENT_SECRET)
      return {
        status: 401,
        body: {
          error: 'invalid_client',
          error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${CLIENT_ID}'.`,
          error_codes: [7000215],
        },
      };
    return { body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: ACCESS_TOKEN } };
  }
  return { status: 404, body: { error: 'not_found' } };
}

export function azure(req: FakeRequest, base: string): FakeResponse {
  if (!req.path.startsWith('/subscriptions/')) return entraId(req, base);
  if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
  const m = new RegExp(`^${RECORD}([^/]+)/TXT/([^/]+)$`).exec(req.path);
  if (!m) return armError(404, 'ResourceGroupNotFound', `Resource group or path not found: ${req.path}`);
  assert.equal(req.query.get('api-version'), '2018-05-01');
  const [, zone, name] = m;
  if (zone !== 'example.com')
    return armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${zone}' not found.`);
  const key = `${zone}/${name}`;
  if (req.method === 'GET')
    return recordSets.has(key)
      ? { body: recordSet(zone, name, recordSets.get(key)!) }
      : armError(404, 'NotFound', `The resource record '${name}' does not exist in resource group 'dns-rg' of subscription '${SUBSCRIPTION}'.`);
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

export function reset(): void {
  recordSets = new Map([['example.com/other', ['unrelated']]]);
  tokenRequests = [];
}
