// Request manager: while a Certificate is Issuing and its next key exists, make sure exactly one
// CertificateRequest (named for the next revision) asks for what the spec says with that key.
// A request that no longer matches (spec or key changed) is deleted and made again.
import type { Certificate, CertificateRequest } from '../../api/types.generated.ts';
import { CertificateRequestAnnotations, ConditionTypes, SecretKeys } from '../../api/constants.ts';
import { defaultCertificateSpec } from '../../api/defaults.ts';
import { Resources, controllerRef } from '../../api/resources.ts';
import { isAlreadyExists } from '../../lib/kube/client.ts';
import type { KeyObject } from 'node:crypto';
import { createCsr, parseCertificateChain, parseCsr, samePublicKey } from '../../lib/pki/index.ts';
import { hasCondition } from '../conditions.ts';
import type { QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { b64, privateKeyOf, readSecret, secretValue } from '../secrets.ts';
import { createCertificateController, requestReader } from './common.ts';
import { requestedNames } from './spec-fields.ts';
import { requestNameFor } from '../object-names.ts';
import { ariIdOf } from './policy.ts';
import { requestMismatches } from './request-match.ts';
import { annotationsToCopy } from './copied-annotations.ts';

export const REQUEST_MANAGER_CONTROLLER = 'certificates-request-manager';

export function createRequestManagerController(ctx: WorkerContext): QueueController {
  const ctrl = createCertificateController(ctx, {
    name: REQUEST_MANAGER_CONTROLLER,
    requests: true,
    reconcile: async (cert, log) => {
      const namespace = cert.metadata.namespace!;
      const name = cert.metadata.name!;
      if (!hasCondition(cert.status?.conditions, ConditionTypes.Issuing, 'True')) return;
      const keySecretName = cert.status?.nextPrivateKeySecretName;
      if (!keySecretName) return;
      // Known here once the key manager stored it (the cache, or its create or read of it): no GET of a
      // key Secret that the trigger named before it exists. The key manager's new key re-queues us.
      const privateKey = privateKeyOf(await readSecret(ctx, namespace, keySecretName, { noRequest: true }));
      if (!privateKey) return;
      const requestName = requestNameFor(cert);
      // From the cache or our own create (the watch may not have brought it yet).
      const existing = requestReader(ctx).get(namespace, requestName);
      if (existing) {
        const mismatch = await requestMismatch(cert, existing, keySecretName, privateKey);
        if (!mismatch) return;
        log.info({ request: requestName, mismatch }, 'CertificateRequest does not match the Certificate; replacing it');
        await ctx.client.delete(Resources.CertificateRequest, namespace, requestName);
        return { requeueAfterMs: 0 };
      }
      const spec = defaultCertificateSpec(cert.spec);
      const replaces = await replacedAriId(ctx, cert);
      const csr = await createCsr(privateKey, { ...requestedNames(cert), subject: cert.spec.subject });
      const request: CertificateRequest = {
        apiVersion: 'cert-manager.io/v1',
        kind: 'CertificateRequest',
        metadata: {
          name: requestName,
          namespace,
          annotations: {
            // As cert-manager: the Certificate's annotations travel to the request (e.g. the HTTP-01 overrides the ingress shim sets), as --copied-annotation-prefixes says.
            ...annotationsToCopy(cert.metadata.annotations ?? {}, ctx.config.copiedAnnotationPrefixes),
            [CertificateRequestAnnotations.CertificateName]: name,
            [CertificateRequestAnnotations.CertificateRevision]: String((cert.status?.revision ?? 0) + 1),
            [CertificateRequestAnnotations.PrivateKeySecretName]: keySecretName,
            ...(replaces ? { [CertificateRequestAnnotations.Replaces]: replaces } : {}),
          },
          labels: { ...(cert.metadata.labels ?? {}) },
          ownerReferences: [controllerRef(Resources.Certificate, cert)],
        },
        spec: {
          request: b64(csr),
          issuerRef: cert.spec.issuerRef,
          duration: spec.duration,
          usages: spec.usages,
          ...(cert.spec.isCA ? { isCA: true } : {}),
        },
      };
      try {
        requestReader(ctx).wrote(await ctx.client.create(Resources.CertificateRequest, request));
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        return { requeueAfterMs: 0 };
      }
      ctx.recorder.event(cert, 'Normal', 'Requested', `Created new CertificateRequest resource "${requestName}"`);
      log.info({ request: requestName }, 'created CertificateRequest');
    },
  });
  return ctrl;
}

/**
 * ARI id of the certificate this request renews: the one in the Secret, when the CA gave renewal
 * information for it (status.renewalInfo), so the CA knows the certificate and offers ARI.
 */
async function replacedAriId(ctx: WorkerContext, cert: Certificate): Promise<string | undefined> {
  const known = cert.status?.renewalInfo;
  if (!known?.certID || !known.suggestedWindowStart) return undefined;
  const pem = secretValue(await readSecret(ctx, cert.metadata.namespace!, cert.spec.secretName), SecretKeys.Certificate);
  if (!pem) return undefined;
  try {
    return ariIdOf(parseCertificateChain(pem)[0]) === known.certID ? known.certID : undefined;
  } catch {
    return undefined;
  }
}

/** Why an existing request does not fit the Certificate's current spec and key; undefined when it fits. */
async function requestMismatch(cert: Certificate, cr: CertificateRequest, keySecretName: string, key: KeyObject): Promise<string | undefined> {
  const a = cr.metadata.annotations ?? {};
  if (a[CertificateRequestAnnotations.PrivateKeySecretName] !== keySecretName) return 'private key Secret differs';
  const { fields, unreadableCsr } = requestMismatches(cert, cr);
  if (unreadableCsr) return `CSR unreadable: ${unreadableCsr}`;
  if (fields.length) return `fields not up to date: ${fields.join(', ')}`;
  let parsed;
  try {
    parsed = await parseCsr(cr.spec.request);
  } catch (e) {
    return `CSR unreadable: ${(e as Error).message}`;
  }
  return samePublicKey(parsed.publicKey, key) ? undefined : 'CSR public key differs from the next private key';
}
