// Which of several Ingresses that ask for a certificate into the same Secret gets it: the oldest
// (creationTimestamp), then the first by name. Deterministic, so the webhook and the worker's
// ingress shim agree, and two Ingresses created at the same moment do not both lose.
export interface SecretClaimant {
  readonly name: string;
  readonly created?: string; // metadata.creationTimestamp (RFC 3339), absent on an object not stored yet
}

/** Orders claimants oldest first; one without a creationTimestamp (not stored yet) comes last. */
export function compareClaimants(a: SecretClaimant, b: SecretClaimant): number {
  const ta = a.created ? Date.parse(a.created) : Infinity;
  const tb = b.created ? Date.parse(b.created) : Infinity;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The claimant that gets the Secret. */
export function secretWinner<T extends SecretClaimant>(claimants: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of claimants) if (!best || compareClaimants(c, best) < 0) best = c;
  return best;
}
