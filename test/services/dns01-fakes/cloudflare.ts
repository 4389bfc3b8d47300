// Fake of Cloudflare API v4 (zones by name, TXT records list/create/delete), with its response envelope and error bodies.
// Shared by the provider's contract test and the DNS-01 secrecy e2e; state is per module, reset() refills it.
import type { FakeRequest, FakeResponse } from '../fake-api.ts';

export const TOKEN = 'cf-token-0123456789abcdef';
export const GLOBAL_KEY = 'cf-global-key-fedcba9876543210';
export const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353';
export const envelope = (result: unknown, extra: Record<string, unknown> = {}) => ({ success: true, errors: [], messages: [], result, ...extra });
export const failure = (status: number, code: number, message: string, headers: Record<string, string> = {}): FakeResponse => ({
  status,
  headers,
  body: { success: false, errors: [{ code, message }], messages: [], result: null },
});

export let records: Array<{ id: string; type: string; name: string; content: string; ttl: number }>;
let nextId = 1;

export function cloudflare(req: FakeRequest): FakeResponse {
  const auth =
    req.headers.authorization === `Bearer ${TOKEN}` || (req.headers['x-auth-key'] === GLOBAL_KEY && req.headers['x-auth-email'] === 'ops@example.com');
  if (!auth) return failure(403, 9109, 'Invalid access token');
  if (req.method === 'GET' && req.path === '/zones') {
    const zones = [{ id: ZONE_ID, name: 'example.com', status: 'active' }].filter((z) => z.name === req.query.get('name'));
    return { body: envelope(zones, { result_info: { page: 1, per_page: 20, count: zones.length, total_count: zones.length, total_pages: 1 } }) };
  }
  const m = /^\/zones\/([^/]+)\/dns_records(?:\/([^/]+))?$/.exec(req.path);
  if (!m || m[1] !== ZONE_ID) return failure(404, 7003, 'Could not route to /zones/x, perhaps your object identifier is invalid?');
  if (req.method === 'GET') {
    const found = records.filter((r) => r.type === req.query.get('type') && r.name === req.query.get('name.exact'));
    return { body: envelope(found, { result_info: { page: 1, per_page: 100, count: found.length, total_count: found.length, total_pages: 1 } }) };
  }
  if (req.method === 'POST') {
    const { type, name, content, ttl } = req.json;
    if (records.some((r) => r.type === type && r.name === name && r.content === content)) return failure(400, 81058, 'An identical record already exists.');
    const rec = { id: `rec-${nextId++}`, type, name, content, ttl };
    records.push(rec);
    return { body: envelope(rec) };
  }
  if (req.method === 'DELETE' && m[2]) {
    records = records.filter((r) => r.id !== m[2]);
    return { body: envelope({ id: m[2] }) };
  }
  return failure(405, 10000, 'Method not allowed');
}

export function reset(): void {
  records = [];
}
