// cert-manager's webhook DNS-01 solver API: a ChallengePayload (webhook.acme.cert-manager.io/v1alpha1)
// POSTed to /apis/<groupName>/v1alpha1/<solverName> on the Kubernetes API server, which proxies it
// to the solver's APIService. Existing solver deployments (Hetzner, OVH, Gandi, ...) work unchanged.
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { KubeApiError } from '../../../../lib/kube/client.ts';
import { Dns01ProviderError, type Dns01Provider, type ProviderContext, type TxtRecordRequest } from './provider.ts';

const WEBHOOK_PAYLOAD_API_VERSION = 'webhook.acme.cert-manager.io/v1alpha1';

/** The request half of a ChallengePayload, field for field as cert-manager sends it. */
interface ChallengeRequest {
  uid: string;
  action: 'Present' | 'CleanUp';
  type: 'dns-01';
  dnsName: string;
  key: string;
  resourceNamespace: string;
  resolvedFQDN: string;
  resolvedZone: string;
  allowAmbientCredentials: boolean;
  config?: unknown;
}

interface ChallengeResponse {
  uid?: string;
  success?: boolean;
  status?: { message?: string; reason?: string; code?: number };
}

interface ChallengePayload {
  apiVersion: typeof WEBHOOK_PAYLOAD_API_VERSION;
  kind: 'ChallengePayload';
  request?: ChallengeRequest;
  response?: ChallengeResponse;
}

export async function webhookProvider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const cfg = solver.webhook!;
  if (!cfg.groupName) throw new Dns01ProviderError('dns01.webhook.groupName: set the API group of the solver (its APIService is v1alpha1.<groupName>)', false);
  if (!cfg.solverName) throw new Dns01ProviderError('dns01.webhook.solverName: set the name of the solver within its group', false);
  const path = `/apis/${encodeURIComponent(cfg.groupName)}/v1alpha1/${encodeURIComponent(cfg.solverName)}`;
  const where = `webhook solver ${cfg.solverName} (group ${cfg.groupName})`;

  const call = async (action: ChallengeRequest['action'], req: TxtRecordRequest): Promise<void> => {
    const body: ChallengePayload = {
      apiVersion: WEBHOOK_PAYLOAD_API_VERSION,
      kind: 'ChallengePayload',
      request: {
        uid: req.challenge.metadata.uid ?? '',
        action,
        type: 'dns-01',
        dnsName: req.challenge.spec.dnsName,
        key: req.value,
        resourceNamespace: ctx.resourceNamespace,
        resolvedFQDN: req.fqdn,
        resolvedZone: req.zone,
        allowAmbientCredentials: ctx.allowAmbientCredentials,
        ...(cfg.config !== undefined ? { config: cfg.config } : {}),
      },
    };
    let answer: ChallengePayload;
    try {
      answer = await ctx.client.request<ChallengePayload>('POST', path, { body });
    } catch (err) {
      throw apiError(err, where, path);
    }
    const res = answer?.response;
    if (!res) throw new Dns01ProviderError(`${where} answered without a ChallengePayload response; is ${path} served by a cert-manager webhook solver?`, true);
    if (!res.success) {
      const why = res.status?.message || res.status?.reason || 'no reason given';
      throw new Dns01ProviderError(`${where} failed to ${action === 'Present' ? 'present' : 'clean up'} the TXT record at ${req.fqdn}: ${why}`, true);
    }
  };
  return {
    name: 'webhook',
    present: (req) => call('Present', req),
    cleanUp: (req) => call('CleanUp', req),
  };
}

/** API server answers, explained for the user: missing APIService, RBAC, solver down. */
function apiError(err: unknown, where: string, path: string): Dns01ProviderError {
  if (!(err instanceof KubeApiError)) return new Dns01ProviderError(`${where}: ${(err as Error).message}`, true, { cause: err });
  switch (err.statusCode) {
    case 404:
      return new Dns01ProviderError(
        `${where}: the API server does not serve ${path}; install the solver and its APIService, and check groupName and solverName`,
        false,
        { cause: err },
      );
    case 403:
      return new Dns01ProviderError(
        `${where}: certgate may not create ${path} (${err.message}); add the group to the chart's dns01WebhookGroups (RBAC "create" on it)`,
        false,
        { cause: err },
      );
    case 503:
      return new Dns01ProviderError(
        `${where}: the API server cannot reach the solver (${err.message}); check the solver's Service and APIService status`,
        true,
        { cause: err },
      );
    default:
      return new Dns01ProviderError(`${where}: ${path} answered HTTP ${err.statusCode}: ${err.message}`, err.statusCode >= 500 || err.statusCode === 429, {
        cause: err,
      });
  }
}
