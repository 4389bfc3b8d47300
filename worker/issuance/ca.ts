// The CA issuer: signs requests with the key pair in spec.ca.secretName (in the Issuer's
// namespace, or the cluster-resource namespace for a ClusterIssuer). tls.crt of the result is
// the leaf plus the CA's intermediates; ca.crt is the root of the CA's chain.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { IssuerReasons, SecretKeys } from '../../api/constants.ts';
import type { ClusterIssuer, Issuer } from '../../api/types.generated.ts';
import { certificateMatchesKey, parseCertificateChain, parsePrivateKeyPem, signCertificate, splitPemCertificates } from '../../lib/pki/index.ts';
import { readSecret, secretValue } from '../secrets.ts';
import type { IssuerBackend } from './backend.ts';
import type { WorkerContext } from '../context.ts';
import { requestDurationMs } from './selfsigned.ts';

interface CaKeyPair {
  certificatePem: string;
  keyPem: string;
  signerKey: KeyObject;
  signerCertificatePem: string;
  intermediates: string;
  root: string;
}
type CaCheck = CaKeyPair | { problem: string; reason: string };

// Checking the pair and parsing the key cost milliseconds per signature: memoised by the pair's
// content (a CA Secret without certgate's label is read with a GET each time, a new object).
const checked = new Map<string, CaCheck>();
const MAX_CHECKED = 64;

/** Reads and checks the CA key pair; returns a problem message instead when unusable. */
async function loadCa(ctx: WorkerContext, issuer: Issuer | ClusterIssuer, namespace: string): Promise<CaCheck> {
  const secretName = issuer.spec.ca?.secretName;
  if (!secretName) return { problem: 'spec.ca.secretName is not set', reason: IssuerReasons.ErrInitIssuer };
  const secret = await readSecret(ctx, namespace, secretName);
  if (!secret) return { problem: `Error getting keypair for CA issuer: secret "${namespace}/${secretName}" not found`, reason: IssuerReasons.ErrGetKeyPair };
  const certificatePem = secretValue(secret, SecretKeys.Certificate);
  const keyPem = secretValue(secret, SecretKeys.PrivateKey);
  if (!certificatePem || !keyPem)
    return {
      problem: `Error getting keypair for CA issuer: secret "${namespace}/${secretName}" has no tls.crt or tls.key`,
      reason: IssuerReasons.ErrGetKeyPair,
    };
  const memoKey = `${secretName}\0${certificatePem}\0${keyPem}`;
  const known = checked.get(memoKey);
  if (known) return known;
  const result = checkPair(secretName, certificatePem, keyPem);
  if (checked.size >= MAX_CHECKED) checked.clear();
  checked.set(memoKey, result);
  return result;
}

function checkPair(secretName: string, certificatePem: string, keyPem: string): CaCheck {
  try {
    const leaf = parseCertificateChain(certificatePem)[0];
    if (!leaf.ca)
      return { problem: `Error getting keypair for CA issuer: the certificate in "${secretName}" is not a CA`, reason: IssuerReasons.ErrInvalidKeyPair };
    const signerKey = parsePrivateKeyPem(keyPem);
    if (!certificateMatchesKey(leaf, signerKey))
      return {
        problem: `Error getting keypair for CA issuer: the private key in "${secretName}" does not match its certificate`,
        reason: IssuerReasons.ErrInvalidKeyPair,
      };
    return { certificatePem, keyPem, signerKey, signerCertificatePem: splitPemCertificates(certificatePem)[0], ...splitChain(certificatePem) };
  } catch (e) {
    return { problem: `Error getting keypair for CA issuer: ${(e as Error).message}`, reason: IssuerReasons.ErrInvalidKeyPair };
  }
}

/** The CA chain split into intermediates (sent with the leaf) and the root (ca.crt). */
function splitChain(caChainPem: string): { intermediates: string; root: string } {
  const blocks = splitPemCertificates(caChainPem);
  const last = new X509Certificate(blocks[blocks.length - 1]);
  const selfSigned = last.checkIssued(last) && last.verify(last.publicKey);
  if (selfSigned) return { intermediates: blocks.slice(0, -1).join(''), root: blocks[blocks.length - 1] };
  // The CA's chain stops at an intermediate: send all of it; ca.crt is the top we know.
  return { intermediates: blocks.join(''), root: blocks[blocks.length - 1] };
}

export function createCaBackend(ctx: WorkerContext): IssuerBackend {
  return {
    async sign({ request, issuer, resourceNamespace }) {
      const ca = await loadCa(ctx, issuer, resourceNamespace);
      if ('problem' in ca) return { state: 'pending', reason: 'Pending', message: ca.problem, recheckAfterMs: 5000 };
      try {
        const leaf = await signCertificate({
          csr: request.spec.request,
          durationMs: requestDurationMs(request.spec.duration),
          isCA: request.spec.isCA,
          usages: request.spec.usages,
          signerKey: ca.signerKey,
          signerCertificatePem: ca.signerCertificatePem,
          now: new Date(ctx.clock.now()),
        });
        return { state: 'issued', certificatePem: leaf + ca.intermediates, caPem: ca.root };
      } catch (e) {
        return { state: 'failed', reason: 'Failed', message: `Error signing certificate: ${(e as Error).message}` };
      }
    },
    async checkIssuer(issuer, resourceNamespace) {
      const ca = await loadCa(ctx, issuer, resourceNamespace);
      if ('problem' in ca) return { ready: false, reason: ca.reason, message: ca.problem };
      return { ready: true, reason: IssuerReasons.KeyPairVerified, message: 'Signing CA verified' };
    },
  };
}
