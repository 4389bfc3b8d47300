// Route53's `auth.kubernetes.serviceAccountRef`, as cert-manager does it: a bound token for the named
// ServiceAccount (in the issuer's namespace, or the cluster resource namespace for a
// ClusterIssuer) from the TokenRequest API, exchanged with STS AssumeRoleWithWebIdentity for
// temporary credentials of `role`. A new token is asked for whenever the SDK renews the
// credentials, so a long solve never presents an expired one. The token is never put in an error.
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { KubeApiError } from '../../../../lib/kube/client.ts';
import { Dns01ProviderError, type ProviderContext } from './provider.ts';

const AT = 'dns01.route53.auth.kubernetes.serviceAccountRef';
/** cert-manager's defaults: the audience AWS expects when no audiences are given, and a 10-minute token. */
const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
const TOKEN_SECONDS = 600;

type Route53Config = NonNullable<ACMEChallengeSolverDNS01['route53']>;
type ServiceAccountRef = NonNullable<Route53Config['auth']>['kubernetes']['serviceAccountRef'];

/** The serviceAccountRef of a route53 solver, or undefined when it authenticates otherwise. */
export function serviceAccountRefOf(cfg: Route53Config): ServiceAccountRef | undefined {
  return cfg.auth?.kubernetes?.serviceAccountRef ?? undefined;
}

/** Credentials for Route53 through STS AssumeRoleWithWebIdentity with the ServiceAccount's token. */
export async function webIdentityCredentials(cfg: Route53Config, ref: ServiceAccountRef, ctx: ProviderContext, clientConfig: Record<string, unknown>) {
  if (!ref.name) throw new Dns01ProviderError(`${AT}.name: name the ServiceAccount whose token is exchanged with AWS STS`, false);
  if (!cfg.role) throw new Dns01ProviderError(`dns01.route53.role: the ARN of the role to assume is required with ${AT}`, false);
  const { fromWebToken } = await import('@aws-sdk/credential-providers');
  const name = ref.name;
  const role = cfg.role;
  const audiences = ref.audiences?.length ? ref.audiences : [DEFAULT_AUDIENCE];
  return async () => {
    const webIdentityToken = await serviceAccountToken(ctx, name, audiences);
    try {
      return await fromWebToken({ roleArn: role, roleSessionName: 'certgate-dns01', webIdentityToken, clientConfig })();
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      throw new Dns01ProviderError(
        `dns01.route53: AWS STS refused the token of ServiceAccount ${ctx.resourceNamespace}/${name} for role ${role} (${e.name ?? 'Error'}: ${(e.message ?? '').replaceAll(webIdentityToken, '<token>')}); check the role's trust policy (the cluster's OIDC provider, subject system:serviceaccount:${ctx.resourceNamespace}:${name}, audience ${audiences.join(', ')})`,
        status === undefined || status >= 500,
        { cause: err },
      );
    }
  };
}

/** POST serviceaccounts/<name>/token: a bound token for the audiences, as cert-manager asks for it. */
async function serviceAccountToken(ctx: ProviderContext, name: string, audiences: string[]): Promise<string> {
  const sa = `${ctx.resourceNamespace}/${name}`;
  try {
    const answer = await ctx.client.request<{ status?: { token?: string } }>(
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(ctx.resourceNamespace)}/serviceaccounts/${encodeURIComponent(name)}/token`,
      { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences, expirationSeconds: TOKEN_SECONDS } } },
    );
    if (!answer?.status?.token) throw new Dns01ProviderError(`${AT}: the API server answered the token request for ServiceAccount ${sa} without a token`, true);
    return answer.status.token;
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    if (err.statusCode === 404) throw new Dns01ProviderError(`${AT}: ServiceAccount ${sa} not found; create it or fix the name`, false, { cause: err });
    if (err.statusCode === 403)
      throw new Dns01ProviderError(
        `${AT}: certgate may not request a token for ServiceAccount ${sa} (${err.message}); grant the certgate worker's ServiceAccount "create" on serviceaccounts/token for "${name}" with a Role and RoleBinding in ${ctx.resourceNamespace}`,
        false,
        { cause: err },
      );
    throw new Dns01ProviderError(`${AT}: token request for ServiceAccount ${sa} failed (${err.message})`, err.statusCode >= 500 || err.statusCode === 429, {
      cause: err,
    });
  }
}
