// The serving CA and certificate live in one Secret shared by all replicas. Every replica runs
// ensureServingBundle: create it if absent (AlreadyExists means another replica won: use theirs),
// renew the serving certificate when due (a resourceVersion conflict means another replica renewed
// it first: use theirs). Level-triggered; safe to call at any time from any replica.
// When the CA itself is replaced, the old CA certificate (never its key) stays in the Secret with
// the time it stops being trusted, so caBundle can hold both until every replica serves a
// certificate from the new CA; after that time the next pass removes it.
import { Resources } from '../../api/resources.ts';
import { isAlreadyExists, isConflict, type KubeClient, type KubernetesObject } from '../../lib/kube/client.ts';
import { BACKDATE_MS, bundleIsConsistent, certFacts, createCa, createServingCert, type RetiringCa, type ServingBundle } from './certs.ts';

export const SECRET_KEYS = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key', previousCaCert: 'previous-ca.crt' } as const;
/** RFC 3339 time after which the previous CA is no longer published nor kept. */
export const PREVIOUS_CA_RETIRE_AT_ANNOTATION = 'certgate.io/previous-ca-retire-at';

/** How often every replica re-reads the Secret (the rotator's default check interval). */
export const RE_READ_INTERVAL_MS = 60_000;

export interface ServingCertPolicy {
  readonly namespace: string;
  readonly secretName: string;
  readonly names: ReadonlyArray<string>;
  readonly validityMs: number;
  /** Renew once this fraction of the lifetime has passed (default 2/3). */
  readonly renewAtFraction?: number;
}

/**
 * How long the old CA stays in caBundle after a CA rotation. The rotation also replaces the serving
 * certificate, and no certificate from the old CA is made afterwards, so the last one expires at most
 * validityMs later. Adding the re-read interval and the clock skew we backdate for covers a replica
 * that was slow to re-read or whose clock is behind.
 */
export function caOverlapMs(policy: ServingCertPolicy): number {
  return policy.validityMs + RE_READ_INTERVAL_MS + BACKDATE_MS;
}

interface SecretObject extends KubernetesObject {
  type?: string;
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

/** The previous CA recorded in the Secret, if its certificate parses and its retire time is readable. */
function previousCaFromSecret(secret: SecretObject): RetiringCa | undefined {
  const certPem = unb64(secret.data?.[SECRET_KEYS.previousCaCert]);
  const retireAt = new Date(secret.metadata?.annotations?.[PREVIOUS_CA_RETIRE_AT_ANNOTATION] ?? '');
  if (!certPem || Number.isNaN(retireAt.getTime())) return undefined;
  try {
    certFacts(certPem);
  } catch {
    return undefined;
  }
  return { certPem, retireAt };
}

/** Whether the previous CA may still be trusted at `now`: before its retire time and not expired. */
export function previousCaIsTrusted(previous: RetiringCa | undefined, now: Date): previous is RetiringCa {
  return previous !== undefined && now < previous.retireAt && now < certFacts(previous.certPem).notAfter;
}

function bundleFromSecret(secret: SecretObject): ServingBundle | undefined {
  const d = secret.data ?? {};
  const bundle = {
    caCertPem: unb64(d[SECRET_KEYS.caCert]),
    caKeyPem: unb64(d[SECRET_KEYS.caKey]),
    certPem: unb64(d[SECRET_KEYS.cert]),
    keyPem: unb64(d[SECRET_KEYS.key]),
  };
  if (!bundleIsConsistent(bundle)) return undefined;
  const previousCa = previousCaFromSecret(secret);
  return previousCa ? { ...bundle, previousCa } : bundle;
}

// type is immutable: a replaced Secret keeps the one it was created with. Annotations others set are kept.
function secretFor(policy: ServingCertPolicy, bundle: ServingBundle, existing?: SecretObject): SecretObject {
  const resourceVersion = existing?.metadata?.resourceVersion;
  const annotations: Record<string, string> = { ...existing?.metadata?.annotations };
  delete annotations[PREVIOUS_CA_RETIRE_AT_ANNOTATION];
  const data: Record<string, string> = {
    [SECRET_KEYS.caCert]: b64(bundle.caCertPem),
    [SECRET_KEYS.caKey]: b64(bundle.caKeyPem),
    [SECRET_KEYS.cert]: b64(bundle.certPem),
    [SECRET_KEYS.key]: b64(bundle.keyPem),
  };
  if (bundle.previousCa) {
    data[SECRET_KEYS.previousCaCert] = b64(bundle.previousCa.certPem);
    annotations[PREVIOUS_CA_RETIRE_AT_ANNOTATION] = bundle.previousCa.retireAt.toISOString();
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: policy.secretName,
      namespace: policy.namespace,
      labels: { 'app.kubernetes.io/name': 'certgate', 'app.kubernetes.io/component': 'webhook' },
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    type: existing?.type ?? 'kubernetes.io/tls',
    data,
  };
}

/** When the serving certificate should be replaced: once less than a third (by default) of the configured validity is left. */
export function renewalTimeOf(certPem: string, policy: ServingCertPolicy): Date {
  const { notAfter } = certFacts(certPem);
  const fraction = policy.renewAtFraction ?? 2 / 3;
  return new Date(notAfter.getTime() - policy.validityMs * (1 - fraction));
}

function needsNewServingCert(bundle: ServingBundle, policy: ServingCertPolicy, now: Date): boolean {
  const facts = certFacts(bundle.certPem);
  const caFacts = certFacts(bundle.caCertPem);
  return now >= renewalTimeOf(bundle.certPem, policy) || policy.names.some((n) => !facts.names.includes(n)) || facts.notAfter > caFacts.notAfter;
}

async function freshBundle(policy: ServingCertPolicy, now: Date, ca?: { caCertPem: string; caKeyPem: string }): Promise<ServingBundle> {
  const authority = ca ?? (await createCa(now));
  const leaf = await createServingCert(authority, policy.names, now, policy.validityMs);
  return { caCertPem: authority.caCertPem, caKeyPem: authority.caKeyPem, ...leaf };
}

/** The bundle to store next, or undefined when the stored one is fine as it is. */
async function nextBundle(secret: SecretObject, policy: ServingCertPolicy, now: Date): Promise<ServingBundle | undefined> {
  const stored = bundleFromSecret(secret);
  if (!stored) return freshBundle(policy, now); // missing or broken: nothing trustworthy to carry over
  const previousCa = previousCaIsTrusted(stored.previousCa, now) ? stored.previousCa : undefined;
  const previousIsStale = secret.data?.[SECRET_KEYS.previousCaCert] !== undefined && !previousCa;
  if (!needsNewServingCert(stored, policy, now)) {
    // Past its retire time (or expired, or unreadable) the previous CA leaves the Secret.
    return previousIsStale ? { caCertPem: stored.caCertPem, caKeyPem: stored.caKeyPem, certPem: stored.certPem, keyPem: stored.keyPem } : undefined;
  }
  // Keep the CA (clients trust it through caBundle) unless it is about to expire.
  const caNotAfter = certFacts(stored.caCertPem).notAfter;
  if (caNotAfter.getTime() - now.getTime() > policy.validityMs * 2) {
    const renewed = await freshBundle(policy, now, stored);
    return previousCa ? { ...renewed, previousCa } : renewed;
  }
  // A new CA: the old one stays trusted (certificate only) until every replica serves from the new one.
  const renewed = await freshBundle(policy, now);
  const retireAt = new Date(Math.min(now.getTime() + caOverlapMs(policy), caNotAfter.getTime()));
  return retireAt > now ? { ...renewed, previousCa: { certPem: stored.caCertPem, retireAt } } : renewed;
}

/** Returns the bundle every replica should serve, creating or renewing it in the Secret as needed. */
export async function ensureServingBundle(client: KubeClient, policy: ServingCertPolicy, now: Date = new Date()): Promise<ServingBundle> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const secret = await client.get<SecretObject>(Resources.Secret, policy.namespace, policy.secretName);
    if (!secret) {
      const bundle = await freshBundle(policy, now);
      try {
        await client.create(Resources.Secret, secretFor(policy, bundle));
        return bundle;
      } catch (e) {
        if (isAlreadyExists(e)) continue; // another replica created it first
        throw e;
      }
    }
    const bundle = await nextBundle(secret, policy, now);
    if (!bundle) return bundleFromSecret(secret)!;
    try {
      await client.replace(Resources.Secret, secretFor(policy, bundle, secret));
      return bundle;
    } catch (e) {
      if (isConflict(e)) continue; // another replica renewed it first
      throw e;
    }
  }
  throw new Error(`Secret ${policy.namespace}/${policy.secretName} kept changing under us; giving up for now`);
}
