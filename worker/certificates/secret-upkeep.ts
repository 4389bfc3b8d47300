// Secret upkeep without re-issuing, cert-manager's post-issuance policies: the fao label, the
// cert-manager.io/* annotations describing the stored certificate, and the secretTemplate's labels
// and annotations are put back when someone removes or edits them, or when secretTemplate changes.
// Labels and annotations a template no longer names stay on the Secret (cert-manager finds those
// through server-side apply field ownership, which certgate does not use).
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { CertificateReasons, Labels, SecretAnnotations, SecretKeys } from '../../api/constants.ts';
import { Resources } from '../../api/resources.ts';
import { inspectCertificate } from '../../lib/pki/index.ts';
import type { Logger } from '../../lib/log.ts';
import type { WorkerContext } from '../context.ts';
import { readSecret, secretValue } from '../secrets.ts';
import { currentRevisionRequest } from './common.ts';
import { evaluateSecret } from './policy.ts';
import { wantedSecretMetadata } from './secret-writer.ts';

export interface MetadataDrift {
  reason: 'SecretManagedMetadataMismatch' | 'SecretTemplateMismatch';
  message: string;
  /** The Secret's labels and annotations with what is missing or wrong put back. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const differing = (want: Record<string, string>, have: Record<string, string>) => Object.keys(want).filter((k) => have[k] !== want[k]).sort();

/** What must change in the Secret's metadata; undefined when nothing, or when it holds no readable certificate (the trigger re-issues then). */
export function secretMetadataDrift(cert: Certificate, secret: V1Secret): MetadataDrift | undefined {
  const pem = secretValue(secret, SecretKeys.Certificate);
  if (!pem) return undefined;
  let names;
  try {
    names = inspectCertificate(pem).names;
  } catch {
    return undefined;
  }
  const want = wantedSecretMetadata(cert, names);
  const labels = secret.metadata?.labels ?? {};
  const annotations = secret.metadata?.annotations ?? {};
  const badLabels = differing(want.labels, labels);
  const badAnnotations = differing(want.annotations, annotations);
  if (!badLabels.length && !badAnnotations.length) return undefined;
  const template = cert.spec.secretTemplate ?? {};
  const managed = [...badLabels.filter((k) => k === Labels.ControllerFAO), ...badAnnotations.filter((k) => (Object.values(SecretAnnotations) as string[]).includes(k))];
  const fixed = { labels: { ...labels, ...want.labels }, annotations: { ...annotations, ...want.annotations } };
  if (managed.length) return { reason: 'SecretManagedMetadataMismatch', message: `Secret's managed labels or annotations are missing or changed: [${managed.join(' ')}]`, ...fixed };
  const which = badAnnotations.some((k) => k in (template.annotations ?? {})) ? 'Annotations' : 'Labels';
  return { reason: 'SecretTemplateMismatch', message: `Certificate's SecretTemplate ${which} missing or incorrect value on Secret`, ...fixed };
}

/** Puts the Secret's metadata back when it drifted; one update, testing the resourceVersion it was read at. */
export async function upkeepSecretMetadata(ctx: WorkerContext, cert: Certificate, log: Logger): Promise<void> {
  const secret = await readSecret(ctx, cert.metadata.namespace!, cert.spec.secretName);
  if (!secret) return;
  // Only a Secret the trigger is content with: one it re-issues (issued for another Certificate, by another issuer) must not be relabelled first.
  const evaluation = evaluateSecret(cert, secret, ctx.clock.now(), currentRevisionRequest(ctx, cert));
  if (evaluation.reason && evaluation.reason !== CertificateReasons.Renewing) return;
  const drift = secretMetadataDrift(cert, secret);
  if (!drift) return;
  await ctx.client.replace<V1Secret>(Resources.Secret, { ...secret, metadata: { ...secret.metadata, labels: drift.labels, annotations: drift.annotations } });
  ctx.recorder.event(cert, 'Normal', 'SecretUpdated', `Updated the Secret's labels and annotations without re-issuing (${drift.reason}: ${drift.message})`);
  log.info({ reason: drift.reason }, 'secret metadata put back');
}
