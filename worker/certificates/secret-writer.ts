// Writes the issued certificate into the Certificate's Secret: tls.crt (leaf + chain), tls.key,
// ca.crt, cert-manager's annotations and the fao label, secretTemplate labels and annotations.
// The pair is checked (certificate matches key and the requested names) before anything is
// written, and the Secret is created or replaced in ONE request, keeping unrelated keys.
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { Labels, LabelValues, SecretAnnotations, SecretKeys } from '../../api/constants.ts';
import { Resources, controllerRef } from '../../api/resources.ts';
import { isAlreadyExists, isConflict } from '../../lib/kube/client.ts';
import { inspectCertificate, keyPairProblems, parsePrivateKeyPem, type CertificateNames } from '../../lib/pki/index.ts';
import type { WorkerContext } from '../context.ts';
import { b64, readSecret, rememberWrittenSecret } from '../secrets.ts';
import { requestedNames } from './spec-fields.ts';
import { issuerGroupOf } from '../issuer-ref.ts';

interface IssuedBundle {
  certificatePem: string;
  privateKeyPem: string;
  caPem?: string;
}

export class CertificateCheckError extends Error {
  override name = 'CertificateCheckError';
}

/** cert-manager's annotations describing the stored certificate. */
export function secretAnnotationsFor(cert: Certificate, names: CertificateNames): Record<string, string> {
  const ref = cert.spec.issuerRef;
  return {
    [SecretAnnotations.CertificateName]: cert.metadata.name!,
    [SecretAnnotations.IssuerName]: ref.name,
    [SecretAnnotations.IssuerKind]: ref.kind || 'Issuer',
    [SecretAnnotations.IssuerGroup]: issuerGroupOf(ref),
    [SecretAnnotations.CommonName]: names.commonName ?? '',
    [SecretAnnotations.AltNames]: names.dnsNames.join(','),
    [SecretAnnotations.IPSANs]: names.ipAddresses.join(','),
    [SecretAnnotations.URISANs]: names.uris.join(','),
  };
}

/** The labels and annotations the Secret must carry: secretTemplate's, the fao label, and the certificate details. */
export function wantedSecretMetadata(cert: Certificate, names: CertificateNames): { labels: Record<string, string>; annotations: Record<string, string> } {
  const template = cert.spec.secretTemplate ?? {};
  return {
    labels: { ...(template.labels ?? {}), [Labels.ControllerFAO]: LabelValues.True },
    annotations: { ...(template.annotations ?? {}), ...secretAnnotationsFor(cert, names) },
  };
}

/** Throws CertificateCheckError when the bundle must not be stored. */
function checkBundle(cert: Certificate, bundle: IssuedBundle, nowMs: number): void {
  let key;
  try {
    key = parsePrivateKeyPem(bundle.privateKeyPem);
  } catch (e) {
    throw new CertificateCheckError((e as Error).message);
  }
  const problems = keyPairProblems({ certificatePem: bundle.certificatePem, privateKey: key, requested: requestedNames(cert), now: new Date(nowMs) });
  if (problems.length) throw new CertificateCheckError(`the issued certificate cannot be stored: ${problems.join('; ')}`);
}

/**
 * The Secret's ownerReferences: with --enable-certificate-owner-ref, one controller reference to the
 * Certificate (the garbage collector then deletes the Secret with it); without, none to the Certificate.
 * References to other owners are kept either way.
 */
export function secretOwnerReferences(cert: Certificate, existing: V1OwnerReference[] = [], enabled: boolean): V1OwnerReference[] | undefined {
  const others = existing.filter((r) => r.uid !== cert.metadata.uid);
  const refs = enabled ? [...others, controllerRef(Resources.Certificate, cert)] : others;
  return refs.length > 0 ? refs : undefined;
}

/** Writes the Secret (see writeSecret); readers see the server's answer before the watch brings it. */
export async function writeCertificateSecret(ctx: WorkerContext, cert: Certificate, bundle: IssuedBundle): Promise<V1Secret> {
  return rememberWrittenSecret(ctx, await writeSecret(ctx, cert, bundle));
}

/**
 * cert-manager's additionalOutputFormats keys (certgate refuses that field): left on a migrated Secret,
 * they would go on holding the previous certificate and private key after this issuance.
 */
const OUTPUT_FORMAT_KEYS = ['tls-combined.pem', 'key.der'];

function withoutOutputFormats(data: Record<string, string> | undefined): Record<string, string> {
  const kept = { ...(data ?? {}) };
  for (const key of OUTPUT_FORMAT_KEYS) delete kept[key];
  return kept;
}

async function writeSecret(ctx: WorkerContext, cert: Certificate, bundle: IssuedBundle): Promise<V1Secret> {
  checkBundle(cert, bundle, ctx.clock.now());
  const namespace = cert.metadata.namespace!;
  const name = cert.spec.secretName;
  const { labels, annotations } = wantedSecretMetadata(cert, inspectCertificate(bundle.certificatePem).names);
  const data: Record<string, string> = {
    [SecretKeys.Certificate]: b64(bundle.certificatePem),
    [SecretKeys.PrivateKey]: b64(bundle.privateKeyPem),
  };
  if (bundle.caPem) data[SecretKeys.CA] = b64(bundle.caPem);

  // Create when nothing is known of the Secret (the usual first issuance, no GET first); a Secret
  // that exists after all, or one known from the cache, is replaced with its resourceVersion (a
  // stale copy fails with a conflict: then once more on a fresh read).
  let existing = await readSecret(ctx, namespace, name, { noRequest: true });
  if (!existing) {
    try {
      return await ctx.client.create<V1Secret>(Resources.Secret, {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name, namespace, labels, annotations, ownerReferences: secretOwnerReferences(cert, [], ctx.config.enableCertificateOwnerRef) },
        data: { [SecretKeys.CA]: '', ...data },
      } as V1Secret);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      existing = await readSecret(ctx, namespace, name, { fresh: true });
      if (!existing) throw e; // deleted meanwhile: the retry creates it
    }
  }
  const merge = (base: V1Secret): V1Secret => ({
    ...base,
    metadata: {
      ...base.metadata,
      labels: { ...(base.metadata?.labels ?? {}), ...labels },
      annotations: { ...(base.metadata?.annotations ?? {}), ...annotations },
      ownerReferences: secretOwnerReferences(cert, base.metadata?.ownerReferences, ctx.config.enableCertificateOwnerRef),
    },
    // Unrelated keys stay; a ca.crt from an earlier issuer is dropped when the new one has none.
    data: { ...withoutOutputFormats(base.data), [SecretKeys.CA]: '', ...data },
  });
  try {
    return await ctx.client.replace<V1Secret>(Resources.Secret, merge(existing));
  } catch (e) {
    if (!isConflict(e)) throw e;
    // Our copy was stale: once more on the current one.
    const current = await readSecret(ctx, namespace, name, { fresh: true });
    if (!current) throw e;
    return ctx.client.replace<V1Secret>(Resources.Secret, merge(current));
  }
}
