// DNS-01 through Google Cloud DNS (REST API v1) with the official google-auth-library, loaded on
// first use. Credentials as in cert-manager: a service account's JSON key from
// serviceAccountSecretRef (signed JWT exchanged for an access token), else, for ClusterIssuers
// only, the pod's application default credentials (workload identity, metadata server,
// GOOGLE_APPLICATION_CREDENTIALS). The managed zone is hostedZoneName or the zone whose DNS name
// is the one found by SOA lookup. A TXT record set holds every value at a name, and Cloud DNS
// changes it atomically: present replaces the set with one holding this value too, clean-up with
// one holding the rest (or only deletes it). The REST API is used rather than @google-cloud/dns,
// which wraps the same calls in a much larger dependency tree.
import type { AuthClient, gaxios } from 'google-auth-library';
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { Dns01ProviderError, readSecretEntry, type Dns01Provider, type ProviderContext, type TxtRecordRequest } from './provider.ts';

const AT = 'dns01.cloudDNS';
const TTL = 60; // cert-manager's
const SCOPE = 'https://www.googleapis.com/auth/ndev.clouddns.readwrite';
const API = 'https://dns.googleapis.com';
const GOOGLE_HOSTS = /^https:\/\/(oauth2|dns)\.googleapis\.com(?=\/)/;

interface ResourceRecordSet {
  name: string;
  type: string;
  ttl: number;
  rrdatas: string[];
}

export async function cloudDnsProvider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const cfg = solver.cloudDNS;
  if (!cfg?.project) throw new Dns01ProviderError(`${AT}.project: set the Google Cloud project holding the managed zone`, false);
  const client = await authClientFor(cfg, ctx);
  const project = encodeURIComponent(cfg.project);

  const call = async <T>(method: 'GET' | 'POST', path: string, data?: unknown): Promise<T> =>
    (await client.request<T>({ method, url: `${API}/dns/v1/projects/${project}${path}`, data, retry: true })).data;

  const managedZone = async (req: TxtRecordRequest): Promise<string> => {
    if (cfg.hostedZoneName) return cfg.hostedZoneName;
    const dnsName = req.zone.endsWith('.') ? req.zone : `${req.zone}.`;
    const out = await call<{ managedZones?: Array<{ name: string; dnsName: string; visibility?: string }> }>(
      'GET',
      `/managedZones?dnsName=${encodeURIComponent(dnsName)}`,
    );
    const zones = (out.managedZones ?? []).filter((z) => z.dnsName === dnsName);
    const chosen = zones.find((z) => z.visibility !== 'private') ?? zones[0];
    if (!chosen)
      throw new Dns01ProviderError(`${AT}: no managed zone for ${dnsName} in project ${cfg.project}; set hostedZoneName or check the project`, false);
    return chosen.name;
  };
  const setAt = async (zone: string, fqdn: string): Promise<ResourceRecordSet | undefined> => {
    const out = await call<{ rrsets?: ResourceRecordSet[] }>(
      'GET',
      `/managedZones/${encodeURIComponent(zone)}/rrsets?name=${encodeURIComponent(fqdn)}&type=TXT`,
    );
    return out.rrsets?.find((r) => r.type === 'TXT' && r.name === fqdn);
  };
  /** One atomic change, waited for until Cloud DNS has applied it. */
  const change = async (zone: string, deletions: ResourceRecordSet[], additions: ResourceRecordSet[]) => {
    const base = `/managedZones/${encodeURIComponent(zone)}/changes`;
    let status = await call<{ id: string; status: string }>('POST', base, { additions, deletions });
    for (let i = 0; status.status === 'pending' && i < 120; i++) {
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** i, 5_000)));
      status = await call('GET', `${base}/${encodeURIComponent(status.id)}`);
    }
    if (status.status === 'pending') throw new Dns01ProviderError(`${AT}: change ${status.id} still pending at Cloud DNS`, true);
  };
  const quoted = (v: string) => `"${v}"`;
  // Cloud DNS returns TXT data quoted
  const holds = (set: ResourceRecordSet | undefined, v: string) => !!set?.rrdatas.some((d) => d === v || d === quoted(v));

  return {
    name: 'cloudDNS',
    present: (req) =>
      explain(async () => {
        const zone = await managedZone(req);
        const set = await setAt(zone, req.fqdn);
        if (holds(set, req.value)) return;
        await change(zone, set ? [set] : [], [{ name: req.fqdn, type: 'TXT', ttl: TTL, rrdatas: [...(set?.rrdatas ?? []), quoted(req.value)] }]);
      }),
    cleanUp: (req) =>
      explain(async () => {
        const zone = await managedZone(req);
        const set = await setAt(zone, req.fqdn);
        if (!set || !holds(set, req.value)) return;
        const rest = set.rrdatas.filter((d) => d !== req.value && d !== quoted(req.value));
        await change(zone, [set], rest.length ? [{ ...set, rrdatas: rest }] : []);
      }),
  };
}

async function authClientFor(cfg: NonNullable<ACMEChallengeSolverDNS01['cloudDNS']>, ctx: ProviderContext): Promise<AuthClient> {
  const { JWT, GoogleAuth } = await import('google-auth-library');
  const transporterOptions = await endpointTransport(ctx);
  if (cfg.serviceAccountSecretRef) {
    const raw = await readSecretEntry(ctx, cfg.serviceAccountSecretRef, `${AT}.serviceAccountSecretRef`);
    let key: { client_email?: string; private_key?: string; private_key_id?: string };
    try {
      key = JSON.parse(raw);
    } catch {
      throw new Dns01ProviderError(`${AT}.serviceAccountSecretRef: the Secret entry is not JSON; store the service account's JSON key`, false);
    }
    if (!key.client_email || !key.private_key)
      throw new Dns01ProviderError(
        `${AT}.serviceAccountSecretRef: the JSON key has no client_email or private_key; store a service account key as Google Cloud exports it`,
        false,
      );
    return new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [SCOPE], transporterOptions });
  }
  if (!ctx.allowAmbientCredentials) {
    throw new Dns01ProviderError(
      `${AT}: no credentials: set serviceAccountSecretRef; the pod's application default credentials are only used for ClusterIssuers`,
      false,
    );
  }
  return new GoogleAuth({ scopes: [SCOPE], clientOptions: { transporterOptions } }).getClient();
}

/**
 * Contract tests and private endpoints: the Google hosts (token exchange, Cloud DNS) at one URL,
 * trusting its CA. google-auth-library has no token URL setting for service account keys, so its
 * HTTP client's fetch is swapped for one that rewrites the origin.
 */
async function endpointTransport(ctx: ProviderContext): Promise<gaxios.GaxiosOptions> {
  const endpoint = ctx.endpoint;
  if (!endpoint) return {};
  const { fetch, Agent } = await import('undici');
  const dispatcher = endpoint.caPem ? new Agent({ connect: { ca: endpoint.caPem } }) : undefined;
  const fetchImplementation = (input: unknown, init?: Record<string, unknown>) =>
    fetch(String(input instanceof URL ? input.href : input).replace(GOOGLE_HOSTS, endpoint.url.replace(/\/+$/, '')), {
      ...(init as object),
      dispatcher,
    } as never);
  return { fetchImplementation: fetchImplementation as never };
}

/** Google's answers as Dns01ProviderErrors that say what to fix. */
async function explain(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof Dns01ProviderError) throw err;
    const e = err as gaxios.GaxiosError<{
      error?: { code?: number; message?: string; status?: string; errors?: Array<{ reason?: string }> } | string;
      error_description?: string;
    }>;
    const status = e.status ?? e.response?.status;
    const body = e.response?.data;
    const tokenExchange = /\/token(\?|$)/.test(String(e.config?.url ?? ''));
    const detail =
      typeof body?.error === 'object'
        ? `${body.error.errors?.[0]?.reason ?? body.error.status ?? status}: ${body.error.message ?? ''}`
        : typeof body?.error === 'string'
          ? `${body.error}: ${body.error_description ?? ''}`
          : (e.message ?? String(err)).split('\n')[0];
    if (tokenExchange || status === 401 || status === 403)
      throw new Dns01ProviderError(
        `${AT}: Google refused the credentials or their permissions (${detail}); check the service account key and its roles/dns.admin on the project`,
        false,
        { cause: err },
      );
    if (status === 404) throw new Dns01ProviderError(`${AT}: not found at Cloud DNS (${detail}); check project and hostedZoneName`, false, { cause: err });
    if (status === 429) throw new Dns01ProviderError(`${AT}: Cloud DNS rate limit reached (${detail}); retrying later`, true, { cause: err });
    // 409 alreadyExists / 412 conditionNotMet: the set changed under us; the next attempt re-reads it
    throw new Dns01ProviderError(
      `${AT}: Cloud DNS answered ${status ?? 'no response'} (${detail})`,
      status === undefined || status >= 500 || status === 409 || status === 412,
      { cause: err },
    );
  }
}
