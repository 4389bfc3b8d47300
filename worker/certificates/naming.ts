// Deterministic names and small spec readers shared by the certificate controllers, so a
// restarted worker finds the same CertificateRequest and key Secret instead of making new ones.
import { createHash } from 'node:crypto';
import type { Certificate } from '../../api/types.generated.ts';
import { defaultPrivateKey } from '../../api/defaults.ts';
import type { CertificateNames, KeySpec } from '../../lib/pki/index.ts';

const MAX_NAME = 253;

function fit(base: string, suffix: string): string {
  return base.slice(0, MAX_NAME - suffix.length) + suffix;
}

/** The CertificateRequest for the next revision; a retry after a failure gets its own name so the failed one stays visible. */
export function requestNameFor(cert: Certificate): string {
  const revision = (cert.status?.revision ?? 0) + 1;
  const attempts = cert.status?.failedIssuanceAttempts ?? 0;
  return fit(cert.metadata.name!, attempts > 0 ? `-${revision}-retry${attempts}` : `-${revision}`);
}

/** The temporary Secret holding the next private key; derived from the Certificate UID. */
export function nextKeySecretNameFor(cert: Certificate): string {
  const h = createHash('sha256').update(cert.metadata.uid ?? cert.metadata.name!).digest('hex').slice(0, 5);
  return fit(cert.metadata.name!, `-next-key-${h}`);
}

export function requestedNames(cert: Certificate): CertificateNames {
  const s = cert.spec;
  return {
    commonName: s.commonName || undefined,
    dnsNames: s.dnsNames ?? [],
    ipAddresses: s.ipAddresses ?? [],
    uris: s.uris ?? [],
    emailAddresses: s.emailAddresses ?? [],
  };
}

export function keySpecOf(cert: Certificate): KeySpec & { encoding: 'PKCS1' | 'PKCS8'; rotationPolicy: 'Always' | 'Never' } {
  const pk = defaultPrivateKey(cert.spec.privateKey);
  return { algorithm: pk.algorithm, size: pk.size, encoding: pk.encoding, rotationPolicy: pk.rotationPolicy };
}

export function issuerKindOf(ref: { kind?: string }): 'Issuer' | 'ClusterIssuer' {
  return ref.kind === 'ClusterIssuer' ? 'ClusterIssuer' : 'Issuer';
}

export function issuerGroupOf(ref: { group?: string }): string {
  return ref.group || 'cert-manager.io';
}
