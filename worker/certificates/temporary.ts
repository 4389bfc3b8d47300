// cert-manager.io/issue-temporary-certificate: "true" (the ingress shim sets it with
// http01-edit-in-place): while the real certificate is being issued and the Secret has no usable
// key pair, put a self-signed certificate for the requested names, made with the next private key,
// in the Secret, so Ingress controllers that need a Secret before they route (ingress-gce) can
// serve the HTTP-01 challenge. It carries no issuer annotations, so certgate never takes it for
// the real one: readiness says IncorrectIssuer and a failed issuance is tried again.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { CertificateAnnotations, CertificateReasons, Labels, LabelValues, SecretAnnotations, SecretKeys } from '../../api/constants.ts';
import { certificateDurationMs } from '../../api/defaults.ts';
import { Resources } from '../../api/resources.ts';
import { createCsr, parsePrivateKeyPem, signCertificate } from '../../lib/pki/index.ts';
import type { Logger } from '../../lib/log.ts';
import type { WorkerContext } from '../context.ts';
import { b64, readSecret, secretValue } from '../secrets.ts';
import { requestedNames } from './spec-fields.ts';
import { evaluateSecret } from './policy.ts';

/** The Secret has nothing an Ingress controller could serve. */
const UNUSABLE: readonly string[] = [
  CertificateReasons.DoesNotExist,
  CertificateReasons.MissingData,
  CertificateReasons.InvalidKeyPair,
  CertificateReasons.InvalidCertificate,
];

export async function issueTemporaryCertificate(ctx: WorkerContext, cert: Certificate, log: Logger): Promise<void> {
  if (cert.metadata.annotations?.[CertificateAnnotations.IssueTemporaryCertificate] !== 'true') return;
  const namespace = cert.metadata.namespace!;
  const keySecretName = cert.status?.nextPrivateKeySecretName;
  const keyPem = keySecretName && secretValue(await readSecret(ctx, namespace, keySecretName), SecretKeys.PrivateKey);
  if (!keyPem) return; // the key manager has not stored the next key yet; its Secret event re-queues
  const existing = await readSecret(ctx, namespace, cert.spec.secretName, { fresh: true });
  const now = ctx.clock.now();
  if (!UNUSABLE.includes(evaluateSecret(cert, existing, now).reason ?? '')) return;
  const key = parsePrivateKeyPem(keyPem);
  const certificatePem = await signCertificate({
    csr: await createCsr(key, requestedNames(cert)),
    durationMs: certificateDurationMs(cert.spec),
    signerKey: key,
    now: new Date(now),
  });
  const template = cert.spec.secretTemplate ?? {};
  const metadata = {
    name: cert.spec.secretName,
    namespace,
    labels: { ...(existing?.metadata?.labels ?? {}), ...(template.labels ?? {}), [Labels.ControllerFAO]: LabelValues.True },
    annotations: { ...(existing?.metadata?.annotations ?? {}), ...(template.annotations ?? {}), [SecretAnnotations.CertificateName]: cert.metadata.name! },
  };
  const data = { ...(existing?.data ?? {}), [SecretKeys.Certificate]: b64(certificatePem), [SecretKeys.PrivateKey]: b64(keyPem) };
  if (existing) await ctx.client.replace<V1Secret>(Resources.Secret, { ...existing, metadata: { ...existing.metadata, ...metadata }, data });
  else await ctx.client.create<V1Secret>(Resources.Secret, { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata, data } as V1Secret);
  ctx.recorder.event(cert, 'Normal', 'Issuing', 'Issued temporary certificate');
  log.info('temporary certificate stored while the real one is issued');
}
