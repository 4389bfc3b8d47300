// DNS-01 through RFC 2136: TSIG-signed updates to the configured primary, TSIG secret from the
// issuer's tsigSecretSecretRef. One value is added or removed at a time (lib/dns/rfc2136.ts).
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import type { KubeClient } from '../../../../lib/kube/client.ts';
import { Rfc2136Client, Rfc2136Error } from '../../../../lib/dns/rfc2136.ts';
import { Dns01ProviderError, readSecretEntry, type Dns01Provider, type ProviderContext } from './provider.ts';

const AT = 'dns01.rfc2136';
// The Issuer's key check waits less than an update would: a silent server must not hold the issuers queue.
const KEY_CHECK_TIMEOUT_MS = 5_000;

async function clientFor(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext, at = AT, timeoutMs?: number): Promise<Rfc2136Client> {
  const cfg = solver.rfc2136!;
  if (!cfg.nameserver) throw new Dns01ProviderError(`${at}.nameserver: set the host:port of the primary nameserver that accepts updates`, false);
  try {
    const signed = !!(cfg.tsigKeyName || cfg.tsigSecretSecretRef);
    return new Rfc2136Client({
      nameserver: cfg.nameserver,
      tsigKeyName: cfg.tsigKeyName,
      tsigAlgorithm: cfg.tsigAlgorithm,
      tsigSecret: signed ? (await readSecretEntry(ctx, cfg.tsigSecretSecretRef, `${at}.tsigSecretSecretRef`)).trim() : undefined,
      timeoutMs,
    });
  } catch (err) {
    if (err instanceof Dns01ProviderError) throw err;
    throw new Dns01ProviderError(`${at}: ${(err as Error).message}`, false);
  }
}

export async function rfc2136Provider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const client = await clientFor(solver, ctx);
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

/**
 * For the Issuer's readiness: the RFC 2136 solvers whose TSIG key their nameserver refuses (BADSIG,
 * BADKEY), asked with a signed query that changes nothing. A server that cannot be reached is not
 * counted here (the Challenge says so when it happens); missing Secrets are solverCredentialProblems'.
 */
export async function rejectedTsigKeys(
  client: KubeClient,
  resourceNamespace: string,
  solvers: ReadonlyArray<{ dns01?: ACMEChallengeSolverDNS01 }>,
): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, solver] of solvers.entries()) {
    if (!solver.dns01?.rfc2136) continue;
    const at = `spec.acme.solvers[${i}].dns01.rfc2136`;
    try {
      await (await clientFor(solver.dns01, { client, resourceNamespace, allowAmbientCredentials: false }, at, KEY_CHECK_TIMEOUT_MS)).checkKey();
    } catch (err) {
      if (err instanceof Rfc2136Error && (err.code === 'BADSIG' || err.code === 'BADKEY')) problems.push(`${at}: ${err.message}`);
      else if (!(err instanceof Rfc2136Error || err instanceof Dns01ProviderError)) throw err;
    }
  }
  return problems;
}
