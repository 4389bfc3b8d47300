// Readiness: the Ready condition, notBefore, notAfter and renewalTime from what is actually in
// the Secret, and the certificate metrics. A certificate due for renewal is still Ready.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate, CertificateRequest, CertificateStatus } from '../../api/types.generated.ts';
import { CertificateReasons, ConditionTypes } from '../../api/constants.ts';
import { setCondition, timestamp } from '../conditions.ts';
import { createQueueController, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { readSecret } from '../secrets.ts';
import {
  certificateKeys,
  certificateReader,
  oneAtATime,
  currentRevisionRequest,
  updateCertificateStatus,
  watchCertificateInputs,
  withoutUndefined,
} from './common.ts';
import { evaluateSecret } from './policy.ts';

export const READINESS_CONTROLLER = 'certificates-readiness';

const RENEWAL_RULE_IGNORED_REASON = 'RenewalRuleIgnored';
const DEFAULT_RULE_TEXT = 'a third of the lifetime is left (half for certificates of 10 days or less)';

function readyMessage(renewalRuleIgnored: string | undefined): string {
  return renewalRuleIgnored
    ? `Certificate is up to date and has not expired; it renews when ${DEFAULT_RULE_TEXT}, because ${renewalRuleIgnored}`
    : 'Certificate is up to date and has not expired';
}

/**
 * The status readiness owns (Ready, notBefore, notAfter, renewalTime) for the Secret as it is, on
 * top of the rest of cert.status. The trigger and issuing controllers apply it in the same write
 * when they change status because the Secret changed, so readiness then has nothing left to write.
 */
export function readinessStatus(cert: Certificate, secret: V1Secret | undefined, now: number, currentRequest: CertificateRequest | undefined) {
  const evaluation = evaluateSecret(cert, secret, now, currentRequest);
  const ready = !evaluation.reason || evaluation.reason === CertificateReasons.Renewing;
  const conditions = setCondition(
    cert.status?.conditions,
    ready
      ? {
          type: ConditionTypes.Ready,
          status: 'True',
          reason: CertificateReasons.Ready,
          message: readyMessage(evaluation.renewalRuleIgnored),
          observedGeneration: cert.metadata.generation,
        }
      : {
          type: ConditionTypes.Ready,
          status: 'False',
          reason: evaluation.reason!,
          message: evaluation.message ?? '',
          observedGeneration: cert.metadata.generation,
        },
    now,
  );
  const status: CertificateStatus = withoutUndefined({
    ...cert.status,
    conditions,
    notBefore: evaluation.info ? timestamp(evaluation.info.notBefore.getTime()) : undefined,
    notAfter: evaluation.info ? timestamp(evaluation.info.notAfter.getTime()) : undefined,
    renewalTime: evaluation.renewalTime ? timestamp(evaluation.renewalTime.getTime()) : undefined,
    renewalTimeSource: evaluation.renewalTime ? evaluation.renewalTimeSource : undefined,
  });
  return { status, ready, evaluation };
}

/** A Warning once per change of the Ready message (not per pass) when the renewal rule was ignored: the Event says what to fix. */
export function warnIfRenewalRuleIgnored(ctx: WorkerContext, before: Certificate, readiness: ReturnType<typeof readinessStatus>): void {
  const ignored = readiness.evaluation.renewalRuleIgnored;
  if (!readiness.ready || !ignored) return;
  if (before.status?.conditions?.find((c) => c.type === ConditionTypes.Ready)?.message === readyMessage(ignored)) return;
  ctx.recorder.event(
    before,
    'Warning',
    RENEWAL_RULE_IGNORED_REASON,
    `${ignored}; renewing when ${DEFAULT_RULE_TEXT} instead. Fix spec.renewBeforePercentage (1 to 99) or spec.renewBefore (shorter than spec.duration)`,
  );
}

export function createReadinessController(ctx: WorkerContext): QueueController {
  const ctrl = createQueueController(ctx, {
    name: READINESS_CONTROLLER,
    initialKeys: () => certificateKeys(ctx),
    reconcile: async (key) => {
      const [namespace, name] = key.split('/');
      const first = certificateReader(ctx).get(namespace, name);
      // The Secret is read before the Certificate's turn: a GET must not hold up the other controllers.
      const read = first && !first.metadata.deletionTimestamp ? await readSecret(ctx, namespace, first.spec.secretName) : undefined;
      return oneAtATime(ctx, key, async () => {
        const cert = certificateReader(ctx).get(namespace, name);
        if (!cert) {
          ctx.metrics.certificates.forget(namespace, name);
          return;
        }
        if (cert.metadata.deletionTimestamp) return;
        const now = ctx.clock.now();
        // Again from the cache (answered without a request now): the Secret may have been written meanwhile.
        const secret =
          cert.spec.secretName === first?.spec.secretName
            ? ((await readSecret(ctx, namespace, cert.spec.secretName, { noRequest: true })) ?? read)
            : await readSecret(ctx, namespace, cert.spec.secretName);
        const readiness = readinessStatus(cert, secret, now, currentRevisionRequest(ctx, cert));
        const { status, ready, evaluation } = readiness;
        const updated = await updateCertificateStatus(ctx, cert, status);
        warnIfRenewalRuleIgnored(ctx, cert, readiness);
        ctx.metrics.certificates.observe({ ...updated, status });
        // Ready flips to Expired at notAfter without any event: look again then.
        if (ready && evaluation.info) return { requeueAfterMs: Math.max(1000, evaluation.info.notAfter.getTime() - now) };
      });
    },
  });
  watchCertificateInputs(ctx, ctrl);
  return ctrl;
}
