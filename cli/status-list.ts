// `certgate status certificates [-A]`: every Certificate on one screen, the soonest expiry first,
// with what `kubectl get certificates` does not show: when each expires, when it renews, and why
// one is not Ready. Reads only Certificate objects (their status carries notAfter and renewalTime).
import type { Certificate } from '../api/types.generated.ts';
import { ConditionTypes } from '../api/constants.ts';
import { Resources } from '../api/resources.ts';
import type { KubeClient } from '../lib/kube/client.ts';
import { shortDuration, table } from './output.ts';

interface CertificateListEntry {
  namespace: string;
  name: string;
  ready: boolean;
  /** Reason and message of the Ready condition when it is not True. */
  why?: string;
  issuer: string; // Kind/name
  secretName: string;
  notAfter?: string;
  renewalTime?: string;
  /** status.renewalTimeSource: ARIWindow, RenewBefore, RenewBeforePercentage or DefaultFraction. */
  renewalTimeSource?: string;
  issuing: boolean;
}

export async function listCertificates(client: KubeClient, namespace: string | undefined): Promise<CertificateListEntry[]> {
  const { items } = await client.list<Certificate>(Resources.Certificate, { namespace });
  const entries = items.map((c): CertificateListEntry => {
    const conditions = c.status?.conditions ?? [];
    const ready = conditions.find((x) => x.type === ConditionTypes.Ready);
    return {
      namespace: c.metadata.namespace ?? '',
      name: c.metadata.name ?? '',
      ready: ready?.status === 'True',
      why: ready?.status === 'True' ? undefined : ready ? [ready.reason, ready.message].filter(Boolean).join(': ') : 'not processed by the worker yet',
      issuer: `${c.spec.issuerRef.kind || 'Issuer'}/${c.spec.issuerRef.name}`,
      secretName: c.spec.secretName,
      notAfter: c.status?.notAfter,
      renewalTime: c.status?.renewalTime,
      renewalTimeSource: c.status?.renewalTimeSource,
      issuing: conditions.some((x) => x.type === ConditionTypes.Issuing && x.status === 'True'),
    };
  });
  // Soonest expiry first; never-issued ones (no notAfter) on top, they need a look most.
  const expiry = (e: CertificateListEntry) => (e.notAfter ? Date.parse(e.notAfter) : -Infinity);
  return entries.sort((a, b) => expiry(a) - expiry(b) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** "in 59d", "in 3h", "2d ago": relative times a person can scan. */
function relative(iso: string | undefined, nowMs: number): string | undefined {
  if (!iso) return undefined;
  const seconds = (Date.parse(iso) - nowMs) / 1000;
  return seconds >= 0 ? `in ${shortDuration(seconds)}` : `${shortDuration(-seconds)} ago`;
}

export function renderCertificateList(entries: CertificateListEntry[], nowMs: number, withNamespace: boolean): string {
  if (entries.length === 0) return 'No Certificates found.';
  const headers = [...(withNamespace ? ['NAMESPACE'] : []), 'NAME', 'READY', 'EXPIRES', 'RENEWS', 'ISSUER', 'SECRET', 'STATUS'];
  const rows = entries.map((e) => {
    const expired = e.notAfter !== undefined && Date.parse(e.notAfter) <= nowMs;
    const status = e.issuing ? `Issuing${e.why ? ` (${e.why})` : ''}` : e.ready ? 'Up to date' : e.why;
    return [
      ...(withNamespace ? [e.namespace] : []),
      e.name,
      e.ready ? 'True' : 'False',
      e.notAfter ? `${relative(e.notAfter, nowMs)}${expired ? ' EXPIRED' : ''}` : undefined,
      e.renewalTime ? `${relative(e.renewalTime, nowMs)}${e.renewalTimeSource === 'ARIWindow' ? ' (ARI)' : ''}` : undefined,
      e.issuer,
      e.secretName,
      status,
    ];
  });
  return table(headers, rows);
}
