// The contract every DNS-01 provider implements (RFC 2136, cert-manager webhook solvers, cloud
// APIs): add or remove one TXT value at one FQDN. Which provider runs is chosen from the solver's
// dns01 block; providers whose SDKs are heavy are imported only when an issuer uses them.
import { Resources } from '../../../../api/resources.ts';
import type { ACMEChallengeSolverDNS01, Challenge, SecretKeySelector } from '../../../../api/types.generated.ts';
import type { KubeClient } from '../../../../lib/kube/client.ts';

/** One TXT value for one Challenge, after cnameStrategy has been applied. */
export interface TxtRecordRequest {
  /** Absolute name with trailing dot where the value goes, e.g. "_acme-challenge.example.com.". */
  fqdn: string;
  /** Zone holding fqdn, trailing dot, found by SOA lookup through the recursive nameservers. */
  zone: string;
  /** The TXT value (the Challenge's key). */
  value: string;
  challenge: Challenge;
  /** Namespace of the issuer's Secrets (the Issuer's, or the cluster resource namespace). */
  resourceNamespace: string;
}

/**
 * present adds exactly this value and leaves other values at the name (apex and wildcard share
 * `_acme-challenge.<name>`); presenting twice is harmless. cleanUp removes exactly this value;
 * removing one that is not there is harmless. Both throw Dns01ProviderError for anything the user
 * must know about.
 */
export interface Dns01Provider {
  /** The dns01 field naming it, e.g. "rfc2136", "webhook". */
  readonly name: string;
  present(req: TxtRecordRequest): Promise<void>;
  cleanUp(req: TxtRecordRequest): Promise<void>;
}

/**
 * A provider failure with a message that says what to fix. `retryable` is true for failures that
 * may pass on their own (network, rate limits, server errors); false for configuration problems
 * (bad credentials, missing Secret, unknown zone, forbidden).
 */
export class Dns01ProviderError extends Error {
  override name = 'Dns01ProviderError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface ProviderContext {
  client: KubeClient;
  resourceNamespace: string;
  /**
   * Whether the provider may use credentials from the worker's environment (pod identity, metadata
   * servers). As cert-manager's defaults: true for ClusterIssuers, false for Issuers.
   */
  allowAmbientCredentials: boolean;
  /**
   * Where a cloud provider's API is reached instead of its public endpoint, and the CA to trust
   * there: how the contract tests point the official SDKs at a local HTTPS server.
   */
  endpoint?: { url: string; caPem?: string };
}

type ProviderFactory = (solver: ACMEChallengeSolverDNS01, ctx: ProviderContext) => Promise<Dns01Provider>;

/** Providers by dns01 field. Each module is imported on first use, so unused SDKs are never loaded. */
const PROVIDERS: Record<string, () => Promise<ProviderFactory>> = {
  rfc2136: async () => (await import('./rfc2136.ts')).rfc2136Provider,
  webhook: async () => (await import('./webhook.ts')).webhookProvider,
  cloudflare: async () => (await import('./cloudflare.ts')).cloudflareProvider,
  route53: async () => (await import('./route53.ts')).route53Provider,
  acmeDNS: async () => (await import('./acmedns.ts')).acmeDnsProvider,
  digitalocean: async () => (await import('./digitalocean.ts')).digitaloceanProvider,
  akamai: async () => (await import('./akamai.ts')).akamaiProvider,
  azureDNS: async () => (await import('./azuredns.ts')).azureDnsProvider,
  cloudDNS: async () => (await import('./clouddns.ts')).cloudDnsProvider,
};

const SUPPORTED_DNS01_PROVIDERS = Object.keys(PROVIDERS);

/** The dns01 field that names the provider (the one key besides cnameStrategy), or undefined. */
export function providerField(solver: ACMEChallengeSolverDNS01): string | undefined {
  return Object.keys(solver).find((k) => k !== 'cnameStrategy' && (solver as Record<string, unknown>)[k] != null);
}

export async function dns01ProviderFor(solver: ACMEChallengeSolverDNS01 | undefined, ctx: ProviderContext): Promise<Dns01Provider> {
  const field = solver ? providerField(solver) : undefined;
  const load = field ? PROVIDERS[field] : undefined;
  if (!solver || !field || !load) {
    throw new Dns01ProviderError(
      `DNS-01 provider "${field ?? 'none'}" is not supported by certgate (supported: ${SUPPORTED_DNS01_PROVIDERS.join(', ')})`,
      false,
    );
  }
  return (await load())(solver, ctx);
}

/**
 * The value of one entry of a Secret in the resource namespace, for provider credentials. The
 * error names the Secret and entry (never the value).
 */
export async function readSecretEntry(ctx: ProviderContext, ref: SecretKeySelector | undefined, where: string): Promise<string> {
  if (!ref?.name) throw new Dns01ProviderError(`${where}: name the Secret that holds the credential`, false);
  if (!ref.key) throw new Dns01ProviderError(`${where}.key: name the entry of Secret ${ctx.resourceNamespace}/${ref.name} that holds the credential`, false);
  const secret = await ctx.client.get<any>(Resources.Secret, ctx.resourceNamespace, ref.name);
  if (!secret)
    throw new Dns01ProviderError(`${where}: Secret ${ctx.resourceNamespace}/${ref.name} not found; create it with the credential under "${ref.key}"`, false);
  const b64 = secret.data?.[ref.key];
  if (!b64) throw new Dns01ProviderError(`${where}: Secret ${ctx.resourceNamespace}/${ref.name} has no entry "${ref.key}"`, false);
  return Buffer.from(b64, 'base64').toString('utf8');
}

/**
 * Why the issuer's DNS-01 solvers cannot work, one line per missing credential (Secret or entry),
 * so the Issuer is not reported Ready while a solver's Secret is missing. Reads only the refs.
 */
export async function solverCredentialProblems(
  client: KubeClient,
  resourceNamespace: string,
  solvers: ReadonlyArray<{ dns01?: ACMEChallengeSolverDNS01 }>,
): Promise<string[]> {
  const problems: string[] = [];
  const ctx: ProviderContext = { client, resourceNamespace, allowAmbientCredentials: false };
  for (const [i, solver] of solvers.entries()) {
    if (!solver.dns01) continue;
    for (const { ref, where } of solverSecretRefs(solver.dns01, `spec.acme.solvers[${i}].dns01`)) {
      try {
        await readSecretEntry(ctx, ref, where);
      } catch (err) {
        if (!(err instanceof Dns01ProviderError)) throw err;
        problems.push(err.message);
      }
    }
  }
  return problems;
}

/** The Secret references a dns01 solver needs to work, with where each is set (for the Issuer's readiness). */
function solverSecretRefs(solver: ACMEChallengeSolverDNS01, at: string): Array<{ ref: SecretKeySelector; where: string }> {
  const out: Array<{ ref: SecretKeySelector; where: string }> = [];
  const field = providerField(solver);
  if (!field) return out;
  const walk = (v: unknown, path: string) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [k, child] of Object.entries(v)) {
      if (/SecretRef$/.test(k) && child && typeof (child as SecretKeySelector).name === 'string')
        out.push({ ref: child as SecretKeySelector, where: `${path}.${k}` });
      else if (field !== 'webhook') walk(child, `${path}.${k}`); // a webhook's config belongs to the solver
    }
  };
  walk((solver as Record<string, unknown>)[field], `${at}.${field}`);
  return out;
}
