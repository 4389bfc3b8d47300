// Fake of acme-dns's /update endpoint (X-Api-User / X-Api-Key, two latest values kept).
// Shared by the provider's contract test and the DNS-01 secrecy e2e; state is per module, reset() refills it.
import type { FakeRequest, FakeResponse } from '../fake-api.ts';

export const ACCOUNT = {
  username: 'c36f50e8-4632-44f0-83fe-e070fef28a10',
  password: 'htB9mR9DYgcu9bX_afHF62erXaH2TS7bg9KW3F7Z',
  fulldomain: 'd420c923-bbd7-4056-ab64-c3ca54c9b3cf.auth.example.org',
  subdomain: 'd420c923-bbd7-4056-ab64-c3ca54c9b3cf',
  allowfrom: [],
};
export let txt: string[];

export function acmeDns(req: FakeRequest): FakeResponse {
  if (req.method !== 'POST' || req.path !== '/update') return { status: 404, body: { error: 'not_found' } };
  if (req.headers['x-api-user'] !== ACCOUNT.username || req.headers['x-api-key'] !== ACCOUNT.password) return { status: 401, body: { error: 'unauthorized' } };
  if (req.json?.subdomain !== ACCOUNT.subdomain) return { status: 401, body: { error: 'unauthorized' } };
  if (typeof req.json?.txt !== 'string' || req.json.txt.length !== 43) return { status: 400, body: { error: 'bad_txt' } };
  txt = [...txt, req.json.txt].slice(-2);
  return { body: { txt: req.json.txt } };
}

export function reset(): void {
  txt = [];
}
