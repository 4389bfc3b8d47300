// Fake of Google's OAuth 2.0 token endpoint (JWT bearer grant, RS256 verified) and Cloud DNS API v1 (managed zones, rrsets, changes).
// Shared by the provider's contract test and the DNS-01 secrecy e2e; state is per module, reset() refills it.
import { createVerify, generateKeyPairSync } from 'node:crypto';
import type { FakeRequest, FakeResponse } from '../fake-api.ts';

export const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
export const other = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const EMAIL = 'certgate-dns01@my-project.iam.gserviceaccount.com';
export const serviceAccountKey = (key = privateKey) =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'my-project',
    private_key_id: '2f6d5e0c9b8a',
    private_key: key,
    client_email: EMAIL,
    client_id: '1234567890',
    token_uri: 'https://oauth2.googleapis.com/token',
  });
export const ACCESS_TOKEN = 'ya29.c.fake-access-token';
export const DNS = '/dns/v1/projects/my-project';

export let rrsets: Map<string, { name: string; type: string; ttl: number; rrdatas: string[] }>; // zone/name
export let changes: Array<{ additions: unknown[]; deletions: unknown[] }>;
export let assertions: Array<Record<string, unknown>>;

export const googleError = (code: number, reason: string, message: string, status: string): FakeResponse => ({
  status: code,
  body: { error: { code, message, errors: [{ message, domain: 'global', reason }], status } },
});
const b64url = (s: string) => Buffer.from(s, 'base64url');

/** Google's JWT bearer grant: the assertion's signature, issuer, audience, scope and lifetime. */
function token(req: FakeRequest): FakeResponse {
  const form = new URLSearchParams(req.body);
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
    return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } };
  const [header, claims, signature] = (form.get('assertion') ?? '').split('.');
  const verifier = createVerify('RSA-SHA256').update(`${header}.${claims}`);
  if (JSON.parse(b64url(header).toString()).alg !== 'RS256' || !verifier.verify(publicKey, b64url(signature)))
    return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
  const c = JSON.parse(b64url(claims).toString());
  assertions.push(c);
  const now = Date.now() / 1000;
  if (c.iss !== EMAIL || c.aud !== 'https://oauth2.googleapis.com/token' || !(c.iat <= now + 60 && c.exp > now && c.exp - c.iat <= 3600))
    return {
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.' },
    };
  if (!String(c.scope).split(' ').includes('https://www.googleapis.com/auth/ndev.clouddns.readwrite'))
    return { status: 400, body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' } };
  return { body: { access_token: ACCESS_TOKEN, expires_in: 3599, token_type: 'Bearer' } };
}

export function google(req: FakeRequest): FakeResponse {
  if (req.method === 'POST' && req.path === '/token') return token(req);
  if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`)
    return googleError(
      401,
      'authError',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      'UNAUTHENTICATED',
    );
  if (req.method === 'GET' && req.path === `${DNS}/managedZones`) {
    const zones = [{ name: 'example-com', dnsName: 'example.com.', visibility: 'public', kind: 'dns#managedZone' }].filter(
      (z) => z.dnsName === req.query.get('dnsName'),
    );
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
      if (JSON.stringify(rrsets.get(`${zone}/${d.name}`)?.rrdatas) !== JSON.stringify(d.rrdatas))
        return googleError(412, 'conditionNotMet', `Precondition not met for 'entity.change.deletions[${d.name}]'`, 'FAILED_PRECONDITION');
    }
    for (const a of additions) {
      if (rrsets.has(`${zone}/${a.name}`) && !deletions.some((d: { name: string }) => d.name === a.name))
        return googleError(
          409,
          'alreadyExists',
          `The resource 'entity.change.additions[${a.name}][TXT]' named '${a.name} (TXT)' already exists`,
          'ALREADY_EXISTS',
        );
    }
    for (const d of deletions) rrsets.delete(`${zone}/${d.name}`);
    for (const a of additions) rrsets.set(`${zone}/${a.name}`, a);
    changes.push({ additions, deletions });
    return { body: { kind: 'dns#change', id: String(changes.length), status: 'pending', additions, deletions } };
  }
  if (kind === 'changes' && req.method === 'GET' && changeId) return { body: { kind: 'dns#change', id: changeId, status: 'done' } };
  return googleError(405, 'methodNotAllowed', req.method, 'METHOD_NOT_ALLOWED');
}

export function reset(): void {
  rrsets = new Map([['example-com/other.example.com.', { name: 'other.example.com.', type: 'TXT', ttl: 300, rrdatas: ['"unrelated"'] }]]);
  changes = [];
  assertions = [];
}
