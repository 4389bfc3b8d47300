// DNS-01 through an acme-dns server (github.com/joohoi/acme-dns), as cert-manager's acmeDNS
// provider: `host` is the server's URL, `accountSecretRef` a Secret entry holding the JSON that
// `acme-dns register` printed per domain ({"example.com": {"username", "password", "fulldomain",
// "subdomain"}}). The user points `_acme-challenge.<domain>` at `fulldomain` with a CNAME. acme-dns
// keeps the two latest values of a subdomain (enough for apex + wildcard) and has no delete: as in
// cert-manager, clean-up leaves the value to be rolled out by the next update.
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { Dns01ProviderError, readSecretEntry, type Dns01Provider, type ProviderContext } from './provider.ts';

const AT = 'dns01.acmeDNS';

interface AcmeDnsAccount {
  username: string;
  password: string;
  subdomain: string;
  fulldomain?: string;
}

export async function acmeDnsProvider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const cfg = solver.acmeDNS;
  if (!cfg?.host) throw new Dns01ProviderError(`${AT}.host: set the URL of the acme-dns server`, false);
  let base: URL;
  try {
    base = new URL(cfg.host);
  } catch {
    throw new Dns01ProviderError(`${AT}.host: ${JSON.stringify(cfg.host)} is not a URL`, false);
  }
  const raw = await readSecretEntry(ctx, cfg.accountSecretRef, `${AT}.accountSecretRef`);
  let accounts: Record<string, AcmeDnsAccount>;
  try {
    accounts = JSON.parse(raw);
  } catch {
    throw new Dns01ProviderError(`${AT}.accountSecretRef: the Secret entry is not JSON; store the output of acme-dns registration, keyed by domain`, false);
  }
  const { fetch, Agent } = await import('undici');
  const dispatcher = ctx.endpoint?.caPem ? new Agent({ connect: { ca: ctx.endpoint.caPem } }) : undefined;

  return {
    name: 'acmeDNS',
    async present(req) {
      const domain = req.challenge.spec.dnsName.replace(/^\*\./, '');
      const account = accounts[domain];
      if (!account?.username || !account.password || !account.subdomain)
        throw new Dns01ProviderError(
          `${AT}.accountSecretRef: no acme-dns account for ${domain} in the Secret (domains there: ${Object.keys(accounts).join(', ') || 'none'})`,
          false,
        );
      let res;
      try {
        res = await fetch(new URL('update', base.href.endsWith('/') ? base : `${base.href}/`), {
          method: 'POST',
          headers: { 'X-Api-User': account.username, 'X-Api-Key': account.password, 'content-type': 'application/json' },
          body: JSON.stringify({ subdomain: account.subdomain, txt: req.value }),
          dispatcher,
        });
      } catch (err) {
        throw new Dns01ProviderError(`${AT}: acme-dns server ${base.origin} unreachable (${(err as Error).message})`, true, { cause: err });
      }
      if (res.ok) return;
      const error = String(((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.statusText);
      if (res.status === 401)
        throw new Dns01ProviderError(
          `${AT}: acme-dns refused the account for ${domain} (${error}); check username/password in the Secret and the account's allowfrom`,
          false,
        );
      if (res.status === 400)
        throw new Dns01ProviderError(`${AT}: acme-dns rejected the update for ${domain} (${error}); check the account's subdomain`, false);
      throw new Dns01ProviderError(`${AT}: acme-dns answered ${res.status} (${error})`, res.status >= 500 || res.status === 429);
    },
    async cleanUp() {
      // acme-dns has no delete; it keeps the two latest values per subdomain
    },
  };
}
