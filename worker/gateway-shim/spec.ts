// Pure translation of an annotated Gateway into the Certificates it asks for, with cert-manager's
// gateway-shim semantics (pkg/controller/certificate-shim/sync.go): one Certificate per distinct
// certificateRefs Secret of its HTTPS and TLS listeners in Terminate mode, covering the hostnames of
// every listener naming that Secret, with the parent-ref annotations that make HTTP-01 attach its
// HTTPRoute to this Gateway. The issuer and the other annotations are read as for Ingresses
// (worker/ingress-shim/spec.ts, annotations.ts); kubernetes.io/tls-acme does not apply to Gateways.
import type { Gateway, Listener } from '../../api/gateway-api.generated.ts';
import { CertificateAnnotations, IngressAnnotations } from '../../api/constants.ts';
import { apiVersionOf, Resources } from '../../api/resources.ts';
import type { IssuerRef } from '../config.ts';
import type { PlannedEvent } from '../ingress-shim/plan.ts';
import { secretNameProblem, shimCertificate, shimCertificateBase, shimIssuer, solverAnnotations, type DesiredCertificates } from '../ingress-shim/spec.ts';

/** Normal Event for a TLS listener the shim leaves out on purpose (cert-manager skips Passthrough silently). */
export const SKIPPED_LISTENER_REASON = 'SkippedListener';

/** Listener protocols that carry TLS (Gateway API's HTTPS and TLS), plus those of --gateway-api-extra-protocols. */
function isTlsProtocol(protocol: string, extraProtocols: readonly string[]): boolean {
  return protocol === 'HTTPS' || protocol === 'TLS' || extraProtocols.includes(protocol);
}

/** cert-manager.io/ignore-tls-listeners: comma-separated listener names, matched exactly. */
function ignoredListeners(annotations: Record<string, string>): Set<string> {
  const value = annotations[IngressAnnotations.IgnoreTLSListeners];
  return new Set(value === undefined ? [] : value.split(',').map((s) => s.trim()));
}

/**
 * Why a TLS listener gets no Certificate, in cert-manager's field-error words
 * (validateGatewayListenerBlock); empty when it is usable. The CRD defaults tls.mode to Terminate
 * and a certificateRef's group to "" and kind to Secret; absent fields are read with those defaults.
 */
export function listenerProblems(listener: Listener, index: number, gatewayNamespace: string): string[] {
  const at = `spec.listeners[${index}]`;
  const out: string[] = [];
  if (!listener.hostname) out.push(`${at}.hostname: Required value: the hostname cannot be empty`);
  const tls = listener.tls;
  if (!tls) return [...out, `${at}.tls: Required value: the TLS block cannot be empty`];
  const refs = tls.certificateRefs ?? [];
  if (refs.length === 0) out.push(`${at}.tls.certificateRef: Required value: listener has no certificateRefs`);
  for (const [i, ref] of refs.entries()) {
    const group = ref.group ?? '';
    const kind = ref.kind ?? 'Secret';
    if (group !== 'core' && group !== '') out.push(`${at}.tls.certificateRef[${i}].group: Unsupported value: "${group}": supported values: "core", ""`);
    if (kind !== 'Secret' && kind !== '') out.push(`${at}.tls.certificateRef[${i}].kind: Unsupported value: "${kind}": supported values: "Secret", ""`);
    if (ref.namespace !== undefined && ref.namespace !== gatewayNamespace) {
      out.push(`${at}.tls.certificateRef[${i}].namespace: Invalid value: "${ref.namespace}": cross-namespace secret references are not allowed in listeners`);
    }
  }
  const mode = tls.mode ?? 'Terminate';
  if (mode !== 'Terminate') out.push(`${at}.tls.mode: Unsupported value: "${mode}": supported values: "Terminate"`);
  return out;
}

/** Go's field.ErrorList.ToAggregate(): one error as it is, several in brackets. */
const aggregate = (errors: string[]) => (errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);

/** The issuer a Gateway asks for; undefined when it has no cert-manager.io/issuer or cluster-issuer annotation. */
export function gatewayIssuer(gateway: Gateway, defaultIssuer?: IssuerRef): IssuerRef | undefined {
  return shimIssuer(gateway.metadata?.annotations ?? {}, defaultIssuer, { tlsAcme: false });
}

/**
 * The Certificates this Gateway asks for, named after their Secret, and the Events saying which
 * listeners were left out and why. Throws IngressConfigError for annotations certgate cannot use.
 */
export function desiredGatewayCertificates(gateway: Gateway, issuer: IssuerRef, opts: { extraProtocols?: readonly string[] } = {}): DesiredCertificates & { notes: PlannedEvent[] } {
  const m = gateway.metadata;
  const annotations = m.annotations ?? {};
  const owner = { apiVersion: apiVersionOf(Resources.Gateway), kind: 'Gateway', name: m.name!, uid: m.uid!, namespace: m.namespace! };
  const http01 = {
    ...solverAnnotations(annotations, m.name!),
    // The HTTP-01 HTTPRoute attaches to this Gateway (read by the Order controller, as cert-manager's).
    [CertificateAnnotations.HTTP01ParentRefKind]: 'Gateway',
    [CertificateAnnotations.HTTP01ParentRefName]: m.name!,
  };
  const base = shimCertificateBase(owner, m, http01, issuer);
  const ignored = ignoredListeners(annotations);
  const hostsBySecret = new Map<string, string[]>();
  const skipped: string[] = [];
  const notes: PlannedEvent[] = [];
  for (const [i, listener] of (gateway.spec?.listeners ?? []).entries()) {
    if (!isTlsProtocol(listener.protocol, opts.extraProtocols ?? [])) continue;
    if (listener.tls?.mode === 'Passthrough') {
      notes.push({ type: 'Normal', reason: SKIPPED_LISTENER_REASON, message: `Skipped listener "${listener.name}" (spec.listeners[${i}]): tls.mode is Passthrough, so the backend terminates TLS with its own certificate` });
      continue;
    }
    if (ignored.has(listener.name)) continue;
    const problems = listenerProblems(listener, i, m.namespace!);
    if (problems.length) {
      skipped.push(`Skipped a listener block: ${aggregate(problems)}`);
      continue;
    }
    for (const ref of listener.tls!.certificateRefs!) {
      const hosts = hostsBySecret.get(ref.name) ?? [];
      hosts.push(listener.hostname!);
      hostsBySecret.set(ref.name, hosts);
    }
  }
  const certificates = [];
  for (const [secretName, hosts] of hostsBySecret) {
    // Named after the Secret, like the Ingress shim: a name the API server refuses is said once, with the fix.
    const badName = secretNameProblem(secretName);
    if (badName) skipped.push(`Skipped a certificateRef: ${badName}`);
    else certificates.push(shimCertificate(base, secretName, hosts));
  }
  return { certificates, skipped, notes };
}
