// Small readers of a Certificate's spec shared by the certificate controllers: the names it asks
// for and its private key settings with cert-manager's defaults applied.
import type { Certificate } from '../../api/types.generated.ts';
import { defaultPrivateKey } from '../../api/defaults.ts';
import type { CertificateNames, KeySpec } from '../../lib/pki/index.ts';

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
