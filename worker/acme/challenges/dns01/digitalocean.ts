// DNS-01 through DigitalOcean's API v2 (domain records), with the token from tokenSecretRef as in
// cert-manager. DigitalOcean ships no official JavaScript SDK, so this speaks its published REST
// API with undici's fetch. Each TXT value is its own record: present adds one, clean-up deletes
// the records holding exactly this value.
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { Dns01ProviderError, readSecretEntry, type Dns01Provider, type ProviderContext, type TxtRecordRequest } from './provider.ts';

const AT = 'dns01.digitalocean';
const API = 'https://api.digitalocean.com';

interface DomainRecord {
  id: number;
  type: string;
  name: string;
  data: string;
}

export async function digitaloceanProvider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const token = (await readSecretEntry(ctx, solver.digitalocean?.tokenSecretRef, `${AT}.tokenSecretRef`)).trim();
  const { fetch, Agent } = await import('undici');
  const dispatcher = ctx.endpoint?.caPem ? new Agent({ connect: { ca: ctx.endpoint.caPem } }) : undefined;
  const base = ctx.endpoint?.url ?? API;

  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    let res;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher,
      });
    } catch (err) {
      throw new Dns01ProviderError(`${AT}: DigitalOcean API unreachable (${(err as Error).message})`, true, { cause: err });
    }
    if (res.status === 204) return undefined;
    const json = (await res.json().catch(() => ({}))) as { id?: string; message?: string };
    if (res.ok) return json;
    const detail = `${json.id ?? res.status}: ${json.message ?? res.statusText}`;
    if (res.status === 401 || res.status === 403)
      throw new Dns01ProviderError(`${AT}: DigitalOcean refused the token (${detail}); check tokenSecretRef and that the token has write scope`, false);
    if (res.status === 404) throw new Dns01ProviderError(`${AT}: not found at DigitalOcean (${detail}); is the zone a domain of this account?`, false);
    if (res.status === 429) throw new Dns01ProviderError(`${AT}: DigitalOcean rate limit reached (${detail}); retrying later`, true);
    throw new Dns01ProviderError(`${AT}: DigitalOcean answered ${res.status} (${detail})`, res.status >= 500);
  };
  const domainOf = (req: TxtRecordRequest) => encodeURIComponent(req.zone.replace(/\.$/, ''));
  const recordsWith = async (req: TxtRecordRequest): Promise<DomainRecord[]> => {
    const name = req.fqdn.replace(/\.$/, '');
    const out = await call('GET', `/v2/domains/${domainOf(req)}/records?type=TXT&name=${encodeURIComponent(name)}&per_page=200`);
    return ((out?.domain_records ?? []) as DomainRecord[]).filter((r) => r.type === 'TXT' && r.data === req.value);
  };

  return {
    name: 'digitalocean',
    async present(req) {
      if ((await recordsWith(req)).length) return;
      await call('POST', `/v2/domains/${domainOf(req)}/records`, { type: 'TXT', name: req.fqdn, data: req.value, ttl: 60 });
    },
    async cleanUp(req) {
      for (const r of await recordsWith(req)) await call('DELETE', `/v2/domains/${domainOf(req)}/records/${r.id}`);
    },
  };
}
