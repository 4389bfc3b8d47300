// DNS-01 through AWS Route53 with the official SDK (@aws-sdk/client-route-53, loaded on first
// use). Credentials as in cert-manager: static keys (accessKeyID or accessKeyIDSecretRef, with
// secretAccessKeySecretRef), else, for ClusterIssuers only, the ambient ones the SDK's default
// chain finds (environment, web identity / IRSA, container and instance metadata); `role` is
// assumed with STS on top of either. With auth.kubernetes.serviceAccountRef, a token of that
// ServiceAccount is exchanged for `role`'s credentials instead (route53-web-identity.ts), for
// Issuers and ClusterIssuers alike, and any static keys are ignored (as cert-manager). The hosted zone is `hostedZoneID` or found by name. A TXT
// RRset holds every value at a name, so present writes the union with this value and clean-up
// writes the rest (or deletes the set when this was the last value).
import https from 'node:https';
import type { ACMEChallengeSolverDNS01 } from '../../../../api/types.generated.ts';
import { Dns01ProviderError, readSecretEntry, type Dns01Provider, type ProviderContext, type TxtRecordRequest } from './provider.ts';
import { serviceAccountRefOf, webIdentityCredentials } from './route53-web-identity.ts';

const AT = 'dns01.route53';
const TTL = 10; // cert-manager's

export async function route53Provider(solver: ACMEChallengeSolverDNS01, ctx: ProviderContext): Promise<Dns01Provider> {
  const cfg = solver.route53 ?? {};
  const sdk = await import('@aws-sdk/client-route-53');
  const region = cfg.region || 'us-east-1';
  // contract tests: the SDK's own HTTPS stack, pointed at a local server with its CA
  const transport = ctx.endpoint ? { endpoint: ctx.endpoint.url, requestHandler: { httpsAgent: new https.Agent({ ca: ctx.endpoint.caPem }) } } : {};
  const credentials = await credentialsFor(cfg, ctx, region, transport);
  const client = new sdk.Route53Client({ region, credentials, maxAttempts: 3, ...transport });

  const zoneId = async (req: TxtRecordRequest): Promise<string> => {
    if (cfg.hostedZoneID) return cfg.hostedZoneID;
    const zone = req.zone.endsWith('.') ? req.zone : `${req.zone}.`;
    const out = await client.send(new sdk.ListHostedZonesByNameCommand({ DNSName: zone }));
    const matches = (out.HostedZones ?? []).filter((z) => z.Name === zone);
    const chosen = matches.find((z) => !z.Config?.PrivateZone) ?? matches[0];
    if (!chosen?.Id)
      throw new Dns01ProviderError(`${AT}: no hosted zone named ${zone} in this AWS account; set hostedZoneID or check the credentials' account`, false);
    return chosen.Id.replace(/^\/hostedzone\//, '');
  };
  const valuesAt = async (id: string, fqdn: string): Promise<{ values: string[]; ttl: number }> => {
    const out = await client.send(new sdk.ListResourceRecordSetsCommand({ HostedZoneId: id, StartRecordName: fqdn, StartRecordType: 'TXT', MaxItems: 1 }));
    const set = (out.ResourceRecordSets ?? []).find((r) => r.Type === 'TXT' && sameName(r.Name, fqdn));
    return { values: (set?.ResourceRecords ?? []).map((r) => r.Value ?? ''), ttl: set?.TTL ?? TTL };
  };
  const change = async (id: string, fqdn: string, action: 'UPSERT' | 'DELETE', values: string[], ttl: number) => {
    const out = await client.send(
      new sdk.ChangeResourceRecordSetsCommand({
        HostedZoneId: id,
        ChangeBatch: {
          Comment: 'certgate DNS-01 challenge',
          Changes: [{ Action: action, ResourceRecordSet: { Name: fqdn, Type: 'TXT', TTL: ttl, ResourceRecords: values.map((Value) => ({ Value })) } }],
        },
      }),
    );
    if (out.ChangeInfo?.Id && out.ChangeInfo.Status !== 'INSYNC') {
      await sdk.waitUntilResourceRecordSetsChanged({ client, maxWaitTime: 180, minDelay: 2, maxDelay: 10 }, { Id: out.ChangeInfo.Id });
    }
  };

  return {
    name: 'route53',
    present: (req) =>
      explain(async () => {
        const id = await zoneId(req);
        const quoted = `"${req.value}"`;
        const { values } = await valuesAt(id, req.fqdn);
        if (values.includes(quoted)) return;
        await change(id, req.fqdn, 'UPSERT', [...values, quoted], TTL);
      }),
    cleanUp: (req) =>
      explain(async () => {
        const id = await zoneId(req);
        const quoted = `"${req.value}"`;
        const { values, ttl } = await valuesAt(id, req.fqdn);
        if (!values.includes(quoted)) return;
        const rest = values.filter((v) => v !== quoted);
        // DELETE must name the set exactly as it is; the others stay with an UPSERT
        await (rest.length ? change(id, req.fqdn, 'UPSERT', rest, ttl) : change(id, req.fqdn, 'DELETE', values, ttl));
      }),
  };
}

async function credentialsFor(cfg: NonNullable<ACMEChallengeSolverDNS01['route53']>, ctx: ProviderContext, region: string, transport: Record<string, unknown>) {
  const serviceAccountRef = serviceAccountRefOf(cfg);
  if (serviceAccountRef) return webIdentityCredentials(cfg, serviceAccountRef, ctx, { region, ...transport });
  const providers = await import('@aws-sdk/credential-providers');
  const keyIdFromSecret = cfg.accessKeyIDSecretRef ? (await readSecretEntry(ctx, cfg.accessKeyIDSecretRef, `${AT}.accessKeyIDSecretRef`)).trim() : undefined;
  if (cfg.accessKeyID && keyIdFromSecret) throw new Dns01ProviderError(`${AT}: set accessKeyID or accessKeyIDSecretRef, not both`, false);
  const accessKeyId = cfg.accessKeyID || keyIdFromSecret;
  let base;
  if (accessKeyId || cfg.secretAccessKeySecretRef) {
    if (!accessKeyId) throw new Dns01ProviderError(`${AT}: secretAccessKeySecretRef needs accessKeyID or accessKeyIDSecretRef`, false);
    if (!cfg.secretAccessKeySecretRef) throw new Dns01ProviderError(`${AT}: accessKeyID needs secretAccessKeySecretRef`, false);
    const secretAccessKey = (await readSecretEntry(ctx, cfg.secretAccessKeySecretRef, `${AT}.secretAccessKeySecretRef`)).trim();
    base = { accessKeyId, secretAccessKey };
  } else if (ctx.allowAmbientCredentials) {
    base = providers.fromNodeProviderChain();
  } else {
    throw new Dns01ProviderError(
      `${AT}: no credentials: set accessKeyID (or accessKeyIDSecretRef) and secretAccessKeySecretRef; ambient credentials (the pod's AWS identity) are only used for ClusterIssuers`,
      false,
    );
  }
  if (!cfg.role) return base;
  return providers.fromTemporaryCredentials({
    masterCredentials: base,
    params: { RoleArn: cfg.role, RoleSessionName: 'certgate-dns01' },
    clientConfig: { region, ...transport },
  });
}

const sameName = (a: string | undefined, b: string) => (a ?? '').replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();

/** AWS answers as Dns01ProviderErrors that say what to fix. */
async function explain(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof Dns01ProviderError) throw err;
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const code = e.name ?? 'Error';
    const status = e.$metadata?.httpStatusCode;
    const detail = `${code}: ${e.message ?? ''}`.trim();
    if (
      [
        'InvalidClientTokenId',
        'SignatureDoesNotMatch',
        'UnrecognizedClientException',
        'ExpiredToken',
        'AccessDenied',
        'AccessDeniedException',
        'CredentialsProviderError',
      ].includes(code)
    )
      throw new Dns01ProviderError(
        `${AT}: AWS refused the credentials or their permissions (${detail}); check the keys, the role and route53:ChangeResourceRecordSets/ListResourceRecordSets/ListHostedZonesByName/GetChange`,
        false,
        { cause: err },
      );
    if (code === 'NoSuchHostedZone') throw new Dns01ProviderError(`${AT}: hosted zone not found (${detail}); check hostedZoneID`, false, { cause: err });
    if (code === 'Throttling' || code === 'PriorRequestNotComplete' || status === 429)
      throw new Dns01ProviderError(`${AT}: Route53 rate limit reached (${detail}); retrying later`, true, { cause: err });
    if (code === 'InvalidChangeBatch') throw new Dns01ProviderError(`${AT}: Route53 rejected the change (${detail})`, true, { cause: err });
    throw new Dns01ProviderError(`${AT}: ${detail}`, status === undefined || status >= 500, { cause: err });
  }
}
