// cert-manager's validity rules for the parts of an Issuer that certgate implements: ACME's CA
// bundle and external account binding, HTTP-01 ingress settings, RFC 2136 settings and the CA
// issuer's Secret. Refused with the same meaning as cert-manager's webhook.
import { X509Certificate } from 'node:crypto';
import type { Finding } from './ids.ts';
import { subdomainProblem } from '../../lib/kube-name-syntax.ts';
import { asObj, asStr, type Obj } from '../../lib/untrusted.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** cert-manager's accepted spellings, compared upper-case (its rfc2136 provider supports these four). */
const TSIG_ALGORITHMS = ['HMACMD5', 'HMACSHA1', 'HMACSHA256', 'HMACSHA512'];
const SERVICE_TYPES = ['', 'ClusterIP', 'NodePort'];

const present = (v: unknown) => v !== undefined && v !== null;

/** True when base64 decodes to PEM holding at least one certificate that parses. */
function holdsCertificate(base64: string): boolean {
  const pem = Buffer.from(base64, 'base64').toString('utf8');
  for (const block of pem.match(PEM_CERTIFICATE) ?? []) {
    try {
      new X509Certificate(block);
      return true;
    } catch {
      /* try the next block */
    }
  }
  return false;
}

export function acmeCaBundleFindings(acme: Obj): Finding[] {
  const bundle = acme.caBundle;
  if (!present(bundle) || bundle === '') return [];
  if (acme.skipTLSVerify === true) {
    return [
      {
        rule: 'acme-ca-bundle-invalid',
        field: 'spec.acme.caBundle',
        message: 'caBundle and skipTLSVerify are mutually exclusive: trust the CA with caBundle and remove skipTLSVerify',
        severity: 'deny',
      },
    ];
  }
  if (typeof bundle !== 'string' || !holdsCertificate(bundle)) {
    return [
      {
        rule: 'acme-ca-bundle-invalid',
        field: 'spec.acme.caBundle',
        message: 'holds no valid certificate: it must be base64 of PEM "-----BEGIN CERTIFICATE-----" blocks',
        severity: 'deny',
      },
    ];
  }
  return [];
}

/** A Secret key reference missing its name or key, as cert-manager reports it. */
export function secretRefFindings(ref: unknown, at: string, rule: Finding['rule']): Finding[] {
  const o = asObj(ref) ?? {};
  const out: Finding[] = [];
  if (!asStr(o.name)) out.push({ rule, field: `${at}.name`, message: 'name the Secret', severity: 'deny' });
  if (!asStr(o.key)) out.push({ rule, field: `${at}.key`, message: 'name the key in the Secret', severity: 'deny' });
  return out;
}

export function acmeEabFindings(acme: Obj): Finding[] {
  const eab = asObj(acme.externalAccountBinding);
  if (!eab) return [];
  const out: Finding[] = [];
  if (!asStr(eab.keyID))
    out.push({
      rule: 'acme-eab-invalid',
      field: 'spec.acme.externalAccountBinding.keyID',
      message: 'the key ID your CA gave you is required with externalAccountBinding',
      severity: 'deny',
    });
  out.push(...secretRefFindings(eab.keySecretRef, 'spec.acme.externalAccountBinding.keySecretRef', 'acme-eab-invalid'));
  return out;
}

export function http01Findings(http01: Obj, at: string): Finding[] {
  const types = ['ingress', 'gatewayHTTPRoute'].filter((t) => present(http01[t]));
  if (types.length === 0)
    return [
      {
        rule: 'acme-solver-invalid',
        field: `${at}.http01`,
        message: 'configures no HTTP-01 solver; add ingress: {} (and a class) or remove http01',
        severity: 'deny',
      },
    ];
  if (types.length > 1)
    return [
      { rule: 'acme-solver-invalid', field: `${at}.http01`, value: types, message: 'sets more than one HTTP-01 solver type; keep one', severity: 'deny' },
    ];
  const route = asObj(http01.gatewayHTTPRoute);
  if (route) return gatewayRouteFindings(route, `${at}.http01.gatewayHTTPRoute`);
  const ingress = asObj(http01.ingress);
  if (!ingress) return [];
  const out: Finding[] = [];
  const className = ingress.ingressClassName;
  if (typeof className === 'string') {
    const problem = subdomainProblem(className);
    if (problem)
      out.push({
        rule: 'acme-solver-invalid',
        field: `${at}.http01.ingress.ingressClassName`,
        value: className,
        message: `is not a valid IngressClass name: it ${problem}`,
        severity: 'deny',
      });
  }
  return [...out, ...serviceFindings(ingress, `${at}.http01.ingress`)];
}

/** serviceType and podTemplate, which http01.ingress and http01.gatewayHTTPRoute share. */
function serviceFindings(solver: Obj, at: string): Finding[] {
  const out: Finding[] = [];
  const serviceType = solver.serviceType;
  if (present(serviceType) && !SERVICE_TYPES.includes(serviceType as string)) {
    out.push({
      rule: 'acme-solver-invalid',
      field: `${at}.serviceType`,
      value: serviceType,
      message: 'must be empty, ClusterIP or NodePort',
      severity: 'deny',
    });
  }
  if (present(solver.podTemplate)) {
    out.push({
      rule: 'no-effect',
      field: `${at}.podTemplate`,
      message: 'has no effect: certgate answers HTTP-01 from its shared solver and starts no per-challenge pods, so these pod settings are not used',
      severity: 'warn',
    });
  }
  return out;
}

/** cert-manager's checks of http01.gatewayHTTPRoute: a parentRef names both kind and name, or neither. */
function gatewayRouteFindings(route: Obj, at: string): Finding[] {
  const out = serviceFindings(route, at);
  const refs = Array.isArray(route.parentRefs) ? route.parentRefs : [];
  for (const [i, r] of refs.entries()) {
    const ref = asObj(r) ?? {};
    if (present(ref.kind) && !asStr(ref.name))
      out.push({ rule: 'acme-solver-invalid', field: `${at}.parentRefs[${i}].name`, message: 'is required when kind is set', severity: 'deny' });
    else if (asStr(ref.name) && !present(ref.kind))
      out.push({
        rule: 'acme-solver-invalid',
        field: `${at}.parentRefs[${i}].kind`,
        message: 'is required when name is set (usually Gateway)',
        severity: 'deny',
      });
  }
  return out;
}

/** host[:port] with an IPv4 address, a bracketed IPv6 address or a host name (cert-manager's ValidNameserver). */
function nameserverProblem(nameserver: string): string | undefined {
  const s = nameserver.trim();
  if (s === '') return 'is empty';
  let host: string;
  const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(s);
  if (bracketed) host = bracketed[1];
  else if (s.startsWith('[')) return 'has an unclosed "["';
  else {
    const colons = s.split(':').length - 1;
    if (colons > 1) return 'holds an IPv6 address without brackets; write it as [2001:db8::1]:53';
    host = colons === 1 ? s.slice(0, s.indexOf(':')) : s;
    const port = colons === 1 ? s.slice(s.indexOf(':') + 1) : '';
    if (port !== '' && !/^\d+$/.test(port)) return `has port "${port}", which is not a number`;
  }
  if (host === '') return 'has no host';
  return undefined;
}

export function rfc2136Findings(rfc2136: Obj, at: string): Finding[] {
  const out: Finding[] = [];
  const field = `${at}.dns01.rfc2136`;
  const nameserver = rfc2136.nameserver;
  if (typeof nameserver !== 'string' || nameserver === '') {
    out.push({
      rule: 'acme-solver-invalid',
      field: `${field}.nameserver`,
      message: 'name the DNS server that takes the updates, as host[:port]',
      severity: 'deny',
    });
  } else {
    const problem = nameserverProblem(nameserver);
    if (problem)
      out.push({
        rule: 'acme-solver-invalid',
        field: `${field}.nameserver`,
        value: nameserver,
        message: `must be host:port, the host an IPv4 address, a bracketed IPv6 address or a host name, the port optional; it ${problem}`,
        severity: 'deny',
      });
  }
  const algorithm = rfc2136.tsigAlgorithm;
  if (typeof algorithm === 'string' && algorithm !== '' && !TSIG_ALGORITHMS.includes(algorithm.toUpperCase())) {
    out.push({
      rule: 'acme-solver-invalid',
      field: `${field}.tsigAlgorithm`,
      value: algorithm,
      message: `must be one of ${TSIG_ALGORITHMS.join(', ')}`,
      severity: 'deny',
    });
  }
  const keyName = asStr(rfc2136.tsigKeyName);
  const secretProblems = secretRefFindings(rfc2136.tsigSecretSecretRef, `${field}.tsigSecretSecretRef`, 'acme-solver-invalid');
  if (keyName) out.push(...secretProblems.map((f) => ({ ...f, message: `${f.message}: tsigKeyName needs the TSIG secret` })));
  else if (secretProblems.length === 0)
    out.push({ rule: 'acme-solver-invalid', field: `${field}.tsigKeyName`, message: 'name the TSIG key that tsigSecretSecretRef holds', severity: 'deny' });
  return out;
}

export function caIssuerFindings(ca: Obj): Finding[] {
  return asStr(ca.secretName)
    ? []
    : [
        {
          rule: 'ca-issuer-invalid',
          field: 'spec.ca.secretName',
          message: 'name the Secret that holds the CA certificate and key (tls.crt, tls.key)',
          severity: 'deny',
        },
      ];
}
