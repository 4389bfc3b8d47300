// Validation rules for networking.k8s.io/v1 Ingress: the mistakes that make cert-manager's
// ingress-shim fail later, silently, or loop. Pure: (ingress, view, options) -> findings.
import { IngressAnnotations } from '../../api/constants.ts';
import type { ClusterView } from '../cluster-view.ts';
import { FindingAt, type Finding } from './ids.ts';
import { asksForCertificate, issuerFindings, type IssuerRuleOptions } from './issuer-annotations.ts';
import { isIP } from 'node:net';
import { byteLength, dnsNameProblem, isWildcard, MAX_COMMON_NAME_BYTES } from '../../lib/identity-syntax.ts';
import { asArr, asObj, asStr, metaOf, specOf, type Meta } from '../../lib/untrusted.ts';

type IngressRuleOptions = IssuerRuleOptions;

interface TlsHost {
  entry: number; // index in spec.tls
  index: number; // index in that entry's hosts
  host: string;
}

interface TlsEntry {
  index: number;
  /** DNS names; IP addresses are apart (cert-manager puts them in the Certificate's ipAddresses). */
  hosts: TlsHost[];
  hasIps: boolean;
  secretName?: string;
}

// Only strings made of hex digits, dots and colons can be IPs; skip isIP's long regex for the rest.
const mayBeIp = (h: string) => /^[0-9a-fA-F.:]+$/.test(h) && isIP(h) !== 0;

// Plain loops: these run on every Ingress request, and flatMap allocates an array per element.
function tlsEntries(spec: Record<string, unknown>): TlsEntry[] {
  const out: TlsEntry[] = [];
  const tls = asArr(spec.tls);
  for (let index = 0; index < tls.length; index++) {
    const o = asObj(tls[index]) ?? {};
    const rawHosts = asArr(o.hosts);
    const hosts: TlsEntry['hosts'] = [];
    let hasIps = false;
    for (let i = 0; i < rawHosts.length; i++) {
      const h = rawHosts[i];
      if (typeof h !== 'string') continue;
      if (mayBeIp(h)) hasIps = true;
      else hosts.push({ entry: index, index: i, host: h });
    }
    out.push({ index, hosts, hasIps, secretName: asStr(o.secretName) || undefined });
  }
  return out;
}

function ruleHosts(spec: Record<string, unknown>): Array<{ index: number; host: string }> {
  const out: Array<{ index: number; host: string }> = [];
  const rules = asArr(spec.rules);
  for (let index = 0; index < rules.length; index++) {
    const host = asStr(asObj(rules[index])?.host);
    if (host) out.push({ index, host });
  }
  return out;
}

/**
 * Rule hosts, and the parent domains (".example.com") of the plain ones for wildcard matches:
 * only when some tls host is a wildcard, since each parent is a new string to hash.
 */
function hostIndex(hosts: ReadonlyArray<{ host: string }>, withParents: boolean): { exact: Set<string>; parents: Set<string> } {
  const exact = new Set<string>();
  const parents = new Set<string>();
  for (const { host } of hosts) {
    exact.add(host);
    if (!withParents) continue;
    const dot = host.indexOf('.');
    if (dot > 0 && !isWildcard(host)) parents.add(host.slice(dot));
  }
  return { exact, parents };
}

/** Whether a tls host serves some rule: the same name, or a wildcard covering one (as covers() decides). */
function servesHost(rules: { exact: Set<string>; parents: Set<string> }, tlsHost: string): boolean {
  return rules.exact.has(tlsHost) || (isWildcard(tlsHost) && rules.parents.has(tlsHost.slice(1)));
}

/** Whether one of the tls names covers host: the same name, or "*.<parent>" (as covers() decides). */
function isCovered(tlsHosts: ReadonlyMap<string, unknown>, anyWildcard: boolean, host: string): boolean {
  if (tlsHosts.has(host)) return true;
  if (!anyWildcard) return false;
  const dot = host.indexOf('.');
  return dot > 0 && !isWildcard(host) && tlsHosts.has(`*${host.slice(dot)}`);
}

const tlsHostField = (h: TlsHost) => `spec.tls[${h.entry}].hosts[${h.index}]`;
const ruleHostField = (r: { index: number }) => `spec.rules[${r.index}].host`;

// The findings an Ingress can have once per host, hence FindingAt (field paths built when shown).
const TLS_HOST_NOT_IN_RULES =
  'no rule in spec.rules has this host, so the certificate covers a name this Ingress does not serve; add a rule for it or remove it from the tls block (check for a typo)';
const RULE_HOST_NOT_IN_TLS =
  'this Ingress has a tls block but none of its entries lists this host, so it is served without a valid certificate; add it to spec.tls[].hosts';

export function validateIngress(ingress: unknown, view: ClusterView, opts: IngressRuleOptions): Finding[] {
  const meta = metaOf(ingress);
  const spec = specOf(ingress);
  const tls = tlsEntries(spec);
  const rules = ruleHosts(spec);
  const findings: Finding[] = [];
  const wantsCert = asksForCertificate(meta.annotations);

  // Host syntax: each rule host, then the tls hosts no rule names (a name in both is checked, and reported, once).
  for (const r of rules) {
    const problem = dnsNameProblem(r.host);
    if (problem)
      findings.push({ rule: 'invalid-dns-name', field: ruleHostField(r), value: r.host, message: `${problem}; use a valid DNS name`, severity: 'deny' });
  }

  // tls hosts that no rule serves, and rule hosts that a tls-enabled Ingress leaves on plain HTTP.
  // A defaultBackend serves every host, and a tls entry without hosts covers every host (the
  // controller's default certificate): cert-manager accepts both shapes, and so does certgate.
  // Set lookups, not a scan of one list per entry of the other: an Ingress may hold tens of
  // thousands of hosts, and every other admission request waits while this one is checked.
  // Each tls host at its first listing, for the coverage checks and the duplicate check below.
  const firstListing = new Map<string, TlsHost>();
  const duplicates: TlsHost[] = [];
  const wildcards: TlsHost[] = [];
  for (const t of tls) {
    for (const h of t.hosts) {
      if (firstListing.has(h.host)) duplicates.push(h);
      else firstListing.set(h.host, h);
      if (isWildcard(h.host)) wildcards.push(h);
    }
  }
  const anyWildcard = wildcards.length > 0;
  const servesEveryHost = asObj(spec.defaultBackend) !== undefined;
  const ruleIndex = hostIndex(rules, anyWildcard);
  for (const t of tls) {
    for (const h of t.hosts) {
      const problem = ruleIndex.exact.has(h.host) ? undefined : dnsNameProblem(h.host);
      if (problem)
        findings.push({ rule: 'invalid-dns-name', field: tlsHostField(h), value: h.host, message: `${problem}; use a valid DNS name`, severity: 'deny' });
    }
  }
  for (const t of servesEveryHost ? [] : tls) {
    for (const h of t.hosts) {
      if (!servesHost(ruleIndex, h.host)) {
        findings.push(new FindingAt('tls-host-not-in-rules', h, tlsHostField, h.host, TLS_HOST_NOT_IN_RULES, 'deny'));
      }
    }
  }
  if (tls.length > 0 && tls.every((t) => t.hosts.length > 0 || t.hasIps)) {
    const reported = new Set<string>();
    for (const r of rules) {
      if (isCovered(firstListing, anyWildcard, r.host) || reported.has(r.host)) continue;
      reported.add(r.host);
      findings.push(new FindingAt('rule-host-not-in-tls', r, ruleHostField, r.host, RULE_HOST_NOT_IN_TLS, 'deny'));
    }
  }

  // Duplicate hosts across the tls entries: two certificates (or one listed twice) for one name.
  for (const h of duplicates) {
    findings.push({
      rule: 'duplicate-host',
      field: tlsHostField(h),
      value: h.host,
      message: `already listed at ${tlsHostField(firstListing.get(h.host)!)}; list each host once`,
      severity: 'deny',
    });
  }

  if (wantsCert) {
    // cert-manager skips such entries and issues the others; so does certgate, with a warning.
    for (const t of tls) {
      if (!t.secretName) {
        findings.push({
          rule: 'tls-secret-name-missing',
          field: `spec.tls[${t.index}].secretName`,
          message:
            'an issuer annotation asks for a certificate, but this tls entry has no secretName to store it in, so it gets none (the other entries do); set secretName (e.g. <ingress-name>-tls)',
          severity: 'warn',
        });
      } else if (t.hosts.length === 0 && !t.hasIps) {
        findings.push({
          rule: 'tls-hosts-missing',
          field: `spec.tls[${t.index}].hosts`,
          message:
            'this tls entry lists no hosts, so no certificate is made for it (the other entries get theirs); list the hosts the certificate should cover',
          severity: 'warn',
        });
      }
    }
    findings.push(...commonNameFindings(meta, tls), ...secretNameConflicts(meta, tls, view));
  }

  // Of the names the certificates will hold, issuerFindings looks only at the wildcards.
  findings.push(
    ...issuerFindings(
      'Ingress',
      meta,
      wildcards.map((h) => ({ field: tlsHostField(h), host: h.host })),
      view,
      opts,
    ),
  );
  return findings;
}

function commonNameFindings(meta: Meta, tls: TlsEntry[]): Finding[] {
  const cn = meta.annotations[IngressAnnotations.CommonName];
  if (cn !== undefined) {
    return byteLength(cn) > MAX_COMMON_NAME_BYTES
      ? [
          {
            rule: 'common-name-too-long',
            field: `metadata.annotations["${IngressAnnotations.CommonName}"]`,
            value: cn,
            message: `is ${byteLength(cn)} bytes; a commonName holds at most ${MAX_COMMON_NAME_BYTES} (RFC 5280), use a shorter name`,
            severity: 'deny',
          },
        ]
      : [];
  }
  const out: Finding[] = [];
  for (const t of tls) {
    const first = t.hosts[0];
    if (first && byteLength(first.host) > MAX_COMMON_NAME_BYTES) {
      out.push({
        rule: 'common-name-too-long',
        field: `spec.tls[${t.index}].hosts[${first.index}]`,
        value: first.host,
        message: `the first host becomes the certificate's commonName, which holds at most ${MAX_COMMON_NAME_BYTES} bytes (this one has ${byteLength(first.host)}); list a shorter host first or set the ${IngressAnnotations.CommonName} annotation`,
        severity: 'deny',
      });
    }
  }
  return out;
}

/** Two writers of one Secret re-issue it against each other forever (cert-manager's runaway loop). */
function secretNameConflicts(meta: Meta, tls: TlsEntry[], view: ClusterView): Finding[] {
  const out: Finding[] = [];
  for (const t of tls) {
    if (!t.secretName) continue;
    const field = `spec.tls[${t.index}].secretName`;
    // Not a conflict: this Ingress itself, and the Certificate ingress-shim made for it.
    const others = view
      .secretWriters(meta.namespace, t.secretName)
      .filter((w) => !(w.kind === 'Ingress' && w.name === meta.name) && !w.ownerIngresses.includes(meta.name));
    const other = others.find((w) => w.kind !== 'Certificate') ?? others[0];
    if (other && other.kind !== 'Certificate') {
      out.push({
        rule: 'secret-name-conflict',
        field,
        value: t.secretName,
        message: `${other.kind} "${other.name}" also requests a certificate into this Secret, and the two would replace each other's certificate forever; use a different secretName`,
        severity: 'deny',
      });
    } else if (other) {
      // cert-manager stores such an Ingress and leaves the Certificate alone; so does certgate, with a warning.
      out.push({
        rule: 'secret-name-conflict',
        field,
        value: t.secretName,
        message: `Certificate "${other.name}" already writes this Secret and is not this Ingress's; it is left alone and keeps the Secret, so this entry gets no certificate of its own; use a different secretName or drop the issuer annotation`,
        severity: 'warn',
      });
    }
  }
  return out;
}
