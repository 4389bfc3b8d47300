// Deterministic names of the objects the worker creates, so a restart or a second replica finds
// the same CertificateRequest, key Secret, Order, Challenge or solver object instead of creating
// another (the base of crash safety: one Order per CertificateRequest).
import { createHash } from 'node:crypto';
import type { Certificate } from '../api/types.generated.ts';

/** The first n hex digits of the SHA-256 of s: short, stable, label-safe. */
export const shortHash = (s: string, n = 10): string => createHash('sha256').update(s).digest('hex').slice(0, n);

/** `base-suffix` within Kubernetes' 253 characters: base is cut (and stripped of a trailing '-' or '.') to make room. */
function withSuffix(base: string, suffix: string, max = 253): string {
  const room = max - suffix.length - 1;
  return `${base.length > room ? base.slice(0, room).replace(/[-.]+$/, '') : base}-${suffix}`;
}

/** The CertificateRequest for the next revision; a retry after a failure gets its own name so the failed one stays visible. */
export function requestNameFor(cert: Certificate): string {
  const revision = (cert.status?.revision ?? 0) + 1;
  const attempts = cert.status?.failedIssuanceAttempts ?? 0;
  return withSuffix(cert.metadata.name!, attempts > 0 ? `${revision}-retry${attempts}` : `${revision}`);
}

/** The temporary Secret holding the next private key; derived from the Certificate UID. */
export function nextKeySecretNameFor(cert: Certificate): string {
  return withSuffix(cert.metadata.name!, `next-key-${shortHash(cert.metadata.uid ?? cert.metadata.name!, 5)}`);
}

/** The Order for a CertificateRequest: its name plus a hash of what is ordered (cert-manager's scheme). */
export function orderName(crName: string, orderSpecFingerprint: string): string {
  return withSuffix(crName, shortHash(orderSpecFingerprint));
}

/** One Challenge per authorization of an Order. */
export function challengeName(orderName: string, authorizationUrl: string, type: string): string {
  return withSuffix(orderName, shortHash(`${authorizationUrl}\u0000${type}`));
}

/** HTTP-01 solver objects (Service, Ingress) for one Challenge; short enough for Service names (63). */
export function http01SolverName(challengeUid: string, challengeName: string): string {
  return `cm-acme-http-solver-${shortHash(`${challengeUid}/${challengeName}`, 12)}`;
}
