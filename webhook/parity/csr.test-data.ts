// CSRs for the ported CertificateRequest tables, made the way cert-manager's test generator makes
// them: key usages and extended key usages encoded from the Certificate's usages (the defaults when
// none), "cert sign" added for a CA, or no usage extensions at all.
import { generateKeyPairSync } from 'node:crypto';
import { toCryptoKeyPair, x509 } from '../../lib/pki/webcrypto.ts';
import { usageExtensions } from '../../lib/pki/usages.ts';

interface CsrSpec {
  dnsNames?: string[];
  /** Usage names to encode; [] encodes cert-manager's defaults. */
  usages?: string[];
  isCA?: boolean;
  /** false: no KeyUsage/ExtendedKeyUsage extensions (cert-manager's encodeUsagesInRequest: false). */
  encodeUsages?: boolean;
  /** Extensions to use instead of the usage extensions. */
  extensions?: x509.Extension[];
}

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

/** base64 of the PEM CSR, as spec.request holds it. */
export async function csrFor(spec: CsrSpec): Promise<string> {
  const keys = await toCryptoKeyPair(key);
  const usageExts = spec.encodeUsages === false ? [] : usageExtensions(spec.usages?.length ? spec.usages : undefined, spec.isCA);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [],
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    signingAlgorithm: keys.algorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension(
        (spec.dnsNames ?? ['example.com']).map((value) => ({ type: 'dns' as const, value })),
        true,
      ),
      ...(spec.extensions ?? usageExts),
    ],
  });
  return Buffer.from(csr.toString('pem')).toString('base64');
}

/** The same CSR with one signature byte flipped. */
export function withBadSignature(request: string): string {
  const csr = new x509.Pkcs10CertificateRequest(Buffer.from(request, 'base64').toString('utf8'));
  const der = Buffer.from(csr.rawData);
  der[der.length - 5] ^= 0xff;
  return Buffer.from(`-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`).toString('base64');
}
