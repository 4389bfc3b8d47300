// Pure translation of an annotated Gateway into the Certificates it asks for, with cert-manager's
// gateway-shim semantics (pkg/controller/certificate-shim/sync.go): one Certificate per distinct
// certificateRefs Secret of its HTTPS and TLS listeners in Terminate mode, covering the hostnames of
// every listener naming that Secret, with the parent-ref annotations that make HTTP-01 attach its
// HTTPRoute to this Gateway. The issuer and the other annotations are read as for Ingresses
// (worker/ingress-shim/spec.ts, annotations.ts); kubernetes.io/tls-acme does not apply to Gateways.
import type { Gateway } from '../../api/gateway-api.generated.ts';
import { CertificateAnnotations } from '../../api/constants.ts';
import { apiVersionOf, Resources } from '../../api/resources.ts';
import type { IssuerRef } from '../config.ts';
import type { PlannedEvent } from '../ingress-shim/plan.ts';
import { gatewayListeners, IGNORE_TLS_LISTENERS_ANNOTATION, isSecretRef, TLS_PROTOCOLS, type ListenerRef } from '../../lib/gateway-listeners.ts';
import { secretNameProblem, shimCertificate, shimCertificateBase, shimIssuer, solverAnnotations, type DesiredCertificates } from '../ingress-shim/spec.ts';

/** Normal Event for a TLS listener the shim leaves out on purpose (cert-manager skips Passthrough silently). */
const SKIPPED_LISTENER_REASON = 'SkippedListener';

/** cert-manager.io/ignore-tls-listeners: comma-separated listener names, matched exactly. */
function ignoredListeners(annotations: Record<string, string>): Set<string> {
  const value = annotations[IGNORE_TLS_LISTENERS_ANNOTATION];
  return new Set(value === undefined ? [] : value.split(',').map((s) => s.trim()));
}

/**
 * Why a TLS listener gets no Certificate, in cert-manager's field-error words, every problem
 * (validateGatewayListenerBlock; the webhook states the first one its own way through
 * lib/gateway-listeners.ts). Empty when it is usable. Absent fields are read with the CRD's
 * defaults (tls.mode Terminate, a certificateRef's group "" and kind Secret).
 */
export function listenerProblems(listener: ListenerRef, gatewayNamespace: string): string[] {
  const at = `spec.listeners[${listener.index}]`;
  const out: string[] = [];
  if (!listener.hostname) out.push(`${at}.hostname: Required value: the hostname cannot be empty`);
  if (!listener.hasTls) return [...out, `${at}.tls: Required value: the TLS block cannot be empty`];
  if (listener.certificateRefs.length === 0) out.push(`${at}.tls.certificateRef: Required value: listener has no certificateRefs`);
  for (const ref of listener.certificateRefs) {
    const field = `${at}.tls.certificateRef[${ref.index}]`;
    if (!isSecretRef({ group: ref.group, kind: 'Secret' })) out.push(`${field}.group: Unsupported value: "${ref.group}": supported values: "core", ""`);
    if (!isSecretRef({ group: '', kind: ref.kind })) out.push(`${field}.kind: Unsupported value: "${ref.kind}": supported values: "Secret", ""`);
    if (ref.namespace !== undefined && ref.namespace !== gatewayNamespace) {
      out.push(`${field}.namespace: Invalid value: "${ref.namespace}": cross-namespace secret references are not allowed in listeners`);
    }
  }
  if (listener.mode !== 'Terminate') out.push(`${at}.tls.mode: Unsupported value: "${listener.mode}": supported values: "Terminate"`);
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
export function desiredGatewayCertificates(
  gateway: Gateway,
  issuer: IssuerRef,
  opts: { extraProtocols?: readonly string[] } = {},
): DesiredCertificates & { notes: PlannedEvent[] } {
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
  for (const listener of gatewayListeners(gateway)) {
    if (!TLS_PROTOCOLS.has(listener.protocol) && !opts.extraProtocols?.includes(listener.protocol)) continue;
    if (listener.mode === 'Passthrough') {
      notes.push({
        type: 'Normal',
        reason: SKIPPED_LISTENER_REASON,
        message: `Skipped listener "${listener.name}" (spec.listeners[${listener.index}]): tls.mode is Passthrough, so the backend terminates TLS with its own certificate`,
      });
      continue;
    }
    if (ignored.has(listener.name)) continue;
    const problems = listenerProblems(listener, m.namespace!);
    if (problems.length) {
      skipped.push(`Skipped a listener block: ${aggregate(problems)}`);
      continue;
    }
    for (const ref of listener.certificateRefs) {
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
