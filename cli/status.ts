// `certgate status certificate NAME`: one screen that answers "why is this not Ready?".
// Reads the Certificate, its Secret, the issuer, the newest CertificateRequest owned by it, that
// request's Order and the Order's Challenges, and the Certificate's last Events.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Certificate, CertificateRenewalInfo, CertificateRequest, Challenge, Condition, Order } from '../api/types.generated.ts';
import { SHORT_LIVED_MAX_MS } from '../api/defaults.ts';
import { ConditionTypes, CertificateRequestAnnotations, SecretKeys } from '../api/constants.ts';
import { Resources } from '../api/resources.ts';
import type { KubeClient } from '../lib/kube/client.ts';
import { parseCertificateChain } from '../lib/pki/index.ts';
import { decodeBase64, summarize, type CertificateSummary } from './certinfo.ts';
import { inspectTlsData } from './inspect.ts';
import { CliError } from './io.ts';
import { age, indent, table } from './output.ts';

interface ConditionView {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
interface EventView {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastSeen?: string;
  object: string;
}

interface CertificateStatusView {
  name: string;
  namespace: string;
  ready: boolean;
  createdAt?: string;
  dnsNames: string[];
  ipAddresses: string[];
  commonName?: string;
  conditions: ConditionView[];
  notBefore?: string;
  notAfter?: string;
  renewalTime?: string;
  /** Which rule set renewalTime, in words (from status.renewalTimeSource and the spec). */
  renewalFrom?: string;
  /** The CA's renewal information (ARI), when it gave any for the stored certificate. */
  renewalInfo?: CertificateRenewalInfo;
  revision?: number;
  failedIssuanceAttempts?: number;
  lastFailureTime?: string;
  issuer: { name: string; kind: string; group: string; found: boolean; ready?: ConditionView };
  secret: { name: string; found: boolean; type?: string; certificate?: CertificateSummary; chainLength?: number; error?: string; problems: string[] };
  certificateRequest?: { name: string; revision?: string; conditions: ConditionView[]; failureTime?: string };
  order?: { name: string; state?: string; reason?: string; url?: string; failureTime?: string };
  challenges: Array<{
    name: string;
    dnsName: string;
    type: string;
    wildcard: boolean;
    state?: string;
    presented?: boolean;
    processing?: boolean;
    reason?: string;
  }>;
  events: EventView[];
}

const view = (c: Condition): ConditionView => ({
  type: c.type,
  status: c.status,
  reason: c.reason,
  message: c.message,
  lastTransitionTime: c.lastTransitionTime,
});
const ownedBy = (obj: KubernetesObject, owner: KubernetesObject): boolean =>
  !!owner.metadata?.uid && (obj.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.metadata!.uid);
const created = (o: KubernetesObject): number => Date.parse(String(o.metadata?.creationTimestamp ?? 0)) || 0;
const newest = <T extends KubernetesObject>(items: T[]): T | undefined => [...items].sort((a, b) => created(b) - created(a))[0];

export async function gatherCertificateStatus(client: KubeClient, namespace: string, name: string, nowMs: number = Date.now()): Promise<CertificateStatusView> {
  const cert = await client.get<Certificate>(Resources.Certificate, namespace, name);
  if (!cert) throw new CliError(`certificate "${name}" not found in namespace "${namespace}"`);
  const st = cert.status ?? {};
  const conditions = (st.conditions ?? []).map(view);
  const ref = cert.spec.issuerRef;
  const issuerKind = ref.kind || 'Issuer';
  const out: CertificateStatusView = {
    name,
    namespace,
    ready: conditions.some((c) => c.type === ConditionTypes.Ready && c.status === 'True'),
    createdAt: cert.metadata.creationTimestamp ? new Date(cert.metadata.creationTimestamp).toISOString() : undefined,
    dnsNames: cert.spec.dnsNames ?? [],
    ipAddresses: cert.spec.ipAddresses ?? [],
    commonName: cert.spec.commonName,
    conditions,
    notBefore: st.notBefore,
    notAfter: st.notAfter,
    renewalTime: st.renewalTime,
    renewalFrom: describeRenewalSource(cert),
    renewalInfo: st.renewalInfo,
    revision: st.revision,
    failedIssuanceAttempts: st.failedIssuanceAttempts,
    lastFailureTime: st.lastFailureTime,
    issuer: { name: ref.name, kind: issuerKind, group: ref.group || 'cert-manager.io', found: false },
    secret: { name: cert.spec.secretName, found: false, problems: [] },
    challenges: [],
    events: [],
  };

  const [issuer, secret, requests, events] = await Promise.all([
    client
      .get<any>(issuerKind === 'ClusterIssuer' ? Resources.ClusterIssuer : Resources.Issuer, issuerKind === 'ClusterIssuer' ? undefined : namespace, ref.name)
      .catch(() => undefined),
    client.get<any>(Resources.Secret, namespace, cert.spec.secretName),
    client.list<CertificateRequest>(Resources.CertificateRequest, { namespace }),
    client.list<any>(Resources.Event, { namespace, fieldSelector: `involvedObject.name=${name}` }).catch(() => ({ items: [] })),
  ]);

  if (issuer) {
    const ready = (issuer.status?.conditions ?? []).find((c: Condition) => c.type === ConditionTypes.Ready);
    out.issuer = { ...out.issuer, found: true, ready: ready ? view(ready) : undefined };
  }

  if (secret) {
    out.secret.found = true;
    out.secret.type = secret.type;
    // The same checks as `inspect secret`: a key that does not match or a broken chain explains a Ready=False.
    out.secret.problems = inspectTlsData(secret.data ?? {}, nowMs).problems;
    try {
      const chain = parseCertificateChain(decodeBase64(secret.data?.[SecretKeys.Certificate]));
      out.secret.certificate = summarize(chain[0]!);
      out.secret.chainLength = chain.length;
    } catch (e) {
      out.secret.error = `${SecretKeys.Certificate}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  // The active request is the newest revision owned by this Certificate: the one in flight, or the
  // one that issued the current certificate.
  const revisionOf = (cr: CertificateRequest) => Number(cr.metadata.annotations?.[CertificateRequestAnnotations.CertificateRevision] ?? 0);
  const owned = requests.items.filter((cr) => ownedBy(cr, cert)).sort((a, b) => revisionOf(b) - revisionOf(a) || created(b) - created(a));
  const cr = owned[0];
  if (cr) {
    out.certificateRequest = {
      name: cr.metadata.name!,
      revision: cr.metadata.annotations?.[CertificateRequestAnnotations.CertificateRevision],
      conditions: (cr.status?.conditions ?? []).map(view),
      failureTime: cr.status?.failureTime,
    };
    const orders = await client.list<Order>(Resources.Order, { namespace });
    const order = newest(orders.items.filter((o) => ownedBy(o, cr)));
    if (order) {
      out.order = {
        name: order.metadata.name!,
        state: order.status?.state,
        reason: order.status?.reason,
        url: order.status?.url,
        failureTime: order.status?.failureTime,
      };
      const challenges = await client.list<Challenge>(Resources.Challenge, { namespace });
      out.challenges = challenges.items
        .filter((c) => ownedBy(c, order))
        .map((c) => ({
          name: c.metadata.name!,
          dnsName: c.spec.dnsName,
          type: c.spec.type,
          wildcard: !!c.spec.wildcard,
          state: c.status?.state,
          presented: c.status?.presented,
          processing: c.status?.processing,
          reason: c.status?.reason,
        }));
    }
  }

  const lastSeen = (e: any): string | undefined => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  out.events = events.items
    .filter((e: any) => e.involvedObject?.kind === 'Certificate' && e.involvedObject?.name === name)
    .sort((a: any, b: any) => (Date.parse(lastSeen(a) ?? '') || 0) - (Date.parse(lastSeen(b) ?? '') || 0))
    .slice(-10)
    .map((e: any) => ({
      type: e.type,
      reason: e.reason,
      message: e.message,
      count: e.count,
      lastSeen: lastSeen(e),
      object: `${e.involvedObject.kind}/${e.involvedObject.name}`,
    }));
  return out;
}

/** Where status.renewalTime comes from, in the words of the README's order of precedence. */
export function describeRenewalSource(cert: Certificate): string | undefined {
  const st = cert.status ?? {};
  switch (st.renewalTimeSource) {
    case 'ARIWindow':
      return `a random time inside the window the CA suggests (ARI): ${st.renewalInfo?.suggestedWindowStart} to ${st.renewalInfo?.suggestedWindowEnd}`;
    case 'RenewBefore':
      return `spec.renewBefore (${cert.spec.renewBefore} before expiry)`;
    case 'RenewBeforePercentage':
      return `spec.renewBeforePercentage (${cert.spec.renewBeforePercentage}% of the lifetime before expiry)`;
    case 'DefaultFraction': {
      const lifetime = Date.parse(st.notAfter ?? '') - Date.parse(st.notBefore ?? '');
      return lifetime <= SHORT_LIVED_MAX_MS
        ? 'default: when half of the lifetime is left (short-lived, 10 days or less)'
        : 'default: when a third of the lifetime is left';
    }
    default:
      return undefined;
  }
}

function renewalInfoLines(s: CertificateStatusView): string[] {
  const ri = s.renewalInfo;
  if (!ri) return [];
  return [
    ...(ri.suggestedWindowStart ? [`  ARI Window:   ${ri.suggestedWindowStart} to ${ri.suggestedWindowEnd}`] : []),
    ...(ri.explanationURL ? [`  ARI Explanation: ${ri.explanationURL}`] : []),
    ...(ri.message ? [`  ARI Error:    ${ri.message}`] : []),
    ...(ri.nextCheckTime ? [`  ARI Next Check: ${ri.nextCheckTime}`] : []),
  ];
}

function conditionLine(c: ConditionView): string {
  return `${c.type}: ${c.status}${c.reason ? `, Reason: ${c.reason}` : ''}${c.message ? `, Message: ${c.message}` : ''}`;
}

export function renderCertificateStatus(s: CertificateStatusView, nowMs: number): string {
  const lines: string[] = [];
  lines.push(`Name:        ${s.name}`, `Namespace:   ${s.namespace}`, `Created at:  ${s.createdAt ?? '<unknown>'}`);
  lines.push(`Ready:       ${s.ready ? 'True' : 'False'}`);
  lines.push('Conditions:');
  lines.push(s.conditions.length ? indent(s.conditions.map(conditionLine).join('\n')) : '  <none>: the worker has not processed this Certificate yet');
  if (s.commonName) lines.push(`Common Name: ${s.commonName}`);
  if (s.dnsNames.length) lines.push('DNS Names:', ...s.dnsNames.map((n) => `  - ${n}`));
  if (s.ipAddresses.length) lines.push('IP Addresses:', ...s.ipAddresses.map((n) => `  - ${n}`));
  if (s.revision !== undefined) lines.push(`Revision:    ${s.revision}`);
  if (s.failedIssuanceAttempts) lines.push(`Failed issuance attempts: ${s.failedIssuanceAttempts} (last failure ${s.lastFailureTime ?? '<unknown>'})`);

  lines.push('Issuer:');
  lines.push(`  Name: ${s.issuer.name}, Kind: ${s.issuer.kind}, Group: ${s.issuer.group}`);
  if (!s.issuer.found) lines.push(`  Not found: no ${s.issuer.kind} named "${s.issuer.name}"`);
  else if (s.issuer.ready) lines.push(`  ${conditionLine(s.issuer.ready)}`);

  lines.push('Secret:');
  lines.push(`  Name: ${s.secret.name}`);
  if (!s.secret.found) lines.push('  Not found: the Secret does not exist yet');
  else if (s.secret.error) lines.push(`  Error: ${s.secret.error}`);
  else if (s.secret.certificate) {
    const c = s.secret.certificate;
    lines.push(
      `  Subject:      ${c.subject || '<empty>'}`,
      `  DNS Names:    ${c.dnsNames.join(', ') || '<none>'}`,
      ...(c.ipAddresses.length ? [`  IP Addresses: ${c.ipAddresses.join(', ')}`] : []),
      `  Issuer:       ${c.issuer}`,
      `  Serial:       ${c.serialNumber}`,
      `  Not Before:   ${c.notBefore}`,
      `  Not After:    ${c.notAfter}${Date.parse(c.notAfter) < nowMs ? '  (EXPIRED)' : ''}`,
      `  Renewal Time: ${s.renewalTime ?? '<not scheduled>'}`,
      ...(s.renewalFrom ? [`  Renewal From: ${s.renewalFrom}`] : []),
      ...renewalInfoLines(s),
    );
  }
  if (s.secret.found && s.secret.problems.length) lines.push('  Problems:', ...s.secret.problems.map((p) => `    - ${p}`));

  if (!s.certificateRequest) lines.push('CertificateRequest: <none>');
  else {
    const cr = s.certificateRequest;
    lines.push('CertificateRequest:', `  Name: ${cr.name}, Revision: ${cr.revision ?? '<none>'}`);
    lines.push(cr.conditions.length ? indent(cr.conditions.map(conditionLine).join('\n')) : '  Conditions: <none>');
    if (cr.failureTime) lines.push(`  Failure Time: ${cr.failureTime}`);
  }

  if (s.order) {
    const o = s.order;
    lines.push('Order:', `  Name: ${o.name}, State: ${o.state ?? '<none>'}`);
    if (o.reason) lines.push(`  Reason: ${o.reason}`);
    if (o.url) lines.push(`  URL: ${o.url}`);
    if (o.failureTime) lines.push(`  Failure Time: ${o.failureTime}`);
  }
  if (s.challenges.length) {
    lines.push('Challenges:');
    for (const c of s.challenges) {
      lines.push(
        `  - Name: ${c.name}, Type: ${c.type}, Domain: ${c.wildcard ? '*.' : ''}${c.dnsName}, State: ${c.state ?? '<none>'}, Presented: ${c.presented ?? false}, Processing: ${c.processing ?? false}`,
      );
      if (c.reason) lines.push(`    Reason: ${c.reason}`);
    }
  }

  lines.push('Events:');
  lines.push(
    s.events.length
      ? indent(
          table(
            ['LAST SEEN', 'TYPE', 'REASON', 'MESSAGE'],
            s.events.map((e) => [age(e.lastSeen, nowMs), e.type, e.reason, `${e.message ?? ''}${e.count && e.count > 1 ? ` (x${e.count})` : ''}`]),
          ),
        )
      : '  <none>',
  );
  return lines.join('\n');
}
