// DNS-01 through Azure DNS with the official SDKs (@azure/arm-dns for the record sets,
// @azure/identity for the token; both loaded on first use). Credentials as in cert-manager: a
// service principal's client secret (clientID, clientSecretSecretRef, tenantID), else, for
// ClusterIssuers only, the pod's workload identity (AZURE_FEDERATED_TOKEN_FILE set) or managed
// identity, chosen by managedIdentity. `environment` picks the Azure cloud (login and Resource
// Manager hosts). A TXT record set holds every value at a name: present writes the set with this
// value added, clean-up writes the rest or deletes the set when this was the last value.
import https from 'node:https';
import type { TokenCredential } from '@azure/identity';
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { Dns01ProviderError, readSecretEntry, type Dns01Provider, type ProviderContext, type TxtRecordRequest } from './provider.ts';

const AT = 'dns01.azureDNS';
const TTL = 60; // cert-manager's

type AzureDnsConfig = NonNullable<ACMEChallengeSolverDNS01['azureDNS']>;

/** Login and Resource Manager hosts of each Azure cloud cert-manager names. */
const CLOUDS: Record<NonNullable<AzureDnsConfig['environment']>, { login: string; resourceManager: string }> = {
  AzurePublicCloud: { login: 'https://login.microsoftonline.com', resourceManager: 'https://management.azure.com' },
  AzureChinaCloud: { login: 'https://login.chinacloudapi.cn', resourceManager: 'https://management.chinacloudapi.cn' },
  AzureUSGovernmentCloud: { login: 'https://login.microsoftonline.us', resourceManager: 'https://management.usgovcloudapi.net' },
  AzureGermanCloud: { login: 'https://login.microsoftonline.de', resourceManager: 'https://management.microsoftazure.de' },
};

export async function azureDnsProvider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const cfg = solver.azureDNS;
  if (!cfg?.subscriptionID) throw new Dns01ProviderError(`${AT}.subscriptionID: set the subscription holding the DNS zone`, false);
  if (!cfg.resourceGroupName) throw new Dns01ProviderError(`${AT}.resourceGroupName: set the resource group holding the DNS zone`, false);
  const cloud = CLOUDS[cfg.environment ?? 'AzurePublicCloud'];
  if (!cloud) throw new Dns01ProviderError(`${AT}.environment: ${JSON.stringify(cfg.environment)} is not one of ${Object.keys(CLOUDS).join(', ')}`, false);
  // contract tests and private endpoints: both hosts at one URL, trusting its CA
  const hosts = ctx.endpoint ? { login: ctx.endpoint.url, resourceManager: ctx.endpoint.url } : cloud;
  const agent = ctx.endpoint?.caPem ? new https.Agent({ ca: ctx.endpoint.caPem, keepAlive: true }) : undefined;
  const transport = {
    retryOptions: { maxRetries: 2 },
    additionalPolicies: agent
      ? [
          {
            position: 'perCall' as const,
            policy: {
              name: 'certgateEndpointCa',
              sendRequest: (req: { agent?: unknown }, next: (r: any) => Promise<any>) => next(Object.assign(req, { agent })),
            },
          },
        ]
      : [],
  };
  const credential = await credentialFor(cfg, ctx, hosts.login, transport);
  const { DnsManagementClient } = await import('@azure/arm-dns');
  const client = new DnsManagementClient(credential, cfg.subscriptionID, {
    endpoint: hosts.resourceManager,
    credentialScopes: [`${cloud.resourceManager}/.default`],
    ...transport,
  });

  const where = (req: TxtRecordRequest) => {
    const zone = (cfg.hostedZoneName || req.zone).replace(/\.$/, '');
    const fqdn = req.fqdn.replace(/\.$/, '');
    if (fqdn !== zone && !fqdn.endsWith(`.${zone}`)) throw new Dns01ProviderError(`${AT}.hostedZoneName: ${fqdn} is not in zone ${zone}`, false);
    return { zone, name: fqdn === zone ? '@' : fqdn.slice(0, -(zone.length + 1)) };
  };
  const valuesAt = async (zone: string, name: string): Promise<string[] | undefined> => {
    try {
      const set = await client.recordSets.get(cfg.resourceGroupName, zone, name, 'TXT');
      return (set.txtRecords ?? []).map((r) => (r.value ?? []).join(''));
    } catch (err) {
      if ((err as { statusCode?: number; code?: string }).statusCode === 404 && (err as { code?: string }).code === 'NotFound') return undefined;
      throw err;
    }
  };
  const write = (zone: string, name: string, values: string[]) =>
    client.recordSets.createOrUpdate(cfg.resourceGroupName, zone, name, 'TXT', { ttl: TTL, txtRecords: values.map((v) => ({ value: [v] })) });

  return {
    name: 'azureDNS',
    present: (req) =>
      explain(async () => {
        const { zone, name } = where(req);
        const values = (await valuesAt(zone, name)) ?? [];
        if (!values.includes(req.value)) await write(zone, name, [...values, req.value]);
      }),
    cleanUp: (req) =>
      explain(async () => {
        const { zone, name } = where(req);
        const values = await valuesAt(zone, name);
        if (!values?.includes(req.value)) return;
        const rest = values.filter((v) => v !== req.value);
        await (rest.length ? write(zone, name, rest) : client.recordSets.delete(cfg.resourceGroupName, zone, name, 'TXT'));
      }),
  };
}

async function credentialFor(cfg: AzureDnsConfig, ctx: ProviderContext, authorityHost: string, transport: object): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  // a custom endpoint has no Microsoft instance metadata to discover
  const entra = { authorityHost, disableInstanceDiscovery: !!ctx.endpoint, ...transport };
  if (cfg.clientID || cfg.clientSecretSecretRef) {
    if (!cfg.clientID)
      throw new Dns01ProviderError(`${AT}.clientID: set the service principal's application (client) ID to go with clientSecretSecretRef`, false);
    if (!cfg.tenantID) throw new Dns01ProviderError(`${AT}.tenantID: set the service principal's tenant to go with clientID`, false);
    if (!cfg.clientSecretSecretRef)
      throw new Dns01ProviderError(`${AT}.clientSecretSecretRef: set the Secret holding the client secret of ${cfg.clientID}`, false);
    const secret = (await readSecretEntry(ctx, cfg.clientSecretSecretRef, `${AT}.clientSecretSecretRef`)).trim();
    return new identity.ClientSecretCredential(cfg.tenantID, cfg.clientID, secret, entra);
  }
  if (!ctx.allowAmbientCredentials) {
    throw new Dns01ProviderError(
      `${AT}: no credentials: set clientID, tenantID and clientSecretSecretRef; the pod's managed or workload identity is only used for ClusterIssuers`,
      false,
    );
  }
  const mi = cfg.managedIdentity ?? {};
  if (process.env.AZURE_FEDERATED_TOKEN_FILE) {
    return new identity.WorkloadIdentityCredential({ clientId: mi.clientID, tenantId: mi.tenantID, ...entra });
  }
  if (mi.clientID && mi.resourceID) throw new Dns01ProviderError(`${AT}.managedIdentity: set clientID or resourceID, not both`, false);
  return mi.resourceID
    ? new identity.ManagedIdentityCredential({ resourceId: mi.resourceID, ...transport })
    : new identity.ManagedIdentityCredential({ clientId: mi.clientID, ...transport });
}

/** Azure's answers as Dns01ProviderErrors that say what to fix. */
async function explain(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof Dns01ProviderError) throw err;
    const e = err as { name?: string; statusCode?: number; code?: string; message?: string };
    const status = e.statusCode;
    // token errors carry AADSTS codes in their message; keep the first line
    const detail = `${e.code ?? e.name ?? 'Error'}: ${(e.message ?? '').split('\n')[0]}`;
    if (['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError'].includes(e.name ?? '') || status === 401 || status === 403)
      throw new Dns01ProviderError(
        `${AT}: Azure refused the credentials or their permissions (${detail}); check clientID, tenantID and the client secret, or the identity, and its DNS Zone Contributor role on the zone`,
        false,
        { cause: err },
      );
    if (status === 404)
      throw new Dns01ProviderError(`${AT}: not found at Azure (${detail}); check subscriptionID, resourceGroupName and hostedZoneName`, false, { cause: err });
    if (status === 429) throw new Dns01ProviderError(`${AT}: Azure rate limit reached (${detail}); retrying later`, true, { cause: err });
    throw new Dns01ProviderError(`${AT}: ${detail}`, status === undefined || status >= 500, { cause: err });
  }
}
