// DNS-01 through RFC 2136: the challenge TXT value at _acme-challenge.<name> on the configured
// primary, TSIG secret read from the issuer's tsigSecretSecretRef. The self-check asks that same
// authoritative server, so it does not depend on caches or propagation to other resolvers.
import { Resources } from '../../../../api/resources.ts';
import type { Challenge } from '../../../../api/types.generated.ts';
import { Rfc2136Client } from '../../../../lib/dns/rfc2136.ts';
import type { KubeClient } from '../../../../lib/kube/client.ts';
import { SolverConfigError } from '../http01/ingress.ts';

export const challengeRecordName = (ch: Challenge) => `_acme-challenge.${ch.spec.dnsName.replace(/^\*\./, '')}`;

/** The client for this challenge's rfc2136 solver; unsupported providers are a clear config error. */
export async function rfc2136ClientFor(kube: KubeClient, ch: Challenge, resourceNamespace: string): Promise<Rfc2136Client> {
  const dns01 = ch.spec.solver.dns01 ?? {};
  const cfg = dns01.rfc2136;
  if (!cfg) {
    const provider = Object.keys(dns01).find((k) => k !== 'cnameStrategy') ?? 'none';
    throw new SolverConfigError(`DNS-01 provider "${provider}" is not supported by certgate (supported: rfc2136)`);
  }
  if (!cfg.tsigKeyName || !cfg.tsigSecretSecretRef) throw new SolverConfigError('rfc2136: tsigKeyName and tsigSecretSecretRef are required');
  const ref = cfg.tsigSecretSecretRef;
  const secret = await kube.get<any>(Resources.Secret, resourceNamespace, ref.name);
  const entry = ref.key;
  if (!entry) throw new SolverConfigError('rfc2136: tsigSecretSecretRef.key must name the Secret entry holding the TSIG secret');
  const b64 = secret?.data?.[entry];
  if (!b64) throw new SolverConfigError(`rfc2136: Secret ${resourceNamespace}/${ref.name} ${secret ? `has no entry "${entry}"` : 'not found'}`);
  return new Rfc2136Client({
    nameserver: cfg.nameserver,
    tsigKeyName: cfg.tsigKeyName,
    tsigAlgorithm: cfg.tsigAlgorithm,
    tsigSecret: Buffer.from(b64, 'base64').toString('utf8').trim(),
  });
}

export async function presentTxt(dns: Rfc2136Client, ch: Challenge): Promise<void> {
  await dns.addTxt(challengeRecordName(ch), ch.spec.key, 60);
}

export async function removeTxt(dns: Rfc2136Client, ch: Challenge): Promise<void> {
  await dns.removeTxt(challengeRecordName(ch), ch.spec.key);
}

/** undefined when the authoritative server answers the TXT value, else why not. */
export async function dns01SelfCheck(dns: Rfc2136Client, ch: Challenge): Promise<string | undefined> {
  const name = challengeRecordName(ch);
  try {
    const values = await dns.queryTxt(name);
    return values.includes(ch.spec.key) ? undefined : `DNS record for "${name}" not yet propagated (${values.length} TXT value(s), none matching)`;
  } catch (err) {
    return `DNS lookup of TXT "${name}" failed: ${(err as Error).message}`;
  }
}
