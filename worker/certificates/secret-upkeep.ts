// Secret upkeep without re-issuing, cert-manager's post-issuance policies: the fao label, the
// cert-manager.io/* annotations describing the stored certificate, and the secretTemplate's labels
// and annotations are put back when someone removes or edits them, or when secretTemplate changes;
// with --enable-certificate-owner-ref, the Secret's controller reference to its Certificate too.
// Labels and annotations a template no longer names stay on the Secret (cert-manager finds those
// through server-side apply field ownership, which certgate does not use).
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { CertificateReasons, Labels, SecretAnnotations, SecretKeys } from '../../api/constants.ts';
import { Resources } from '../../api/resources.ts';
import { inspectCertificate } from '../../lib/pki/index.ts';
import type { Logger } from '../../lib/log.ts';
import type { WorkerContext } from '../context.ts';
import { readSecret, secretValue } from '../secrets.ts';
import { currentRevisionRequest } from './common.ts';
import { evaluateSecret } from './policy.ts';
import { secretOwnerReferences, wantedSecretMetadata } from './secret-writer.ts';

interface MetadataDrift {
  reason: 'SecretManagedMetadataMismatch' | 'SecretTemplateMismatch';
  message: string;
  /** The Secret's labels and annotations with what is missing or wrong put back. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

const differing = (want: Record<string, string>, have: Record<string, string>) =>
  Object.keys(want)
    .filter((k) => have[k] !== want[k])
    .sort();

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
  const managed = [
    ...badLabels.filter((k) => k === Labels.ControllerFAO),
    ...badAnnotations.filter((k) => (Object.values(SecretAnnotations) as string[]).includes(k)),
  ];
  const fixed = { labels: { ...labels, ...want.labels }, annotations: { ...annotations, ...want.annotations } };
  if (managed.length)
    return {
      reason: 'SecretManagedMetadataMismatch',
      message: `Secret's managed labels or annotations are missing or changed: [${managed.join(' ')}]`,
      ...fixed,
    };
  const which = badAnnotations.some((k) => k in (template.annotations ?? {})) ? 'Annotations' : 'Labels';
  return { reason: 'SecretTemplateMismatch', message: `Certificate's SecretTemplate ${which} missing or incorrect value on Secret`, ...fixed };
}

/**
 * With --enable-certificate-owner-ref, the Secret must carry exactly the controller reference certgate
 * writes (apiVersion, kind, name, controller, blockOwnerDeletion) for the Certificate's uid; the
 * references it should have instead, else undefined. Without the flag nothing is checked (a reference
 * left from earlier goes at the next issuance), as cert-manager's SecretOwnerReferenceMismatch.
 */
export function secretOwnerRefMismatch(
  cert: Certificate,
  secret: V1Secret,
  enabled: boolean,
): { reason: 'SecretOwnerRefMismatch'; message: string; ownerReferences: V1OwnerReference[] } | undefined {
  if (!enabled) return undefined;
  const want = secretOwnerReferences(cert, secret.metadata?.ownerReferences, true)!;
  const expected = want[want.length - 1];
  const same = (r: V1OwnerReference) => (['apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion'] as const).every((k) => r[k] === expected[k]);
  if ((secret.metadata?.ownerReferences ?? []).some(same)) return undefined;
  return {
    reason: 'SecretOwnerRefMismatch',
    message: `unexpected Secret Owner Reference value on Secret --enable-certificate-owner-ref=${enabled}`,
    ownerReferences: want,
  };
}

/** Puts the Secret's metadata back when it drifted; one update, testing the resourceVersion it was read at. */
export async function upkeepSecretMetadata(ctx: WorkerContext, cert: Certificate, log: Logger): Promise<void> {
  const secret = await readSecret(ctx, cert.metadata.namespace!, cert.spec.secretName);
  if (!secret) return;
  // Only a Secret the trigger is content with: one it re-issues (issued for another Certificate, by another issuer) must not be relabelled first.
  const evaluation = evaluateSecret(cert, secret, ctx.clock.now(), currentRevisionRequest(ctx, cert));
  if (evaluation.reason && evaluation.reason !== CertificateReasons.Renewing) return;
  const drift = secretMetadataDrift(cert, secret);
  const owners = secretOwnerRefMismatch(cert, secret, ctx.config.enableCertificateOwnerRef);
  if (!drift && !owners) return;
  const metadata = {
    ...secret.metadata,
    ...(drift && { labels: drift.labels, annotations: drift.annotations }),
    ...(owners && { ownerReferences: owners.ownerReferences }),
  };
  await ctx.client.replace<V1Secret>(Resources.Secret, { ...secret, metadata });
  const why = [drift, owners]
    .filter((d) => d !== undefined)
    .map((d) => `${d.reason}: ${d.message}`)
    .join('; ');
  ctx.recorder.event(
    cert,
    'Normal',
    'SecretUpdated',
    `Updated the Secret's ${drift ? 'labels and annotations' : 'owner references'}${drift && owners ? ' and owner references' : ''} without re-issuing (${why})`,
  );
  log.info({ reasons: [drift?.reason, owners?.reason].filter(Boolean) }, 'secret metadata put back');
}
