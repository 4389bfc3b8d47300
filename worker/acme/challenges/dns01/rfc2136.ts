// DNS-01 through RFC 2136: TSIG-signed updates to the configured primary, TSIG secret from the
// issuer's tsigSecretSecretRef. One value is added or removed at a time (lib/dns/rfc2136.ts).
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { Rfc2136Client, Rfc2136Error } from '../../../../lib/dns/rfc2136.ts';
import { Dns01ProviderError, readSecretEntry, type Dns01Provider, type ProviderContext } from './provider.ts';

const AT = 'dns01.rfc2136';

export async function rfc2136Provider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const cfg = solver.rfc2136!;
  if (!cfg.nameserver) throw new Dns01ProviderError(`${AT}.nameserver: set the host:port of the primary nameserver that accepts updates`, false);
  let client: Rfc2136Client;
  try {
    const signed = !!(cfg.tsigKeyName || cfg.tsigSecretSecretRef);
    client = new Rfc2136Client({
      nameserver: cfg.nameserver,
      tsigKeyName: cfg.tsigKeyName,
      tsigAlgorithm: cfg.tsigAlgorithm,
      tsigSecret: signed ? (await readSecretEntry(ctx, cfg.tsigSecretSecretRef, `${AT}.tsigSecretSecretRef`)).trim() : undefined,
    });
  } catch (err) {
    if (err instanceof Dns01ProviderError) throw err;
    throw new Dns01ProviderError(`${AT}: ${(err as Error).message}`, false);
  }
  const run = async (what: () => Promise<void>) => {
    try {
      await what();
    } catch (err) {
      if (err instanceof Rfc2136Error) throw new Dns01ProviderError(err.message, err.retryable, { cause: err });
      throw err;
    }
  };
  return {
    name: 'rfc2136',
    present: (req) => run(() => client.addTxt(req.fqdn, req.value, 60)),
    cleanUp: (req) => run(() => client.removeTxt(req.fqdn, req.value)),
  };
}
