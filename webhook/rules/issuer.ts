// Validation rules for cert-manager.io/v1 Issuer and ClusterIssuer. Pure: (issuer) -> findings.
import { findUnsupportedFields } from '../../api/unsupported.ts';
import { isLetsEncryptDirectory, isProductionServer, letsEncryptSuggestion } from './acme-servers.ts';
import { dns01ProviderFindings } from './dns01-providers.ts';
import type { Finding } from './ids.ts';
import { acmeCaBundleFindings, acmeEabFindings, caIssuerFindings, http01Findings, rfc2136Findings } from './issuer-fields.ts';
import { emailProblem } from '../../lib/identity-syntax.ts';
import { asArr, asObj, asStr, specOf } from '../../lib/untrusted.ts';

const ISSUER_TYPES = ['acme', 'ca', 'selfSigned', 'vault', 'venafi'] as const;
const DNS01_PROVIDERS = ['rfc2136', 'acmeDNS', 'akamai', 'azureDNS', 'cloudDNS', 'cloudflare', 'digitalocean', 'route53', 'webhook'];
const DNS01_OPTIONS = new Set(['cnameStrategy', 'nameservers']);

const present = (v: unknown) => v !== undefined && v !== null;

export function validateIssuer(kind: 'Issuer' | 'ClusterIssuer', issuer: unknown): Finding[] {
  const spec = specOf(issuer);
  const out: Finding[] = [];
  const types = ISSUER_TYPES.filter((t) => present(spec[t]));
  if (types.length !== 1) {
    out.push({
      rule: 'issuer-type-count',
      field: 'spec',
      value: types,
      message:
        types.length === 0 ? 'set exactly one issuer type: acme, ca or selfSigned' : `sets ${types.join(' and ')}; an issuer has exactly one type, keep one`,
      severity: 'deny',
    });
  }
  const acme = asObj(spec.acme);
  if (acme) out.push(...acmeFindings(acme), ...acmeCaBundleFindings(acme), ...acmeEabFindings(acme));
  const ca = asObj(spec.ca);
  if (ca) out.push(...caIssuerFindings(ca));
  for (const use of findUnsupportedFields(kind, issuer)) {
    out.push({ rule: 'unsupported-field', field: use.path, message: `certgate does not support this field: ${use.reason}; remove it`, severity: 'deny' });
  }
  return out;
}

function acmeFindings(acme: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  const server = asStr(acme.server) ?? '';
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:') {
    out.push({
      rule: 'acme-server-invalid',
      field: 'spec.acme.server',
      value: acme.server,
      message: `must be the https URL of an ACME directory, e.g. https://acme-v02.api.letsencrypt.org/directory`,
      severity: 'deny',
    });
  } else {
    const suggestion = letsEncryptSuggestion(server);
    if (suggestion && !isLetsEncryptDirectory(server)) {
      out.push({
        rule: 'acme-server-invalid',
        field: 'spec.acme.server',
        value: server,
        message: `is not a Let's Encrypt directory URL; did you mean ${suggestion} ?`,
        severity: 'deny',
      });
    }
  }

  const email = acme.email;
  if (present(email) && email !== '') {
    const problem = typeof email === 'string' ? emailProblem(email) : 'is not a string';
    if (problem)
      out.push({
        rule: 'acme-email-invalid',
        field: 'spec.acme.email',
        value: email,
        message: `${problem}; the CA sends expiry notices here`,
        severity: 'deny',
      });
  }

  if (!asStr(asObj(acme.privateKeySecretRef)?.name)) {
    out.push({
      rule: 'acme-private-key-secret-missing',
      field: 'spec.acme.privateKeySecretRef.name',
      message: 'name the Secret that stores the ACME account key (e.g. letsencrypt-account-key); it is created if absent',
      severity: 'deny',
    });
  }

  asArr(acme.solvers).forEach((s, i) => out.push(...solverFindings(asObj(s) ?? {}, `spec.acme.solvers[${i}]`)));

  if (acme.skipTLSVerify === true && isProductionServer(server)) {
    out.push({
      rule: 'acme-skip-tls-verify',
      field: 'spec.acme.skipTLSVerify',
      value: true,
      message: `turns off certificate checks against the public CA ${url?.hostname}, which has a valid certificate; remove skipTLSVerify`,
      severity: 'warn',
    });
  }
  return out;
}

function solverFindings(solver: Record<string, unknown>, at: string): Finding[] {
  const out: Finding[] = [];
  const types = ['http01', 'dns01'].filter((t) => present(solver[t]));
  if (types.length !== 1) {
    out.push({
      rule: 'acme-solver-invalid',
      field: at,
      value: types,
      message:
        types.length === 0 ? 'a solver needs one of http01 or dns01' : 'a solver has exactly one of http01 and dns01; split it into two solvers with selectors',
      severity: 'deny',
    });
  }
  const http01 = asObj(solver.http01);
  if (http01) out.push(...http01Findings(http01, at));
  const ingress = asObj(http01?.ingress);
  if (ingress) {
    const set = ['class', 'ingressClassName', 'name'].filter((k) => present(ingress[k]));
    if (set.length > 1) {
      out.push({
        rule: 'acme-solver-invalid',
        field: `${at}.http01.ingress`,
        value: set,
        message: `sets ${set.join(' and ')}; set only one of class, ingressClassName and name`,
        severity: 'deny',
      });
    }
  }
  const dns01 = asObj(solver.dns01);
  if (dns01) {
    const providers = Object.keys(dns01).filter((k) => !DNS01_OPTIONS.has(k) && present(dns01[k]));
    const known = providers.filter((p) => DNS01_PROVIDERS.includes(p));
    if (known.length !== 1) {
      out.push({
        rule: 'acme-solver-invalid',
        field: `${at}.dns01`,
        value: providers,
        message: known.length === 0 ? 'a dns01 solver needs a provider: rfc2136' : `sets ${known.join(' and ')}; a dns01 solver has exactly one provider`,
        severity: 'deny',
      });
    }
    const rfc2136 = asObj(dns01.rfc2136);
    if (rfc2136) out.push(...rfc2136Findings(rfc2136, at));
    out.push(...dns01ProviderFindings(dns01, at));
  }
  return out;
}
