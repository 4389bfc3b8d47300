// `certgate renew NAME... | --all`: trigger re-issuance now, the way cmctl does it. It adds the
// Certificate condition Issuing=True with reason ManuallyTriggered through the status subresource;
// the worker honours it (and resets its failure backoff). --wait follows each Certificate until it
// is Ready with a newer revision, or the issuance fails.
import type { Certificate, Condition } from '../api/types.generated.ts';
import { CertificateReasons, ConditionTypes } from '../api/constants.ts';
import { Resources } from '../api/resources.ts';
import { isConflict, type KubeClient } from '../lib/kube/client.ts';
import { parseCertificateChain } from '../lib/pki/index.ts';
import { decodeBase64, serialOf } from './certinfo.ts';
import { CliError } from './io.ts';

interface RenewTarget {
  namespace: string;
  name: string;
}

export interface RenewOutcome {
  namespace: string;
  name: string;
  /** triggered: condition added; already-issuing: an issuance was in progress, nothing changed. */
  action: 'triggered' | 'already-issuing';
  previousRevision?: number;
  previousSerial?: string;
  /** With --wait: the end state. */
  result?: 'ready' | 'failed' | 'timeout';
  revision?: number;
  serial?: string;
  message?: string;
}

const MANUAL_TRIGGER_MESSAGE = 'Certificate re-issuance manually triggered';

/** Certificates named on the command line, or every one (matching -l/--selector) in a namespace or all namespaces. */
export async function resolveTargets(
  client: KubeClient,
  names: string[],
  opts: { all: boolean; namespace: string; allNamespaces: boolean; selector?: string },
): Promise<RenewTarget[]> {
  const chosen = [names.length && 'Certificate names', opts.all && '--all', opts.selector && '-l/--selector'].filter(Boolean);
  if (chosen.length > 1) throw new CliError(`give one of Certificate names, --all or -l/--selector, not both (got ${chosen.join(' and ')})`);
  if (!chosen.length) throw new CliError('name at least one Certificate, or use --all or -l/--selector');
  if (opts.allNamespaces && names.length) throw new CliError('-A/--all-namespaces needs --all or -l/--selector');
  if (names.length) return names.map((name) => ({ namespace: opts.namespace, name }));
  const list = await client.list<Certificate>(Resources.Certificate, {
    namespace: opts.allNamespaces ? undefined : opts.namespace,
    labelSelector: opts.selector,
  });
  return list.items.map((c) => ({ namespace: c.metadata.namespace!, name: c.metadata.name! }));
}

function isIssuing(cert: Certificate): boolean {
  return (cert.status?.conditions ?? []).some((c) => c.type === ConditionTypes.Issuing && c.status === 'True');
}

/** Adds Issuing=True/ManuallyTriggered; retries on a write conflict with the worker. */
export async function triggerRenewal(
  client: KubeClient,
  target: RenewTarget,
  nowMs: number,
  serialOf: (c: Certificate) => Promise<string | undefined>,
): Promise<RenewOutcome> {
  for (let attempt = 0; ; attempt++) {
    const cert = await client.get<Certificate>(Resources.Certificate, target.namespace, target.name);
    if (!cert) throw new CliError(`certificate "${target.name}" not found in namespace "${target.namespace}"`);
    const base: RenewOutcome = { ...target, action: 'triggered', previousRevision: cert.status?.revision, previousSerial: await serialOf(cert) };
    if (isIssuing(cert)) return { ...base, action: 'already-issuing' };
    const condition: Condition = {
      type: ConditionTypes.Issuing,
      status: 'True',
      reason: CertificateReasons.ManuallyTriggered,
      message: MANUAL_TRIGGER_MESSAGE,
      lastTransitionTime: new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z'),
      observedGeneration: cert.metadata.generation,
    };
    const conditions = (cert.status?.conditions ?? []).filter((c) => c.type !== ConditionTypes.Issuing);
    const updated: Certificate = { ...cert, status: { ...cert.status, conditions: [...conditions, condition] } };
    try {
      await client.replaceStatus(Resources.Certificate, updated);
      return base;
    } catch (e) {
      if (isConflict(e) && attempt < 5) continue;
      throw e;
    }
  }
}

interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
  now(): number;
  sleep?(ms: number): Promise<void>;
}

/**
 * Follows a triggered Certificate: ready when Ready=True with a revision above the one seen before
 * the trigger and no issuance in progress; failed when the issuance is marked failed after the trigger.
 */
export async function waitForRenewal(
  client: KubeClient,
  o: RenewOutcome,
  opts: WaitOptions,
  serialOf: (c: Certificate) => Promise<string | undefined>,
): Promise<RenewOutcome> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = opts.now();
  const deadline = started + opts.timeoutMs;
  const before = o.previousRevision ?? 0;
  for (;;) {
    const cert = await client.get<Certificate>(Resources.Certificate, o.namespace, o.name);
    if (!cert) return { ...o, result: 'failed', message: 'the Certificate was deleted' };
    const conds = cert.status?.conditions ?? [];
    const ready = conds.find((c) => c.type === ConditionTypes.Ready);
    const issuing = conds.find((c) => c.type === ConditionTypes.Issuing);
    const revision = cert.status?.revision ?? 0;
    if (revision > before && ready?.status === 'True' && issuing?.status !== 'True') {
      return { ...o, result: 'ready', revision, serial: await serialOf(cert), message: ready.message };
    }
    // cert-manager marks a failed attempt with Issuing=False/Failed and lastFailureTime; only count
    // marks made after the trigger (timestamps have one-second resolution).
    const since = Math.floor(started / 1000) * 1000;
    const failedAt = Date.parse(cert.status?.lastFailureTime ?? '') || 0;
    const issuingFailedAt = issuing?.status === 'False' && issuing.reason === CertificateReasons.Failed ? Date.parse(issuing.lastTransitionTime ?? '') || 0 : 0;
    if (failedAt >= since || issuingFailedAt >= since) {
      return { ...o, result: 'failed', revision, message: issuing?.message ?? ready?.message ?? 'issuance failed' };
    }
    if (opts.now() >= deadline) return { ...o, result: 'timeout', revision, message: ready?.message ?? issuing?.message };
    await sleep(opts.pollMs ?? 500);
  }
}

/** Serial number of the certificate currently in the Certificate's Secret, if any. */
export async function secretSerial(client: KubeClient, cert: Certificate): Promise<string | undefined> {
  const secret = await client.get<any>(Resources.Secret, cert.metadata.namespace, cert.spec.secretName);
  try {
    return serialOf(parseCertificateChain(decodeBase64(secret?.data?.['tls.crt']))[0]!);
  } catch {
    return undefined;
  }
}
