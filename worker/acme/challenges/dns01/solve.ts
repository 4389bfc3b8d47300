// The DNS-01 steps every provider shares: where the TXT value goes (`_acme-challenge.<name>`, or
// the end of its CNAME chain with cnameStrategy Follow), which zone holds it, presenting and
// removing one value through the solver's provider, and the propagation check against the zone's
// authoritative nameservers (or the recursive ones with --dns01-recursive-nameservers-only).
import type { Challenge } from '../../../../api/types.generated.ts';
import { DnsLookup, describeAnswers, fqdnOf } from '../../../../lib/dns/propagation.ts';
import type { WorkerContext } from '../../../context.ts';
import { dns01ProviderFor, Dns01ProviderError, providerField, type TxtRecordRequest } from './provider.ts';

const challengeRecordName = (ch: Challenge): string => fqdnOf(`_acme-challenge.${ch.spec.dnsName.replace(/^\*\./, '')}`);

/** Resolvers for the shared checks: --dns01-recursive-nameservers, else --acme-dns-nameserver, else the system's. */
function dnsLookupFor(ctx: WorkerContext): DnsLookup {
  const d = ctx.config.dns01;
  const recursive = d?.recursiveNameservers?.length ? d.recursiveNameservers : ctx.config.acmeDnsNameserver ? [ctx.config.acmeDnsNameserver] : [];
  return new DnsLookup({ recursive, recursiveOnly: d?.recursiveOnly ?? false, authoritativePort: d?.authoritativePort ?? 53 });
}

/** Where this Challenge's TXT value goes and in which zone; lookup failures are provider errors (retried). */
async function txtRecordFor(ctx: WorkerContext, ch: Challenge, resourceNamespace: string): Promise<TxtRecordRequest> {
  const lookup = dnsLookupFor(ctx);
  const name = challengeRecordName(ch);
  try {
    const fqdn = ch.spec.solver.dns01?.cnameStrategy === 'Follow' ? await lookup.followCname(name) : name;
    const zone = await lookup.findZone(fqdn);
    return { fqdn, zone, value: ch.spec.key, challenge: ch, resourceNamespace };
  } catch (err) {
    throw new Dns01ProviderError(`cannot place the TXT record for ${name}: ${(err as Error).message}`, true, { cause: err });
  }
}

function providerFor(ctx: WorkerContext, ch: Challenge, resourceNamespace: string) {
  const solver = ch.spec.solver.dns01;
  const field = solver ? providerField(solver) : undefined;
  const url = field ? ctx.config.dns01?.apiEndpoints?.[field] : undefined;
  return dns01ProviderFor(solver, {
    client: ctx.client,
    resourceNamespace,
    allowAmbientCredentials: ch.spec.issuerRef.kind === 'ClusterIssuer',
    ...(url ? { endpoint: { url } } : {}),
  });
}

export async function presentDns01(ctx: WorkerContext, ch: Challenge, resourceNamespace: string): Promise<void> {
  const provider = await providerFor(ctx, ch, resourceNamespace);
  await provider.present(await txtRecordFor(ctx, ch, resourceNamespace));
}

export async function cleanUpDns01(ctx: WorkerContext, ch: Challenge, resourceNamespace: string): Promise<void> {
  const provider = await providerFor(ctx, ch, resourceNamespace);
  await provider.cleanUp(await txtRecordFor(ctx, ch, resourceNamespace));
}

/** undefined when every nameserver that must see the value answers it; else what they answered. */
export async function dns01SelfCheck(ctx: WorkerContext, ch: Challenge, resourceNamespace: string): Promise<string | undefined> {
  let record: TxtRecordRequest;
  try {
    record = await txtRecordFor(ctx, ch, resourceNamespace);
  } catch (err) {
    return (err as Error).message;
  }
  try {
    const result = await dnsLookupFor(ctx).checkTxt(record.fqdn, record.zone, record.value);
    return result.visible ? undefined : describeAnswers(record.fqdn, record.value, result.answers);
  } catch (err) {
    return `DNS lookup of TXT ${record.fqdn} failed: ${(err as Error).message}`;
  }
}
