// The serving CA and certificate live in one Secret shared by all replicas. Every replica runs
// ensureServingBundle: create it if absent (AlreadyExists means another replica won: use theirs),
// renew the serving certificate when due (a resourceVersion conflict means another replica renewed
// it first: use theirs). Level-triggered; safe to call at any time from any replica.
import { Resources } from '../../api/resources.ts';
import { isAlreadyExists, isConflict, type KubeClient, type KubernetesObject } from '../../lib/kube/client.ts';
import { bundleIsConsistent, certFacts, createCa, createServingCert, type ServingBundle } from './certs.ts';

export const SECRET_KEYS = { caCert: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

export interface ServingCertPolicy {
  readonly namespace: string;
  readonly secretName: string;
  readonly names: ReadonlyArray<string>;
  readonly validityMs: number;
  /** Renew once this fraction of the lifetime has passed (default 2/3). */
  readonly renewAtFraction?: number;
}

interface SecretObject extends KubernetesObject {
  type?: string;
  data?: Record<string, string>;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

export function bundleFromSecret(secret: SecretObject): ServingBundle | undefined {
  const d = secret.data ?? {};
  const bundle = { caCertPem: unb64(d[SECRET_KEYS.caCert]), caKeyPem: unb64(d[SECRET_KEYS.caKey]), certPem: unb64(d[SECRET_KEYS.cert]), keyPem: unb64(d[SECRET_KEYS.key]) };
  return bundleIsConsistent(bundle) ? bundle : undefined;
}

// type is immutable: a replaced Secret keeps the one it was created with.
function secretFor(policy: ServingCertPolicy, bundle: ServingBundle, existing?: SecretObject): SecretObject {
  const resourceVersion = existing?.metadata?.resourceVersion;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: policy.secretName, namespace: policy.namespace, labels: { 'app.kubernetes.io/name': 'certgate', 'app.kubernetes.io/component': 'webhook' }, ...(resourceVersion ? { resourceVersion } : {}) },
    type: existing?.type ?? 'kubernetes.io/tls',
    data: { [SECRET_KEYS.caCert]: b64(bundle.caCertPem), [SECRET_KEYS.caKey]: b64(bundle.caKeyPem), [SECRET_KEYS.cert]: b64(bundle.certPem), [SECRET_KEYS.key]: b64(bundle.keyPem) },
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
  return { ...authority, ...leaf };
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
    const stored = bundleFromSecret(secret);
    if (stored && !needsNewServingCert(stored, policy, now)) return stored;
    // Keep the CA (clients trust it through caBundle) unless it is missing, broken or about to expire.
    const keepCa = stored && certFacts(stored.caCertPem).notAfter.getTime() - now.getTime() > policy.validityMs * 2;
    const bundle = await freshBundle(policy, now, keepCa ? stored : undefined);
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
