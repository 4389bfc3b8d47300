// cert-manager's validity rules for the settings of each DNS-01 provider (its
// ValidateACMEChallengeSolverDNS01), refused with the same meaning: Secret references need a name and
// a key, each provider the fields it cannot work without, and no two ways of giving one credential.
// What the CRD schema already requires (cloudDNS.project, a reference's name) is not repeated here.
import type { Finding } from './ids.ts';
import { secretRefFindings } from './issuer-fields.ts';
import { asObj, asStr, type Obj } from '../../lib/untrusted.ts';

const present = (v: unknown) => v !== undefined && v !== null;
const AZURE_ENVIRONMENTS = ['', 'AzurePublicCloud', 'AzureChinaCloud', 'AzureGermanCloud', 'AzureUSGovernmentCloud'];

const deny = (field: string, message: string, value?: unknown): Finding => ({
  rule: 'acme-solver-invalid',
  field,
  message,
  severity: 'deny',
  ...(value === undefined ? {} : { value }),
});
const secretRef = (ref: unknown, at: string) => secretRefFindings(ref, at, 'acme-solver-invalid');
const required = (o: Obj, key: string, at: string, what: string) => (asStr(o[key]) ? [] : [deny(`${at}.${key}`, `${what} is required`)]);

function akamai(p: Obj, at: string): Finding[] {
  return [
    ...secretRef(p.accessTokenSecretRef, `${at}.accessTokenSecretRef`),
    ...secretRef(p.clientSecretSecretRef, `${at}.clientSecretSecretRef`),
    ...secretRef(p.clientTokenSecretRef, `${at}.clientTokenSecretRef`),
    ...required(p, 'serviceConsumerDomain', at, 'the API client host (serviceConsumerDomain)'),
  ];
}

function azureDNS(p: Obj, at: string): Finding[] {
  const out: Finding[] = [];
  const identity = asObj(p.managedIdentity);
  if (asStr(p.clientID) || asStr(p.tenantID) || present(p.clientSecretSecretRef)) {
    // A service principal: all three parts, and no managed identity besides.
    out.push(...required(p, 'clientID', at, 'clientID (with tenantID or clientSecretSecretRef)'));
    if (present(p.clientSecretSecretRef)) out.push(...secretRef(p.clientSecretSecretRef, `${at}.clientSecretSecretRef`));
    else out.push(deny(`${at}.clientSecretSecretRef`, 'clientSecretSecretRef (with clientID or tenantID) is required'));
    out.push(...required(p, 'tenantID', at, 'tenantID (with clientID or clientSecretSecretRef)'));
    if (identity) out.push(deny(`${at}.managedIdentity`, 'managed identity cannot be used at the same time as clientID, clientSecretSecretRef or tenantID'));
  } else if (identity) {
    if (asStr(identity.clientID) && asStr(identity.resourceID))
      out.push(deny(`${at}.managedIdentity`, 'managedIdentity clientID and resourceID cannot both be specified'));
    if (asStr(identity.tenantID) && asStr(identity.resourceID))
      out.push(deny(`${at}.managedIdentity`, 'managedIdentity tenantID and resourceID cannot both be specified'));
    if (asStr(identity.tenantID) && !asStr(identity.clientID))
      out.push(deny(`${at}.managedIdentity`, 'managedIdentity clientID is required when managedIdentity tenantID is set'));
  }
  out.push(...required(p, 'subscriptionID', at, 'subscriptionID'), ...required(p, 'resourceGroupName', at, 'resourceGroupName'));
  const environment = p.environment ?? '';
  if (typeof environment !== 'string' || !AZURE_ENVIRONMENTS.includes(environment))
    out.push(deny(`${at}.environment`, `must be empty or one of ${AZURE_ENVIRONMENTS.slice(1).join(', ')}`, environment));
  return out;
}

function cloudDNS(p: Obj, at: string): Finding[] {
  return [
    ...(present(p.serviceAccountSecretRef) ? secretRef(p.serviceAccountSecretRef, `${at}.serviceAccountSecretRef`) : []),
    ...required(p, 'project', at, 'project'),
  ];
}

function cloudflare(p: Obj, at: string): Finding[] {
  const out: Finding[] = [];
  const key = present(p.apiKeySecretRef);
  const token = present(p.apiTokenSecretRef);
  if (key) out.push(...secretRef(p.apiKeySecretRef, `${at}.apiKeySecretRef`));
  if (token) out.push(...secretRef(p.apiTokenSecretRef, `${at}.apiTokenSecretRef`));
  if (key && token) out.push(deny(at, 'apiKeySecretRef and apiTokenSecretRef cannot both be specified; an API token is the recommended one'));
  if (!key && !token) out.push(deny(at, 'apiTokenSecretRef (recommended) or apiKeySecretRef is required'));
  if (key && !asStr(p.email)) out.push(deny(`${at}.email`, 'the account e-mail is required with apiKeySecretRef'));
  return out;
}

function route53(p: Obj, at: string): Finding[] {
  const out: Finding[] = [];
  if (asStr(p.accessKeyID) && present(p.accessKeyIDSecretRef)) out.push(deny(at, 'accessKeyID and accessKeyIDSecretRef cannot both be specified'));
  if (present(p.accessKeyIDSecretRef)) out.push(...secretRef(p.accessKeyIDSecretRef, `${at}.accessKeyIDSecretRef`));
  // auth.kubernetes.serviceAccountRef: cert-manager fails each Challenge without a role ("role must be
  // set when web identity token is set"); refused here instead. Keys beside it are unused, as there.
  if (present(asObj(asObj(p.auth)?.kubernetes)?.serviceAccountRef)) {
    out.push(...required(p, 'role', at, 'role (the ARN of the role to assume with the ServiceAccount token) with auth.kubernetes.serviceAccountRef'));
    if (asStr(p.accessKeyID) || present(p.accessKeyIDSecretRef) || present(p.secretAccessKeySecretRef))
      out.push({
        ...deny(
          `${at}.auth`,
          'the access keys are not used with auth.kubernetes.serviceAccountRef (the role is assumed with the ServiceAccount token alone); remove them',
        ),
        severity: 'warn',
      });
  }
  return out;
}

function acmeDNS(p: Obj, at: string): Finding[] {
  return [...secretRef(p.accountSecretRef, `${at}.accountSecretRef`), ...required(p, 'host', at, 'the acme-dns server URL (host)')];
}

function digitalocean(p: Obj, at: string): Finding[] {
  return secretRef(p.tokenSecretRef, `${at}.tokenSecretRef`);
}

const PROVIDERS: Record<string, (p: Obj, at: string) => Finding[]> = { akamai, azureDNS, cloudDNS, cloudflare, route53, acmeDNS, digitalocean };

/** Findings for the provider settings of one dns01 solver at `at` (e.g. spec.acme.solvers[0]). */
export function dns01ProviderFindings(dns01: Obj, at: string): Finding[] {
  return Object.entries(PROVIDERS).flatMap(([name, check]) => {
    const p = asObj(dns01[name]);
    return p ? check(p, `${at}.dns01.${name}`) : [];
  });
}
