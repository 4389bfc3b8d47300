// Validation rules for gateway.networking.k8s.io/v1 Gateway: the listener TLS mistakes that leave
// a Gateway without a working certificate, found at apply time. Which listeners get a certificate
// follows cert-manager's gateway-shim (lib/gateway-listeners.ts). Pure: (gateway, view, options) -> findings.
import { IngressAnnotations } from '../../api/constants.ts';
import { GATEWAY_API_GROUP } from '../../api/resources.ts';
import type { ClusterView } from '../cluster-view.ts';
import type { SecretWriter } from '../secret-index.ts';
import type { Finding } from './ids.ts';
import { asksForCertificate, issuerFindings, type IssuerRuleOptions } from './issuer-annotations.ts';
import {
  certificateListeners,
  gatewayCertificatePlan,
  isSecretRef,
  listenerSkipReason,
  type GatewaySecretRequest,
  type ListenerRef,
} from '../../lib/gateway-listeners.ts';
import { isWildcard } from '../../lib/identity-syntax.ts';
import { asArr, asObj, asStr, metaOf, specOf, type Meta } from '../../lib/untrusted.ts';

type GatewayRuleOptions = IssuerRuleOptions;

const refField = (l: ListenerRef, i: number) => `spec.listeners[${l.index}].tls.certificateRefs[${i}]`;

export function validateGateway(gateway: unknown, view: ClusterView, opts: GatewayRuleOptions): Finding[] {
  const meta = metaOf(gateway);
  const wantsCert = asksForCertificate(meta.annotations);
  const listeners = certificateListeners(gateway);
  const findings: Finding[] = [];

  for (const l of listeners) {
    if (l.certificateRefs.length === 0 && !wantsCert) findings.push(noCertificate(l));
    findings.push(...crossNamespaceFindings(meta, l, view));
  }

  if (wantsCert) {
    // Listeners the shim skips (as cert-manager's gateway-shim does): the others get their certificates.
    for (const l of listeners) {
      const skip = listenerSkipReason(l, meta.namespace);
      if (skip) findings.push(skippedListener(skip));
    }
    const plan = gatewayCertificatePlan(gateway);
    const byIndex = new Map(listeners.map((l) => [l.index, l]));
    findings.push(...secretConflicts(meta, byIndex, plan.secrets, view));
    const issued = new Set(plan.secrets.flatMap((s) => s.listeners));
    const hosts: Array<{ field: string; host: string }> = [];
    for (const l of listeners) if (l.hostname && issued.has(l.index)) hosts.push({ field: `spec.listeners[${l.index}].hostname`, host: l.hostname });
    findings.push(...issuerFindings('Gateway', meta, hosts, view, opts));
  } else {
    // Someone else writes the Secrets: their certificates must cover the listeners' hostnames.
    for (const l of listeners) {
      if (!l.hostname) continue;
      for (const r of l.certificateRefs) {
        if (!r.name || !isSecretRef(r) || (r.namespace && r.namespace !== meta.namespace)) continue;
        const writers = view.secretWriters(meta.namespace, r.name).filter((w) => !(w.kind === 'Gateway' && w.name === meta.name));
        const uncovered = hostNotCovered(l, r.name, writers);
        if (uncovered) findings.push(uncovered);
      }
    }
  }
  return findings;
}

function noCertificate(l: ListenerRef): Finding {
  return {
    rule: 'listener-certificate-missing',
    field: `spec.listeners[${l.index}].tls.certificateRefs`,
    value: l.name,
    message: `this ${l.protocol} listener has no certificateRefs and the Gateway has no ${IngressAnnotations.ClusterIssuer} or ${IngressAnnotations.Issuer} annotation, so nothing gives it a certificate and the Gateway cannot terminate TLS; reference a Secret (e.g. {name: <gateway>-tls}) and add an issuer annotation to have it issued`,
    severity: 'deny',
  };
}

/** A listener the shim gives no certificate, under an issuer annotation: the rule id that carries the meaning over from Ingress. */
function skippedListener(skip: { field: string; reason: string }): Finding {
  const rule = skip.field.endsWith('.hostname')
    ? 'tls-hosts-missing'
    : skip.field.endsWith('.tls') || skip.field.endsWith('.certificateRefs')
      ? 'tls-secret-name-missing'
      : 'listener-not-issued';
  return {
    rule,
    field: skip.field,
    message: `${skip.reason}, so no certificate is made for this listener (the others get theirs); ${SKIP_FIX[rule]}`,
    severity: 'warn',
  };
}

const SKIP_FIX: Record<string, string> = {
  'tls-hosts-missing': 'set the hostname the certificate should cover',
  'tls-secret-name-missing': 'add tls.certificateRefs: [{name: <gateway>-tls}] to store it in',
  'listener-not-issued': "reference a Secret in the Gateway's own namespace, or manage this certificate yourself",
};

/** A certificateRef to another namespace needs a ReferenceGrant there, or the Gateway controller refuses it. */
function crossNamespaceFindings(meta: Meta, l: ListenerRef, view: ClusterView): Finding[] {
  const out: Finding[] = [];
  for (const r of l.certificateRefs) {
    if (!r.namespace || r.namespace === meta.namespace || !isSecretRef(r)) continue;
    const grants = view.referenceGrants(r.namespace);
    if (grants === undefined || grants.some((g) => grantAllows(g, meta.namespace, r.name))) continue;
    out.push({
      rule: 'certificate-ref-not-permitted',
      field: `${refField(l, r.index)}.namespace`,
      value: r.namespace,
      message: `no ReferenceGrant in namespace "${r.namespace}" lets Gateways from "${meta.namespace}" use Secret "${r.name}", so the Gateway controller refuses the reference (RefNotPermitted) and the listener has no certificate; create one there (from: [{group: ${GATEWAY_API_GROUP}, kind: Gateway, namespace: ${meta.namespace}}], to: [{group: "", kind: Secret, name: ${r.name}}]) or use a Secret in this namespace`,
      severity: 'deny',
    });
  }
  return out;
}

/** Whether a ReferenceGrant lets Gateways of fromNamespace refer to Secret secretName in its namespace. */
function grantAllows(grant: unknown, fromNamespace: string, secretName: string): boolean {
  const spec = specOf(grant);
  const from = asArr(spec.from).some((f) => {
    const o = asObj(f);
    return asStr(o?.group) === GATEWAY_API_GROUP && asStr(o?.kind) === 'Gateway' && asStr(o?.namespace) === fromNamespace;
  });
  if (!from) return false;
  return asArr(spec.to).some((t) => {
    const o = asObj(t);
    const group = asStr(o?.group) ?? '';
    const name = asStr(o?.name);
    return (group === '' || group === 'core') && asStr(o?.kind) === 'Secret' && (!name || name === secretName);
  });
}

/** Secrets this Gateway asks certificates for that another Gateway, Ingress or Certificate writes. */
function secretConflicts(meta: Meta, listeners: ReadonlyMap<number, ListenerRef>, secrets: ReadonlyArray<GatewaySecretRequest>, view: ClusterView): Finding[] {
  const out: Finding[] = [];
  for (const s of secrets) {
    const first = listeners.get(s.listeners[0]!)!;
    const ref = first.certificateRefs.find((r) => r.name === s.secretName)!;
    const field = `${refField(first, ref.index)}.name`;
    // Not a conflict: this Gateway itself, and the Certificate its shim made.
    const others = view
      .secretWriters(meta.namespace, s.secretName)
      .filter((w) => !(w.kind === 'Gateway' && w.name === meta.name) && !w.ownerGateways.includes(meta.name));
    const other = others.find((w) => w.kind !== 'Certificate') ?? others[0];
    if (!other) continue;
    if (other.kind !== 'Certificate') {
      out.push({
        rule: 'secret-name-conflict',
        field,
        value: s.secretName,
        message: `${other.kind} "${other.name}" also requests a certificate into this Secret, and the two would replace each other's certificate forever; reference a different Secret`,
        severity: 'deny',
      });
      continue;
    }
    // As for Ingresses: the shim leaves a Certificate it does not own alone, which keeps the Secret.
    out.push({
      rule: 'secret-name-conflict',
      field,
      value: s.secretName,
      message: `Certificate "${other.name}" already writes this Secret and is not this Gateway's; it is left alone and keeps the Secret, so these listeners get no certificate of their own; reference a different Secret or drop the issuer annotation`,
      severity: 'warn',
    });
    for (const index of s.listeners) {
      const l = listeners.get(index)!;
      const uncovered = hostNotCovered(l, s.secretName, [other]);
      if (uncovered) out.push(uncovered);
    }
  }
  return out;
}

/** The finding when writers put certificates into secretName and none covers the listener's hostname. */
function hostNotCovered(l: ListenerRef, secretName: string, writers: ReadonlyArray<SecretWriter>): Finding | undefined {
  if (!l.hostname || writers.length === 0 || writers.some((w) => covers(w.names, l.hostname!))) return undefined;
  const w = writers[0]!;
  const names = w.names.length > 5 ? `${w.names.slice(0, 5).join(', ')} and ${w.names.length - 5} more` : w.names.join(', ') || 'no DNS names';
  return {
    rule: 'listener-host-not-in-certificate',
    field: `spec.listeners[${l.index}].hostname`,
    value: l.hostname,
    message: `Secret "${secretName}" gets its certificate from ${w.kind} "${w.name}", for ${names}, which does not cover this hostname, so clients get a certificate for another name; add the hostname to that ${w.kind}${w.kind === 'Certificate' ? "'s dnsNames" : ''}, or reference a Secret whose certificate covers it`,
    severity: 'deny',
  };
}

/** Whether a certificate for names serves host: the same name, or a wildcard one label up (a wildcard host needs the same wildcard). */
function covers(names: ReadonlyArray<string>, host: string): boolean {
  if (names.includes(host)) return true;
  const dot = host.indexOf('.');
  return !isWildcard(host) && dot > 0 && names.includes(`*${host.slice(dot)}`);
}
