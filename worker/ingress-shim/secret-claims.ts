// Two Ingresses asking for a certificate into the same Secret (created at the same moment, both
// admitted before the webhook's cache saw either): the older one gets it (lib/secret-claims.ts,
// the same order the webhook uses), and the other one's tls entry is left out with a Warning that
// names the winner. Without this, neither got a Certificate: each create was refused citing the other.
import type { V1Ingress } from '@kubernetes/client-node';
import { secretWinner, type SecretClaimant } from '../../lib/secret-claims.ts';
import type { IssuerRef } from '../config.ts';
import type { PlannedEvent } from './plan.ts';
import { IngressConfigError, ingressIssuer } from './spec.ts';

const SECRET_NAME_TAKEN_REASON = 'SecretNameTaken';

function claimantOf(ingress: V1Ingress): SecretClaimant {
  const created = ingress.metadata?.creationTimestamp as unknown;
  return { name: ingress.metadata?.name ?? '', created: created instanceof Date ? created.toISOString() : typeof created === 'string' ? created : undefined };
}

/**
 * Whether the Ingress asks for Certificates at all. Bad annotations count as no: that Ingress gets
 * none (planIngress says why on it), so it claims no Secret, and its error must not fail the pass
 * of this Ingress or of its rivals.
 */
function asksForCertificates(ingress: V1Ingress, defaultIssuer?: IssuerRef): boolean {
  try {
    return !!ingressIssuer(ingress, defaultIssuer);
  } catch (e) {
    if (e instanceof IngressConfigError) return false;
    throw e;
  }
}

/** The Ingress without the tls entries whose Secret an older Ingress of its namespace also asks for, and one Warning per entry left out. */
export function withoutLostSecretClaims(
  ingress: V1Ingress,
  namespaceIngresses: readonly V1Ingress[],
  defaultIssuer?: IssuerRef,
): { ingress: V1Ingress; events: PlannedEvent[] } {
  const tls = ingress.spec?.tls ?? [];
  if (tls.length === 0 || !asksForCertificates(ingress, defaultIssuer)) return { ingress, events: [] };
  const self = claimantOf(ingress);
  const rivals = new Map<string, SecretClaimant[]>();
  for (const other of namespaceIngresses) {
    if (other.metadata?.name === self.name || other.metadata?.deletionTimestamp || !asksForCertificates(other, defaultIssuer)) continue;
    for (const t of other.spec?.tls ?? []) {
      if (!t.secretName) continue;
      const list = rivals.get(t.secretName) ?? [];
      list.push(claimantOf(other));
      rivals.set(t.secretName, list);
    }
  }
  const events: PlannedEvent[] = [];
  const kept = tls.filter((t, i) => {
    const others = t.secretName ? rivals.get(t.secretName) : undefined;
    const winner = others && secretWinner([self, ...others]);
    if (!winner || winner === self) return true;
    events.push({
      type: 'Warning',
      reason: SECRET_NAME_TAKEN_REASON,
      message: `spec.tls[${i}].secretName "${t.secretName}" is also requested by Ingress "${winner.name}", which is older and gets the certificate; use another secretName for this Ingress`,
    });
    return false;
  });
  return events.length === 0 ? { ingress, events } : { ingress: { ...ingress, spec: { ...ingress.spec, tls: kept } }, events };
}
