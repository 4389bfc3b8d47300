// Deterministic object names, so a restart or a second replica finds the same Order/Challenge
// instead of creating another (the base of crash safety: one Order per CertificateRequest).
import { createHash } from 'node:crypto';

const hash = (s: string, n = 10) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Kubernetes names are at most 253 characters; keep room for the suffix. */
function withSuffix(base: string, suffix: string, max = 253): string {
  const room = max - suffix.length - 1;
  return `${base.length > room ? base.slice(0, room).replace(/[-.]+$/, '') : base}-${suffix}`;
}

/** The Order for a CertificateRequest: its name plus a hash of what is ordered (cert-manager's scheme). */
export function orderName(crName: string, orderSpecFingerprint: string): string {
  return withSuffix(crName, hash(orderSpecFingerprint));
}

/** One Challenge per authorization of an Order. */
export function challengeName(orderName: string, authorizationUrl: string, type: string): string {
  return withSuffix(orderName, hash(`${authorizationUrl}\u0000${type}`));
}

/** HTTP-01 solver objects (Service, Ingress) for one Challenge; short enough for Service names (63). */
export function http01SolverName(challengeUid: string, challengeName: string): string {
  return `cm-acme-http-solver-${hash(`${challengeUid}/${challengeName}`, 12)}`;
}

export const shortHash = hash;
