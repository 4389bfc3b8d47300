// Whether a Certificate's Secret needs a new certificate, and why: cert-manager's policy chain,
// as one pure function of (Certificate, Secret, now, the current revision's CertificateRequest).
// The trigger uses every reason; readiness treats "Renewing" as still Ready. Also when to renew
// (ARI window, renewBefore, default fraction) and the one failure backoff (--renew-backoff-base/-max,
// capped by the time left). Deliberately absent: cert-manager's "the Secret's key is not the one the
// current CertificateRequest was made with" (a valid pair put there by `certgate import` or by hand
// stays until its renewal time).
import type { X509Certificate } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate, CertificateRequest, CertificateStatus } from '../../api/types.generated.ts';
import { CertificateReasons, ConditionTypes, SecretAnnotations, SecretKeys } from '../../api/constants.ts';
import { renewalPlan } from '../../api/defaults.ts';
import { ariCertId, pointInWindow } from '../../lib/acme/ari.ts';
import {
  certificateMatchesKey,
  diffNames,
  inspectCertificate,
  keyMatchesSpec,
  parseCertificateChain,
  parsePrivateKeyPem,
  type CertificateInfo,
} from '../../lib/pki/index.ts';
import { RecentValues } from '../../lib/recent-values.ts';
import { getCondition } from '../conditions.ts';
import { keySpecOf, requestedNames } from './spec-fields.ts';
import { requestMismatches } from './request-match.ts';
import { issuerGroupOf } from '../issuer-ref.ts';

interface SecretEvaluation {
  /** Why a new certificate is needed; undefined when the Secret is up to date. */
  reason?: string;
  message?: string;
  /** The stored leaf certificate, when it could be parsed. */
  info?: CertificateInfo;
  /** When the stored certificate is due for renewal. */
  renewalTime?: Date;
  /** Which rule set renewalTime (status.renewalTimeSource). */
  renewalTimeSource?: RenewalTimeSource;
  /** Why the spec's renewal rule was set aside for the default one (an invalid renewBeforePercentage or renewBefore). */
  renewalRuleIgnored?: string;
}

type RenewalTimeSource = NonNullable<CertificateStatus['renewalTimeSource']>;

/** ARI id of a certificate; undefined when it has none (no authority key identifier). */
export function ariIdOf(leaf: X509Certificate): string | undefined {
  try {
    return ariCertId(leaf);
  } catch {
    return undefined;
  }
}

/**
 * When to renew the stored certificate, in this order of precedence:
 * 1. the CA's ARI window (status.renewalInfo, for this very certificate): a random point inside it,
 *    unless renewBefore or renewBeforePercentage asks for an earlier time;
 * 2. renewBeforePercentage, or renewBefore when shorter than the lifetime;
 * 3. when a third of the lifetime is left (half for short-lived certificates of 10 days or less).
 */
export function decideRenewalTime(
  cert: Certificate,
  info: Pick<CertificateInfo, 'notBefore' | 'notAfter'>,
  leafAriId: string | undefined,
): { time: Date; source: RenewalTimeSource } {
  const plan = renewalPlan(info.notBefore, info.notAfter, cert.spec.renewBefore, cert.spec.renewBeforePercentage);
  const ari = cert.status?.renewalInfo;
  const start = ari?.suggestedWindowStart ? new Date(ari.suggestedWindowStart) : undefined;
  const end = ari?.suggestedWindowEnd ? new Date(ari.suggestedWindowEnd) : undefined;
  if (!leafAriId || ari?.certID !== leafAriId || !start || !end || !(start.getTime() < end.getTime())) return plan;
  const inWindow = pointInWindow(leafAriId, start, end);
  if (plan.source !== 'DefaultFraction' && plan.time.getTime() < inWindow.getTime()) return plan;
  return { time: inWindow, source: 'ARIWindow' };
}

const decode = (secret: V1Secret, key: string): string | undefined => {
  const v = secret.data?.[key];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
};

/**
 * spec.renewal.policy: Disabled (cert-manager v1, CertificateRenewalPolicyDisabled): no renewal
 * time, never renewed by time, not even once expired (readiness still reports Expired); re-issued
 * only when the Secret is missing or unusable, the spec changes or on `certgate renew`.
 */
export function renewalDisabled(cert: Certificate): boolean {
  return cert.spec.renewal?.policy === 'Disabled';
}

/**
 * Why the trigger issues, if it does: the evaluation's reason, except the expiry of a Certificate
 * whose renewal is Disabled (cert-manager's trigger chain has no expiry check of its own, and its
 * renewal check is off for Disabled).
 */
export function issuanceReason(cert: Certificate, evaluation: SecretEvaluation): string | undefined {
  if (evaluation.reason === CertificateReasons.Expired && renewalDisabled(cert)) return undefined;
  return evaluation.reason;
}

/** What a Secret's tls.crt and tls.key parse to: a pure function of its data. */
interface ParsedPair {
  key?: ReturnType<typeof parsePrivateKeyPem>;
  leaf?: ReturnType<typeof parseCertificateChain>[number];
  info?: CertificateInfo;
  /** An unreadable key, or the certificate's error message. */
  error?: { key: true } | { certificate: string };
  keyMatches?: boolean;
}

// Parsing a certificate and key costs milliseconds, and the trigger and readiness controllers
// evaluate the same Secret on every pass: memoised per `data` object (the cache replaces it with
// each new version of the Secret) for the most recently evaluated Secrets only: a parsed pair per
// cached Secret would hold about 8 KiB of native memory for every Certificate. 256: many times the
// Secrets of the issuances in flight (--max-concurrent-issuances, 16 by default).
const parsedPairs = new RecentValues<object, ParsedPair>(256);

function parsePair(data: object, certPem: string, keyPem: string): ParsedPair {
  return parsedPairs.get(data, () => {
    const parsed: ParsedPair = {};
    try {
      parsed.key = parsePrivateKeyPem(keyPem);
      parsed.leaf = parseCertificateChain(certPem)[0];
      parsed.info = inspectCertificate(parsed.leaf);
      parsed.keyMatches = certificateMatchesKey(parsed.leaf, parsed.key);
    } catch (e) {
      parsed.error = parsed.key ? { certificate: (e as Error).message } : { key: true };
    }
    return parsed;
  });
}

/**
 * The renewal time; when the spec's renewBeforePercentage or renewBefore cannot be used (0 or 100
 * percent, a duration that does not parse: the webhook refuses them, but it may have been off),
 * the default rule instead and why. Never no renewal time: that would replace the certificate
 * only after it expired.
 */
function renewalTimeOrDefault(
  cert: Certificate,
  info: Pick<CertificateInfo, 'notBefore' | 'notAfter'>,
  ariId: string | undefined,
): { time?: Date; source?: RenewalTimeSource; ignored?: string } {
  try {
    return decideRenewalTime(cert, info, ariId);
  } catch (e) {
    const fallback = { ...cert, spec: { ...cert.spec, renewBefore: undefined, renewBeforePercentage: undefined } };
    try {
      return { ...decideRenewalTime(fallback, info, ariId), ignored: (e as Error).message };
    } catch {
      return {}; // notBefore/notAfter themselves are unusable; the certificate is re-issued anyway
    }
  }
}

/**
 * `currentRequest` is the CertificateRequest of status.revision (undefined when it was pruned or
 * never existed, e.g. an imported certificate): a spec change that asks for another certificate
 * (subject, usages, duration, isCA, ...: request-match.ts) re-issues through it. Without it only
 * the names and the key are compared, with the stored certificate, as cert-manager does: issuers
 * may leave out or override the subject and usages, so comparing those would re-issue forever.
 */
export function evaluateSecret(cert: Certificate, secret: V1Secret | undefined, nowMs: number, currentRequest?: CertificateRequest): SecretEvaluation {
  const R = CertificateReasons;
  if (!secret) return { reason: R.DoesNotExist, message: 'Issuing certificate as Secret does not exist' };
  const certPem = decode(secret, SecretKeys.Certificate);
  const keyPem = decode(secret, SecretKeys.PrivateKey);
  if (!certPem || !keyPem) return { reason: R.MissingData, message: 'Issuing certificate as Secret does not contain a certificate and a private key' };
  const parsed = parsePair(secret.data!, certPem, keyPem);
  if (parsed.error && 'key' in parsed.error) return { reason: R.InvalidKeyPair, message: 'Issuing certificate as Secret contains an invalid private key' };
  if (parsed.error)
    return { reason: R.InvalidCertificate, message: `Issuing certificate as Secret contains an invalid certificate: ${parsed.error.certificate}` };
  const key = parsed.key!;
  const leaf = parsed.leaf!;
  const info = parsed.info!;
  // The ARI id (a parse of the whole certificate) matters only when the CA's window is known.
  const { time: due, source, ignored } = renewalTimeOrDefault(cert, info, cert.status?.renewalInfo?.certID ? ariIdOf(leaf) : undefined);
  const withInfo = (reason: string, message: string): SecretEvaluation => ({
    reason,
    message,
    info,
    renewalTime: due,
    renewalTimeSource: source,
    renewalRuleIgnored: ignored,
  });
  if (!parsed.keyMatches) return withInfo(R.InvalidKeyPair, 'Issuing certificate as Secret contains a private key that does not match the certificate');
  // cert-manager's order: issuer annotations, certificate-name annotation, key spec, then names and the request.
  const a = secret.metadata?.annotations ?? {};
  const ref = cert.spec.issuerRef;
  if (
    (a[SecretAnnotations.IssuerName] ?? '') !== ref.name ||
    (a[SecretAnnotations.IssuerKind] || 'Issuer') !== (ref.kind || 'Issuer') ||
    (a[SecretAnnotations.IssuerGroup] || 'cert-manager.io') !== issuerGroupOf(ref)
  ) {
    return withInfo(
      R.IncorrectIssuer,
      `Issuing certificate as Secret was previously issued by "${a[SecretAnnotations.IssuerKind] || 'Issuer'}.${a[SecretAnnotations.IssuerGroup] || 'cert-manager.io'}/${a[SecretAnnotations.IssuerName] ?? ''}"`,
    );
  }
  const issuedFor = a[SecretAnnotations.CertificateName];
  if (issuedFor !== undefined && issuedFor !== cert.metadata.name) {
    return withInfo(
      R.IncorrectCertificate,
      `Secret was issued for "${issuedFor}". If this message is not transient, you might have two conflicting Certificates pointing to the same secret.`,
    );
  }
  const keySpec = keySpecOf(cert);
  if (!keyMatchesSpec(key, keySpec))
    return withInfo(
      R.SecretMismatch,
      `Issuing certificate as Secret's private key is not ${keySpec.algorithm}${keySpec.size ? ` ${keySpec.size}` : ''} as the Certificate spec asks`,
    );
  const names = diffNames(requestedNames(cert), info.names);
  if (names.length) return withInfo(R.SecretMismatch, `Issuing certificate as Secret does not match the Certificate spec: ${names.join('; ')}`);
  // A request whose CSR cannot be read is compared on its other fields only (cert-manager then compares none).
  const changed = currentRequest ? requestMismatches(cert, currentRequest).fields : [];
  if (changed.length) return withInfo(R.RequestChanged, `Fields on existing CertificateRequest resource not up to date: [${changed.join(' ')}]`);
  if (info.notAfter.getTime() <= nowMs) {
    const message = `Issuing certificate as Secret contains an expired certificate (expired at ${info.notAfter.toISOString()})`;
    return renewalDisabled(cert) ? { reason: R.Expired, message, info } : withInfo(R.Expired, message);
  }
  if (renewalDisabled(cert)) return { info };
  if (due && due.getTime() <= nowMs)
    return withInfo(
      R.Renewing,
      `Renewing certificate as renewal was scheduled at ${due.toISOString()}${source === 'ARIWindow' ? " inside the CA's suggested renewal window" : ''}`,
    );
  return { info, renewalTime: due, renewalTimeSource: source, renewalRuleIgnored: ignored };
}

/**
 * Delay after the n-th consecutive failed issuance: base * 2^(n-1), at most max. base and max are
 * --renew-backoff-base and --renew-backoff-max (cert-manager's fixed 1h and 32h by default).
 */
export function failureBackoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * The backoff cap for a certificate with `remainingMs` of validity left: --renew-backoff-max, but
 * at most an eighth of the time left (at least a minute), so a 6-day certificate renewed with 3
 * days left retries within 9 hours rather than 32. Without a valid certificate: the plain max.
 */
export function backoffCapMs(maxMs: number, remainingMs: number | undefined): number {
  if (remainingMs === undefined || remainingMs <= 0) return maxMs;
  return Math.min(maxMs, Math.max(60_000, remainingMs / 8));
}

/**
 * The latest moment an RFC 3339 status time can stand for: written in whole seconds (as
 * cert-manager and certgate write lastFailureTime), it is up to 999 ms before the event, so a
 * backoff counted from the stamp itself could end up to a second early.
 */
function latestMomentOf(time: string): number {
  const ms = Date.parse(time);
  return /\.\d+(Z|[+-]\d\d:\d\d)$/i.test(time) ? ms : ms + 999;
}

/**
 * Time left before a Certificate whose last issuance failed is tried again: counted from
 * status.lastFailureTime (the end of its second) with status.failedIssuanceAttempts; 0 when there was no failure or the
 * spec changed since (a new generation resets the backoff, as in cert-manager). With the stored
 * certificate's notAfter, the backoff is capped by backoffCapMs.
 */
export function remainingBackoffMs(cert: Certificate, nowMs: number, baseMs: number, maxMs: number, notAfter?: Date): number {
  const attempts = cert.status?.failedIssuanceAttempts ?? 0;
  const last = cert.status?.lastFailureTime ? latestMomentOf(cert.status.lastFailureTime) : NaN;
  if (!attempts || Number.isNaN(last)) return 0;
  const issuing = getCondition(cert.status?.conditions, ConditionTypes.Issuing);
  if (issuing?.observedGeneration !== undefined && cert.metadata.generation !== undefined && issuing.observedGeneration !== cert.metadata.generation) return 0;
  const cap = backoffCapMs(maxMs, notAfter ? notAfter.getTime() - last : undefined);
  return Math.max(0, last + failureBackoffMs(attempts, Math.min(baseMs, cap), cap) - nowMs);
}
