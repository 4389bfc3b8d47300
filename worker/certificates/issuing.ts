// Issuing: when the CertificateRequest for the next revision is done, either store the result
// (checked, one Secret write), bump status.revision and end the Issuing condition, or record the
// failure (failedIssuanceAttempts, lastFailureTime) so the trigger backs off. Also removes the
// temporary key Secret once issuance is over, keeps the Secret's labels and annotations
// (secret-upkeep.ts) and prunes old CertificateRequests.
import type { Certificate, CertificateRequest } from '../../api/types.generated.ts';
import { CertificateRequestAnnotations, CertificateRequestReasons, ConditionTypes, SecretKeys } from '../../api/constants.ts';
import { Resources } from '../../api/resources.ts';
import { defaultCertificateSpec } from '../../api/defaults.ts';
import { getCondition, hasCondition, removeCondition, setCondition, timestamp } from '../conditions.ts';
import type { QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { deleteSecret, readSecret, secretValue } from '../secrets.ts';
import { updateCertificateStatus, createCertificateController, isIssuing, requestReader, requestsByCertificate } from './common.ts';
import { requestNameFor } from '../object-names.ts';
import { failureBackoffMs } from './policy.ts';
import type { IssuanceResult } from '../../lib/metrics/certificates.ts';
import { CertificateCheckError, writeCertificateSecret } from './secret-writer.ts';
import { upkeepSecretMetadata } from './secret-upkeep.ts';
import { issueTemporaryCertificate } from './temporary.ts';
import { readinessStatus, warnIfRenewalRuleIgnored } from './readiness.ts';

export const ISSUING_CONTROLLER = 'certificates-issuing';

/** Whether the request ended without a certificate (Failed, Denied or InvalidRequest). */
function requestFailure(cr: CertificateRequest): string | undefined {
  const c = cr.status?.conditions;
  // Denied first, as cert-manager: an approver's no stands even when a non-compliant issuer signed anyway.
  const denied = getCondition(c, ConditionTypes.Denied);
  if (denied?.status === 'True') return `the request was denied by ${denied.reason || 'an approver'}: ${denied.message ?? ''}`;
  const ready = getCondition(c, ConditionTypes.Ready);
  if (ready?.status === 'False' && ready.reason === CertificateRequestReasons.Failed) return ready.message ?? 'the request failed';
  if (hasCondition(c, ConditionTypes.InvalidRequest, 'True')) return `the request is invalid: ${getCondition(c, ConditionTypes.InvalidRequest)?.message ?? ''}`;
  return undefined;
}

export function createIssuingController(ctx: WorkerContext): QueueController {
  const ctrl = createCertificateController(ctx, {
    name: ISSUING_CONTROLLER,
    requests: true,
    // Upkeep's read of the Secret (not Issuing: a new Certificate's Secret is a GET).
    readFirst: (cert) => (isIssuing(cert) ? undefined : readSecret(ctx, cert.metadata.namespace!, cert.spec.secretName)),
    reconcile: async (cert, log) => {
      const namespace = cert.metadata.namespace!;
      if (!hasCondition(cert.status?.conditions, ConditionTypes.Issuing, 'True')) {
        await removeNextKey(ctx, cert);
        await upkeepSecretMetadata(ctx, cert, log);
        return;
      }
      await issueTemporaryCertificate(ctx, cert, log);
      // The cache's copy or the signer's write of it, whichever is newer (the signer queued us right after writing).
      const cr = requestReader(ctx).get(namespace, requestNameFor(cert));
      if (!cr) return;
      const failure = requestFailure(cr);
      if (failure) return fail(cert, `The certificate request has failed to complete and will be retried: ${failure}`);
      if (!hasCondition(cr.status?.conditions, ConditionTypes.Ready, 'True') || !cr.status?.certificate) return;

      const keySecretName = cr.metadata.annotations?.[CertificateRequestAnnotations.PrivateKeySecretName] ?? cert.status?.nextPrivateKeySecretName;
      const keyPem = keySecretName ? secretValue(await readSecret(ctx, namespace, keySecretName), SecretKeys.PrivateKey) : undefined;
      if (!keyPem) {
        log.warn({ secret: keySecretName }, 'the private key of the issued request is gone; issuing again');
        return fail(cert, `The private key Secret "${keySecretName}" of the issued request no longer exists`);
      }
      const certificatePem = Buffer.from(cr.status.certificate, 'base64').toString('utf8');
      const caPem = cr.status.ca ? Buffer.from(cr.status.ca, 'base64').toString('utf8') : undefined;
      let written;
      try {
        written = await writeCertificateSecret(ctx, cert, { certificatePem, privateKeyPem: keyPem, caPem });
      } catch (e) {
        if (e instanceof CertificateCheckError) return fail(cert, e.message);
        throw e;
      }
      const issued = { ...cert.status };
      issued.revision = (cert.status?.revision ?? 0) + 1;
      issued.conditions = removeCondition(cert.status?.conditions, ConditionTypes.Issuing);
      delete issued.failedIssuanceAttempts;
      delete issued.lastFailureTime;
      delete issued.nextPrivateKeySecretName;
      // Ready, notAfter and renewalTime from the Secret just written, in the same status write.
      const readiness = readinessStatus({ ...cert, status: issued }, written, ctx.clock.now(), cr);
      const status = readiness.status;
      const updated = await updateCertificateStatus(ctx, cert, status);
      warnIfRenewalRuleIgnored(ctx, cert, readiness);
      countIssuance(cert, issued.revision > 1 ? 'renewed' : 'issued');
      ctx.recorder.event(cert, 'Normal', 'Issuing', 'The certificate has been successfully issued');
      log.info({ revision: issued.revision, request: cr.metadata.name }, 'certificate issued and stored');
      if (keySecretName) await deleteSecret(ctx, namespace, keySecretName);
      await pruneRequests(ctx, updated);
    },
  });

  function countIssuance(cert: Certificate, result: IssuanceResult) {
    const ref = cert.spec.issuerRef;
    ctx.metrics.issuances.inc({ namespace: cert.metadata.namespace!, issuer_name: ref.name, issuer_kind: ref.kind || 'Issuer', result });
  }

  async function fail(cert: Certificate, message: string) {
    const now = ctx.clock.now();
    const status = { ...cert.status };
    const attempts = (cert.status?.failedIssuanceAttempts ?? 0) + 1;
    status.failedIssuanceAttempts = attempts;
    status.lastFailureTime = timestamp(now);
    // Say when the trigger will try again: the backoff depends on worker flags users cannot see.
    const retryAt = timestamp(now + failureBackoffMs(attempts, ctx.config.renewBackoffBaseMs, ctx.config.renewBackoffMaxMs));
    const full = `${message} (failed attempt ${attempts}; next attempt after ${retryAt}, or sooner when the spec changes or on certgate renew)`;
    status.conditions = setCondition(
      cert.status?.conditions,
      { type: ConditionTypes.Issuing, status: 'False', reason: 'Failed', message: full, observedGeneration: cert.metadata.generation },
      now,
    );
    await updateCertificateStatus(ctx, cert, status);
    countIssuance(cert, 'failed');
    ctx.recorder.event(cert, 'Warning', 'Failed', full);
  }

  return ctrl;
}

/** Deletes the temporary key Secret once nothing is being issued. */
async function removeNextKey(ctx: WorkerContext, cert: Certificate): Promise<void> {
  const name = cert.status?.nextPrivateKeySecretName;
  if (!name) return;
  await deleteSecret(ctx, cert.metadata.namespace!, name);
  const status = { ...cert.status };
  delete status.nextPrivateKeySecretName;
  await updateCertificateStatus(ctx, cert, status);
}

/**
 * Keeps the newest revisionHistoryLimit (default 1) issued CertificateRequests of the Certificate
 * and deletes its other requests, oldest first. Failed attempts (`<name>-<revision>-retry<n>` and
 * the request they retried) go too, as cert-manager counts every request with a revision: kept
 * out of the count, they would stay forever.
 */
async function pruneRequests(ctx: WorkerContext, cert: Certificate): Promise<void> {
  const limit = defaultCertificateSpec(cert.spec).revisionHistoryLimit;
  if (!(limit >= 1)) return;
  const owned = requestsByCertificate(ctx)
    .get(`${cert.metadata.namespace}/${cert.metadata.name}`)
    .filter((cr) => revisionOf(cr) > 0)
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  const kept = new Set(owned.filter((cr) => hasCondition(cr.status?.conditions, ConditionTypes.Ready, 'True')).slice(-limit));
  for (const cr of owned) if (!kept.has(cr)) await ctx.client.delete(Resources.CertificateRequest, cr.metadata.namespace, cr.metadata.name!);
}

function revisionOf(cr: CertificateRequest): number {
  return Number(cr.metadata.annotations?.[CertificateRequestAnnotations.CertificateRevision] ?? 0);
}
