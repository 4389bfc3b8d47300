// The issuer annotations that Ingresses and Gateways share (cert-manager.io/issuer, cluster-issuer,
// issuer-kind, issuer-group, kubernetes.io/tls-acme), and the findings about the issuer they name.
import { IngressAnnotations, ISSUER_GROUP } from '../../api/constants.ts';
import type { ClusterView } from '../cluster-view.ts';
import { isStagingServer } from './acme-servers.ts';
import type { Finding } from './ids.ts';
import { acmeHttp01Only, acmeOf, isReady, lookupIssuer, readyMessage, type IssuerRefInput } from './issuer-lookup.ts';
import { isWildcard } from '../../lib/identity-syntax.ts';
import { asStr, metaOf, type Meta } from '../../lib/untrusted.ts';

export interface IssuerRuleOptions {
  readonly productionLabel: { readonly key: string; readonly value: string };
}

/** The issuer the annotations name (cert-manager's ingress-shim and gateway-shim reading), or undefined. */
function issuerFromAnnotations(a: Record<string, string>): (IssuerRefInput & { group: string; field: string }) | undefined {
  const group = a[IngressAnnotations.IssuerGroup] || ISSUER_GROUP;
  if (a[IngressAnnotations.ClusterIssuer]) {
    return { kind: 'ClusterIssuer', name: a[IngressAnnotations.ClusterIssuer], group, field: `metadata.annotations["${IngressAnnotations.ClusterIssuer}"]` };
  }
  if (a[IngressAnnotations.Issuer]) {
    const kind = a[IngressAnnotations.IssuerKind] === 'ClusterIssuer' ? 'ClusterIssuer' : 'Issuer';
    return { kind, name: a[IngressAnnotations.Issuer], group, field: `metadata.annotations["${IngressAnnotations.Issuer}"]` };
  }
  return undefined;
}

/** Whether cert-manager (or certgate) would create Certificates for this Ingress or Gateway. */
export function asksForCertificate(a: Record<string, string>): boolean {
  return Boolean(a[IngressAnnotations.Issuer] || a[IngressAnnotations.ClusterIssuer] || a[IngressAnnotations.TLSACME] === 'true');
}

/**
 * Findings about the issuer the annotations name: both annotations set, not found, not Ready, a
 * wildcard among `hosts` (the names its certificates will hold, each with its field) that an
 * HTTP-01-only ACME issuer cannot issue, a staging endpoint on a production object.
 */
export function issuerFindings(
  kind: 'Ingress' | 'Gateway',
  meta: Meta,
  hosts: ReadonlyArray<{ field: string; host: string }>,
  view: ClusterView,
  opts: IssuerRuleOptions,
): Finding[] {
  const a = meta.annotations;
  const out: Finding[] = [];
  if (a[IngressAnnotations.Issuer] && a[IngressAnnotations.ClusterIssuer]) {
    out.push({
      rule: 'issuer-annotation-conflict',
      field: 'metadata.annotations',
      value: { [IngressAnnotations.Issuer]: a[IngressAnnotations.Issuer], [IngressAnnotations.ClusterIssuer]: a[IngressAnnotations.ClusterIssuer] },
      message: `set only one of ${IngressAnnotations.Issuer} and ${IngressAnnotations.ClusterIssuer}`,
      severity: 'deny',
    });
    return out;
  }
  const ref = issuerFromAnnotations(a);
  if (!ref || ref.group !== ISSUER_GROUP) return out; // external issuers are not ours to check
  const issuer = lookupIssuer(view, meta.namespace, ref);
  if (!issuer) {
    const where = ref.kind === 'Issuer' ? ` in namespace "${meta.namespace}"` : '';
    // A warning, not a denial: GitOps tools (Argo CD waves, Flux) often apply the Ingress before its Issuer.
    out.push({
      rule: 'issuer-not-found',
      field: ref.field,
      value: ref.name,
      message: `no ${ref.kind} named "${ref.name}" exists${where} yet; the certificate waits until it does (check the name if you did not mean to create it later)`,
      severity: 'warn',
    });
    return out;
  }
  if (!isReady(issuer)) {
    const why = readyMessage(issuer);
    out.push({
      rule: 'issuer-not-ready',
      field: ref.field,
      value: ref.name,
      message: `${ref.kind} "${ref.name}" is not Ready${why ? ` (${why})` : ''}; certificates wait until it is`,
      severity: 'warn',
    });
  }
  if (acmeHttp01Only(issuer)) {
    for (const h of hosts) {
      if (isWildcard(h.host)) {
        out.push({
          rule: 'wildcard-needs-dns01',
          field: h.field,
          value: h.host,
          message: `${ref.kind} "${ref.name}" only has HTTP-01 solvers, and ACME CAs issue wildcards only over DNS-01; add a dns01 solver or list the names one by one`,
          severity: 'deny',
        });
      }
    }
  }
  const server = asStr(acmeOf(issuer)?.server);
  if (server && isStagingServer(server) && isProduction(meta, view, opts)) {
    out.push({
      rule: 'staging-issuer-on-production',
      field: ref.field,
      value: ref.name,
      message: `${ref.kind} "${ref.name}" uses the staging endpoint ${server}, whose certificates browsers do not trust, on a production ${kind} (${opts.productionLabel.key}=${opts.productionLabel.value}); use a production issuer`,
      severity: 'warn',
    });
  }
  return out;
}

/** An object is production when it or its namespace carries the production label. */
function isProduction(meta: Meta, view: ClusterView, opts: IssuerRuleOptions): boolean {
  const { key, value } = opts.productionLabel;
  if (meta.labels[key] === value) return true;
  const ns = view.namespace(meta.namespace);
  return ns !== undefined && metaOf(ns).labels[key] === value;
}
