// DNS-01 through Akamai Edge DNS (the config-dns v2 record set API), as cert-manager's akamai
// provider: the API client's host (serviceConsumerDomain, e.g. akab-xxxx.luna.akamaiapis.net) and
// its client token, client secret and access token from Secrets. Each request is signed with
// Akamai's EdgeGrid scheme by the official `akamai-edgegrid` package and sent with undici. A TXT
// record set holds every value at a name: present adds this value to it (creating the set if
// needed), clean-up writes the rest back or deletes the set when this was the last value.
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { Dns01ProviderError, readSecretEntry, type Dns01Provider, type ProviderContext, type TxtRecordRequest } from './provider.ts';

const AT = 'dns01.akamai';
const TTL = 300; // cert-manager's

interface RecordSet {
  name: string;
  type: string;
  ttl: number;
  rdata: string[];
}

export async function akamaiProvider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const cfg = solver.akamai;
  if (!cfg?.serviceConsumerDomain)
    throw new Dns01ProviderError(`${AT}.serviceConsumerDomain: set the host of the Akamai API client (akab-….luna.akamaiapis.net)`, false);
  const clientToken = (await readSecretEntry(ctx, cfg.clientTokenSecretRef, `${AT}.clientTokenSecretRef`)).trim();
  const clientSecret = (await readSecretEntry(ctx, cfg.clientSecretSecretRef, `${AT}.clientSecretSecretRef`)).trim();
  const accessToken = (await readSecretEntry(ctx, cfg.accessTokenSecretRef, `${AT}.accessTokenSecretRef`)).trim();
  const { default: EdgeGrid } = await import('akamai-edgegrid');
  const { fetch, Agent } = await import('undici');
  const dispatcher = ctx.endpoint?.caPem ? new Agent({ connect: { ca: ctx.endpoint.caPem } }) : undefined;
  const host = cfg.serviceConsumerDomain.replace(/^https:\/\//, '').replace(/\/+$/, '');

  /** One signed call; undefined for 404 on a GET (no such record set). */
  const call = async (method: string, path: string, body?: RecordSet): Promise<RecordSet | undefined> => {
    const edgegrid = new EdgeGrid(clientToken, clientSecret, accessToken, host);
    const data = body === undefined ? undefined : JSON.stringify(body);
    // EdgeGrid signs method, URL, and (for POST) the body's hash: sign exactly the bytes sent
    const signed = edgegrid.auth({ path, method, headers: data ? { 'Content-Type': 'application/json' } : {}, body: data }).request as {
      url: string;
      headers: Record<string, string>;
    };
    let res;
    try {
      res = await fetch(signed.url, { method, headers: { ...signed.headers, accept: 'application/json' }, body: data, dispatcher });
    } catch (err) {
      throw new Dns01ProviderError(`${AT}: Akamai API at ${host} unreachable (${(err as Error).message})`, true, { cause: err });
    }
    const text = await res.text();
    if (res.ok) return text ? (JSON.parse(text) as RecordSet) : undefined;
    if (res.status === 404 && method === 'GET') return undefined;
    const problem = safeJson(text) as { title?: string; detail?: string };
    const detail = [problem.title, problem.detail].filter(Boolean).join(': ') || `HTTP ${res.status}`;
    if (res.status === 401 || res.status === 403)
      throw new Dns01ProviderError(
        `${AT}: Akamai refused the API client (${detail}); check the client token, client secret and access token Secrets, and that the client may edit this zone`,
        false,
      );
    if (res.status === 404) throw new Dns01ProviderError(`${AT}: not found at Akamai (${detail}); is the zone in Edge DNS for this API client?`, false);
    if (res.status === 429) throw new Dns01ProviderError(`${AT}: Akamai rate limit reached (${detail}); retrying later`, true);
    throw new Dns01ProviderError(`${AT}: Akamai answered ${res.status} (${detail})`, res.status >= 500 || res.status === 409);
  };
  const pathOf = (req: TxtRecordRequest) =>
    `/config-dns/v2/zones/${encodeURIComponent(req.zone.replace(/\.$/, ''))}/names/${encodeURIComponent(req.fqdn.replace(/\.$/, ''))}/types/TXT`;
  const quoted = (v: string) => `"${v}"`;
  // Edge DNS returns TXT data quoted
  const has = (set: RecordSet, v: string) => set.rdata.some((d) => d === v || d === quoted(v));

  return {
    name: 'akamai',
    async present(req) {
      const set = await call('GET', pathOf(req));
      if (set && has(set, req.value)) return;
      if (set) await call('PUT', pathOf(req), { ...set, rdata: [...set.rdata, quoted(req.value)] });
      else await call('POST', pathOf(req), { name: req.fqdn.replace(/\.$/, ''), type: 'TXT', ttl: TTL, rdata: [quoted(req.value)] });
    },
    async cleanUp(req) {
      const set = await call('GET', pathOf(req));
      if (!set || !has(set, req.value)) return;
      const rest = set.rdata.filter((d) => d !== req.value && d !== quoted(req.value));
      await (rest.length ? call('PUT', pathOf(req), { ...set, rdata: rest }) : call('DELETE', pathOf(req)));
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
