// cert-manager's defaults for a Certificate, as pure functions. The one rule: controllers resolve
// every default with these functions when they need a value, whatever the stored spec holds. The
// admission webhook also writes the private key and usage defaults into the stored spec
// (webhook/mutate/certificate-defaults.ts), so `kubectl get -o yaml` shows the key that is used; a
// Certificate stored without them (webhook off, created before it ran) gets the same values here.
// Duration, renewBefore and revisionHistoryLimit stay unset in the stored spec.
import type { CertificatePrivateKey, CertificateSpec, KeyUsage } from './types.generated.ts';
import { parseDuration } from './duration.ts';

export const DEFAULT_DURATION = '2160h'; // 90 days
export const DEFAULT_DURATION_MS = 2160 * 3_600_000;
/** Shortest spec.duration cert-manager accepts. */
export const MIN_DURATION_MS = 3_600_000;
/** Shortest spec.renewBefore cert-manager accepts. */
export const MIN_RENEW_BEFORE_MS = 5 * 60_000;
export const DEFAULT_USAGES: readonly KeyUsage[] = Object.freeze(['digital signature', 'key encipherment']);
const DEFAULT_REVISION_HISTORY_LIMIT = 1;
const DEFAULT_RSA_SIZE = 2048;
const DEFAULT_ECDSA_SIZE = 256;

type PrivateKeyAlgorithm = NonNullable<CertificatePrivateKey['algorithm']>;

/** A private key spec with every field decided. size is undefined for Ed25519, which has no size. */
interface ResolvedPrivateKey {
  algorithm: PrivateKeyAlgorithm;
  size: number | undefined;
  encoding: NonNullable<CertificatePrivateKey['encoding']>;
  rotationPolicy: NonNullable<CertificatePrivateKey['rotationPolicy']>;
}

/** The Certificate spec with cert-manager's defaults filled in. */
type DefaultedCertificateSpec = CertificateSpec & {
  duration: string;
  privateKey: ResolvedPrivateKey;
  usages: KeyUsage[];
  revisionHistoryLimit: number;
};

/** privateKey defaults: RSA, 2048 bits for RSA and 256 for ECDSA, PKCS1, rotationPolicy Always (cert-manager >= 1.18). */
export function defaultPrivateKey(pk: CertificatePrivateKey = {}): ResolvedPrivateKey {
  const algorithm = pk.algorithm ?? 'RSA';
  const defaultSize = algorithm === 'RSA' ? DEFAULT_RSA_SIZE : algorithm === 'ECDSA' ? DEFAULT_ECDSA_SIZE : undefined;
  return {
    algorithm,
    // cert-manager treats size 0 as unset; Ed25519 ignores size.
    size: algorithm === 'Ed25519' ? undefined : pk.size || defaultSize,
    encoding: pk.encoding ?? 'PKCS1',
    rotationPolicy: pk.rotationPolicy ?? 'Always',
  };
}

/** Returns a copy of spec with duration, privateKey, usages and revisionHistoryLimit defaulted; the input is not modified. */
export function defaultCertificateSpec(spec: CertificateSpec): DefaultedCertificateSpec {
  return {
    ...structuredClone(spec),
    duration: spec.duration ?? DEFAULT_DURATION,
    privateKey: defaultPrivateKey(spec.privateKey),
    usages: spec.usages && spec.usages.length > 0 ? [...spec.usages] : [...DEFAULT_USAGES],
    revisionHistoryLimit: spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT,
  };
}

/** Lifetime to request, in ms: spec.duration or 90 days. Throws DurationParseError on a bad string. */
export function certificateDurationMs(spec: Pick<CertificateSpec, 'duration'>): number {
  return spec.duration === undefined ? DEFAULT_DURATION_MS : parseDuration(spec.duration);
}

/** Lifetimes up to this are short-lived (Let's Encrypt's `shortlived` profile gives 6 days; the CA/B Forum's limit was 10). */
export const SHORT_LIVED_MAX_MS = 10 * 24 * 3600 * 1000;

/** Where a renewal time comes from (status.renewalTimeSource); ARIWindow is decided by the worker. */
type RenewBeforeSource = 'RenewBeforePercentage' | 'RenewBefore' | 'DefaultFraction';

/**
 * How long before notAfter to renew, in ms, for a certificate whose real lifetime is lifetimeMs,
 * and which rule decided it. cert-manager's rules: renewBeforePercentage p gives p% of the
 * lifetime; renewBefore is used only when shorter than the lifetime; otherwise (and by default)
 * one third of the lifetime, or half of it for a short-lived certificate (10 days or less), so a
 * 6-day certificate renews after 3 days and a failed renewal has 3 days to succeed.
 */
function renewBeforeRule(lifetimeMs: number, renewBefore?: string, renewBeforePercentage?: number): { ms: number; source: RenewBeforeSource } {
  if (renewBeforePercentage !== undefined) {
    if (!Number.isInteger(renewBeforePercentage) || renewBeforePercentage <= 0 || renewBeforePercentage >= 100) {
      throw new RangeError(`renewBeforePercentage must be an integer between 1 and 99, got ${renewBeforePercentage}`);
    }
    return { ms: Math.floor((lifetimeMs * renewBeforePercentage) / 100), source: 'RenewBeforePercentage' };
  }
  if (renewBefore !== undefined) {
    const ms = parseDuration(renewBefore);
    if (ms < lifetimeMs) return { ms, source: 'RenewBefore' };
  }
  return { ms: Math.floor(lifetimeMs / (lifetimeMs <= SHORT_LIVED_MAX_MS ? 2 : 3)), source: 'DefaultFraction' };
}

export function renewBeforeMs(lifetimeMs: number, renewBefore?: string, renewBeforePercentage?: number): number {
  return renewBeforeRule(lifetimeMs, renewBefore, renewBeforePercentage).ms;
}

/**
 * When a certificate valid from notBefore to notAfter should be renewed, without ARI: by default
 * when a third of its lifetime is left (half for short-lived ones). Truncated to whole seconds, as status.renewalTime is stored in seconds
 * and cert-manager compares against the stored value.
 */
export function renewalTime(notBefore: Date, notAfter: Date, renewBefore?: string, renewBeforePercentage?: number): Date {
  return renewalPlan(notBefore, notAfter, renewBefore, renewBeforePercentage).time;
}

/** renewalTime and the rule that decided it. */
export function renewalPlan(notBefore: Date, notAfter: Date, renewBefore?: string, renewBeforePercentage?: number): { time: Date; source: RenewBeforeSource } {
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw new RangeError('renewalTime needs valid notBefore and notAfter dates');
  const lifetime = notAfter.getTime() - notBefore.getTime();
  if (!(lifetime > 0)) throw new RangeError(`notAfter (${notAfter.toISOString()}) must be after notBefore (${notBefore.toISOString()})`);
  const rule = renewBeforeRule(lifetime, renewBefore, renewBeforePercentage);
  return { time: new Date(Math.floor((notAfter.getTime() - rule.ms) / 1000) * 1000), source: rule.source };
}
