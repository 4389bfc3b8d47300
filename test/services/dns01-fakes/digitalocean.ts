// Fake of DigitalOcean API v2 domain records (list by type and name, create, delete).
// Shared by the provider's contract test and the DNS-01 secrecy e2e; state is per module, reset() refills it.
import type { FakeRequest, FakeResponse } from '../fake-api.ts';

export const TOKEN = 'dop_v1_0123456789abcdef0123456789abcdef';
export let records: Array<{ id: number; type: string; name: string; data: string; ttl: number }>;
let nextId = 100;

export function digitalocean(req: FakeRequest): FakeResponse {
  if (req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { id: 'Unauthorized', message: 'Unable to authenticate you' } };
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

export const RATE_LIMITED: FakeResponse = { status: 429, body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' } };

export function reset(): void {
  records = [];
}
