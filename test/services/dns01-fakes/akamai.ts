// Fake of Akamai Edge DNS config-dns v2 record sets, checking EdgeGrid signatures as Akamai's gateway does.
// Shared by the provider's contract test and the DNS-01 secrecy e2e; state is per module, reset() refills it.
import { createHash, createHmac } from 'node:crypto';
import type { FakeRequest, FakeResponse } from '../fake-api.ts';

export const CLIENT_TOKEN = 'akab-client-token-xxx-xxxxxxxxxxxxxxxx';
export const CLIENT_SECRET = 'C113nt53KR3TN6N90yVuAgICxIRwsObLi0E67/N8eRN=';
export const ACCESS_TOKEN = 'akab-access-token-xxx-xxxxxxxxxxxxxxxx';

export let recordSets: Map<string, { name: string; type: string; ttl: number; rdata: string[] }>; // "zone/name"
export let signedBodies: string[];

export const problem = (
  status: number,
  title: string,
  detail: string,
  type = 'https://problems.luna.akamaiapis.net/authoritative-dns/error',
): FakeResponse => ({
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

export function akamai(req: FakeRequest): FakeResponse {
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

export function reset(): void {
  recordSets = new Map([['example.com/other.example.com', { name: 'other.example.com', type: 'TXT', ttl: 300, rdata: ['"unrelated"'] }]]);
  signedBodies = [];
}
