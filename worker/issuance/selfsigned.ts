// The SelfSigned issuer: signs each request with its own private key, found through the
// request's cert-manager.io/private-key-secret-name annotation (as cert-manager does).
import { CertificateRequestAnnotations, IssuerReasons, SecretKeys } from '../../api/constants.ts';
import { parseDuration } from '../../api/duration.ts';
import { DEFAULT_DURATION_MS } from '../../api/defaults.ts';
import { parsePrivateKeyPem, signCertificate, SigningError } from '../../lib/pki/index.ts';
import { readSecret, secretValue } from '../secrets.ts';
import type { IssuerBackend } from './backend.ts';
import type { WorkerContext } from '../context.ts';

export function requestDurationMs(duration: string | undefined): number {
  return duration ? parseDuration(duration) : DEFAULT_DURATION_MS;
}

export function createSelfSignedBackend(ctx: WorkerContext): IssuerBackend {
  return {
    async sign({ request }) {
      const ns = request.metadata.namespace!;
      const keySecret = request.metadata.annotations?.[CertificateRequestAnnotations.PrivateKeySecretName];
      if (!keySecret) {
        return {
          state: 'failed',
          reason: 'Failed',
          message: `SelfSigned issuer needs the ${CertificateRequestAnnotations.PrivateKeySecretName} annotation on the request`,
        };
      }
      const keyPem = secretValue(await readSecret(ctx, ns, keySecret), SecretKeys.PrivateKey);
      if (!keyPem) return { state: 'pending', reason: 'Pending', message: `Waiting for the private key Secret "${keySecret}"`, recheckAfterMs: 2000 };
      try {
        const pem = await signCertificate({
          csr: request.spec.request,
          durationMs: requestDurationMs(request.spec.duration),
          isCA: request.spec.isCA,
          usages: request.spec.usages,
          signerKey: parsePrivateKeyPem(keyPem),
          now: new Date(ctx.clock.now()),
        });
        return { state: 'issued', certificatePem: pem, caPem: pem };
      } catch (e) {
        if (e instanceof SigningError || e instanceof Error) return { state: 'failed', reason: 'Failed', message: `Error signing certificate: ${e.message}` };
        throw e;
      }
    },
    async checkIssuer() {
      return { ready: true, reason: IssuerReasons.IsReady, message: '' };
    },
  };
}
