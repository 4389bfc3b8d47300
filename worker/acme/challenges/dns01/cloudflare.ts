// DNS-01 through Cloudflare's API v4 with the official `cloudflare` SDK: an API token
// (apiTokenSecretRef, recommended: Zone:Read + DNS:Edit) or the global API key with the account
// email (apiKeySecretRef + email), as in cert-manager. The zone id is found by name; each TXT
// value is its own record, so present and clean-up touch only the challenge's value.
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { Dns01ProviderError, readSecretEntry, type Dns01Provider, type ProviderContext, type TxtRecordRequest } from './provider.ts';

const AT = 'dns01.cloudflare';
/** Cloudflare's error codes for "an identical record already exists". */
const RECORD_EXISTS = new Set([81057, 81058]);

export async function cloudflareProvider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const cfg = solver.cloudflare ?? {};
  if (!!cfg.apiTokenSecretRef === !!cfg.apiKeySecretRef) throw new Dns01ProviderError(`${AT}: set exactly one of apiTokenSecretRef and apiKeySecretRef`, false);
  if (cfg.apiKeySecretRef && !cfg.email) throw new Dns01ProviderError(`${AT}.email: the global API key (apiKeySecretRef) needs the account email`, false);
  const auth = cfg.apiTokenSecretRef
    ? { apiToken: (await readSecretEntry(ctx, cfg.apiTokenSecretRef, `${AT}.apiTokenSecretRef`)).trim() }
    : { apiKey: (await readSecretEntry(ctx, cfg.apiKeySecretRef, `${AT}.apiKeySecretRef`)).trim(), apiEmail: cfg.email };
  const { default: Cloudflare } = await import('cloudflare');
  const client = new Cloudflare({ ...auth, maxRetries: 2, timeout: 30_000, ...(await endpointOptions(ctx)) });

  const zoneId = async (req: TxtRecordRequest): Promise<string> => {
    const zone = req.zone.replace(/\.$/, '');
    const page = await client.zones.list({ name: zone });
    const id = page.result.find((z) => z.name === zone)?.id;
    if (!id)
      throw new Dns01ProviderError(
        `${AT}: zone ${zone} not found in the Cloudflare account (or the credential cannot read it: the token needs Zone:Read)`,
        false,
      );
    return id;
  };
  const recordsAt = async (id: string, name: string) => (await client.dns.records.list({ zone_id: id, type: 'TXT', name: { exact: name } })).result;
  // Cloudflare may return TXT content quoted
  const sameValue = (content: string | undefined, value: string) => content === value || content === `"${value}"`;

  return {
    name: 'cloudflare',
    present: (req) =>
      explain(async () => {
        const id = await zoneId(req);
        const name = req.fqdn.replace(/\.$/, '');
        if ((await recordsAt(id, name)).some((r) => sameValue(r.content, req.value))) return;
        try {
          await client.dns.records.create({ zone_id: id, type: 'TXT', name, content: req.value, ttl: 120 });
        } catch (err) {
          if (cloudflareCodes(err).some((c) => RECORD_EXISTS.has(c))) return; // created meanwhile
          throw err;
        }
      }),
    cleanUp: (req) =>
      explain(async () => {
        const id = await zoneId(req);
        const name = req.fqdn.replace(/\.$/, '');
        for (const r of await recordsAt(id, name)) if (sameValue(r.content, req.value)) await client.dns.records.delete(r.id, { zone_id: id });
      }),
  };
}

/** The SDK against another endpoint (contract tests): base URL and, for its HTTPS, a CA to trust. */
async function endpointOptions(ctx: ProviderContext): Promise<Record<string, unknown>> {
  if (!ctx.endpoint) return {};
  const { Agent } = await import('undici');
  return { baseURL: ctx.endpoint.url, ...(ctx.endpoint.caPem ? { fetchOptions: { dispatcher: new Agent({ connect: { ca: ctx.endpoint.caPem } }) } } : {}) };
}

function cloudflareCodes(err: unknown): number[] {
  return ((err as { errors?: Array<{ code?: number }> })?.errors ?? []).map((e) => Number(e.code));
}

/** Cloudflare's answers as Dns01ProviderErrors that say what to fix. */
async function explain(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof Dns01ProviderError) throw err;
    const status = (err as { status?: number }).status;
    const detail =
      ((err as { errors?: Array<{ code?: number; message?: string }> }).errors ?? []).map((e) => `${e.code}: ${e.message}`).join('; ') ||
      (err as Error).message;
    if (status === 401 || status === 403 || (status === 400 && cloudflareCodes(err).some((c) => [6003, 6111, 9103, 9109, 10000].includes(c))))
      throw new Dns01ProviderError(
        `${AT}: Cloudflare refused the credentials (${detail}); check the Secret's token or key, and that it may edit DNS in this zone`,
        false,
        { cause: err },
      );
    if (status === 429) throw new Dns01ProviderError(`${AT}: Cloudflare rate limit reached (${detail}); retrying later`, true, { cause: err });
    if (status === undefined || status >= 500) throw new Dns01ProviderError(`${AT}: Cloudflare API unavailable (${detail})`, true, { cause: err });
    throw new Dns01ProviderError(`${AT}: Cloudflare answered ${status} (${detail})`, false, { cause: err });
  }
}
