// Whether a Certificate's Secret needs a new certificate, and why: cert-manager's policy chain,
// as one pure function of (Certificate, Secret, now). The trigger uses every reason; readiness
// treats "Renewing" as still Ready. Also the one failure backoff (--renew-backoff-base/-max).
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { CertificateReasons, ConditionTypes, SecretAnnotations, SecretKeys } from '../../api/constants.ts';
import { renewalTime } from '../../api/defaults.ts';
import {
  certificateMatchesKey,
  diffNames,
  inspectCertificate,
  keyMatchesSpec,
  parseCertificateChain,
  parsePrivateKeyPem,
  type CertificateInfo,
} from '../../lib/pki/index.ts';
import { getCondition } from '../conditions.ts';
import { issuerGroupOf, issuerKindOf, keySpecOf, requestedNames } from './naming.ts';

export interface SecretEvaluation {
  /** Why a new certificate is needed; undefined when the Secret is up to date. */
  reason?: string;
  message?: string;
  /** The stored leaf certificate, when it could be parsed. */
  info?: CertificateInfo;
  /** When the stored certificate is due for renewal. */
  renewalTime?: Date;
}

const decode = (secret: V1Secret, key: string): string | undefined => {
  const v = secret.data?.[key];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
};

export function evaluateSecret(cert: Certificate, secret: V1Secret | undefined, nowMs: number): SecretEvaluation {
  const R = CertificateReasons;
  if (!secret) return { reason: R.DoesNotExist, message: 'Issuing certificate as Secret does not exist' };
  const certPem = decode(secret, SecretKeys.Certificate);
  const keyPem = decode(secret, SecretKeys.PrivateKey);
  if (!certPem || !keyPem) return { reason: R.MissingData, message: 'Issuing certificate as Secret does not contain a certificate and a private key' };
  let key;
  try {
    key = parsePrivateKeyPem(keyPem);
  } catch {
    return { reason: R.InvalidKeyPair, message: 'Issuing certificate as Secret contains an invalid private key' };
  }
  let info: CertificateInfo;
  let leaf;
  try {
    leaf = parseCertificateChain(certPem)[0];
    info = inspectCertificate(leaf);
  } catch (e) {
    return { reason: R.InvalidCertificate, message: `Issuing certificate as Secret contains an invalid certificate: ${(e as Error).message}` };
  }
  let due: Date | undefined;
  try {
    due = renewalTime(info.notBefore, info.notAfter, cert.spec.renewBefore, cert.spec.renewBeforePercentage);
  } catch {
    due = undefined;
  }
  const withInfo = (reason: string, message: string): SecretEvaluation => ({ reason, message, info, renewalTime: due });
  if (!certificateMatchesKey(leaf, key)) return withInfo(R.InvalidKeyPair, 'Issuing certificate as Secret contains a private key that does not match the certificate');
  const names = diffNames(requestedNames(cert), info.names);
  if (names.length) return withInfo(R.SecretMismatch, `Issuing certificate as Secret does not match the Certificate spec: ${names.join('; ')}`);
  const keySpec = keySpecOf(cert);
  if (!keyMatchesSpec(key, keySpec)) return withInfo(R.SecretMismatch, `Issuing certificate as Secret's private key is not ${keySpec.algorithm}${keySpec.size ? ` ${keySpec.size}` : ''} as the Certificate spec asks`);
  const a = secret.metadata?.annotations ?? {};
  const ref = cert.spec.issuerRef;
  if ((a[SecretAnnotations.IssuerName] ?? '') !== ref.name || (a[SecretAnnotations.IssuerKind] ?? 'Issuer') !== issuerKindOf(ref) || (a[SecretAnnotations.IssuerGroup] || 'cert-manager.io') !== issuerGroupOf(ref)) {
    return withInfo(R.IncorrectIssuer, `Issuing certificate as Secret was previously issued by ${a[SecretAnnotations.IssuerKind] ?? 'an unknown issuer'} "${a[SecretAnnotations.IssuerName] ?? ''}"`);
  }
  if (info.notAfter.getTime() <= nowMs) return withInfo(R.Expired, `Issuing certificate as Secret contains an expired certificate (expired at ${info.notAfter.toISOString()})`);
  if (due && due.getTime() <= nowMs) return withInfo(R.Renewing, `Renewing certificate as renewal was scheduled at ${due.toISOString()}`);
  return { info, renewalTime: due };
}

/**
 * Delay after the n-th consecutive failed issuance: base * 2^(n-1), at most max. base and max are
 * --renew-backoff-base and --renew-backoff-max (cert-manager's fixed 1h and 32h by default).
 */
export function failureBackoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Time left before a Certificate whose last issuance failed is tried again: counted from
 * status.lastFailureTime with status.failedIssuanceAttempts; 0 when there was no failure or the
 * spec changed since (a new generation resets the backoff, as in cert-manager).
 */
export function remainingBackoffMs(cert: Certificate, nowMs: number, baseMs: number, maxMs: number): number {
  const attempts = cert.status?.failedIssuanceAttempts ?? 0;
  const last = cert.status?.lastFailureTime ? Date.parse(cert.status.lastFailureTime) : NaN;
  if (!attempts || Number.isNaN(last)) return 0;
  const issuing = getCondition(cert.status?.conditions, ConditionTypes.Issuing);
  if (issuing?.observedGeneration !== undefined && cert.metadata.generation !== undefined && issuing.observedGeneration !== cert.metadata.generation) return 0;
  return Math.max(0, last + failureBackoffMs(attempts, baseMs, maxMs) - nowMs);
}
