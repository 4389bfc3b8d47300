// Readiness: the Ready condition, notBefore, notAfter and renewalTime from what is actually in
// the Secret, and the certificate metrics. A certificate due for renewal is still Ready.
import type { Certificate } from '../../api/types.generated.ts';
import { CertificateReasons, ConditionTypes } from '../../api/constants.ts';
import { setCondition, timestamp } from '../conditions.ts';
import { createQueueController, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { readSecret } from '../secrets.ts';
import { certificateKeys, currentRevisionRequest, updateCertificateStatus, watchCertificateInputs, withoutUndefined } from './common.ts';
import { evaluateSecret } from './policy.ts';

export const READINESS_CONTROLLER = 'certificates-readiness';

export const RENEWAL_RULE_IGNORED_REASON = 'RenewalRuleIgnored';
const DEFAULT_RULE_TEXT = 'a third of the lifetime is left (half for certificates of 10 days or less)';

function readyMessage(renewalRuleIgnored: string | undefined): string {
  return renewalRuleIgnored
    ? `Certificate is up to date and has not expired; it renews when ${DEFAULT_RULE_TEXT}, because ${renewalRuleIgnored}`
    : 'Certificate is up to date and has not expired';
}

export function createReadinessController(ctx: WorkerContext): QueueController {
  const ctrl = createQueueController(ctx, {
    name: READINESS_CONTROLLER,
    initialKeys: () => certificateKeys(ctx),
    reconcile: async (key) => {
      const [namespace, name] = key.split('/');
      const cert = ctx.caches.certificates.get(name, namespace);
      if (!cert) {
        ctx.metrics.certificates.forget(namespace, name);
        return;
      }
      if (cert.metadata.deletionTimestamp) return;
      const now = ctx.clock.now();
      const evaluation = evaluateSecret(cert, await readSecret(ctx, namespace, cert.spec.secretName, { managed: true }), now, currentRevisionRequest(ctx, cert));
      const ready = !evaluation.reason || evaluation.reason === CertificateReasons.Renewing;
      const conditions = setCondition(
        cert.status?.conditions,
        ready
          ? { type: ConditionTypes.Ready, status: 'True', reason: CertificateReasons.Ready, message: readyMessage(evaluation.renewalRuleIgnored), observedGeneration: cert.metadata.generation }
          : { type: ConditionTypes.Ready, status: 'False', reason: evaluation.reason!, message: evaluation.message ?? '', observedGeneration: cert.metadata.generation },
        now,
      );
      const status = withoutUndefined({
        ...cert.status,
        conditions,
        notBefore: evaluation.info ? timestamp(evaluation.info.notBefore.getTime()) : undefined,
        notAfter: evaluation.info ? timestamp(evaluation.info.notAfter.getTime()) : undefined,
        renewalTime: evaluation.renewalTime ? timestamp(evaluation.renewalTime.getTime()) : undefined,
        renewalTimeSource: evaluation.renewalTime ? evaluation.renewalTimeSource : undefined,
      });
      const previous = cert.status?.conditions?.find((c) => c.type === ConditionTypes.Ready)?.message;
      const updated = await updateCertificateStatus(ctx, cert, status);
      // Once per change of the message, not per pass: the Event says what to fix.
      if (ready && evaluation.renewalRuleIgnored && previous !== readyMessage(evaluation.renewalRuleIgnored)) {
        ctx.recorder.event(cert, 'Warning', RENEWAL_RULE_IGNORED_REASON, `${evaluation.renewalRuleIgnored}; renewing when ${DEFAULT_RULE_TEXT} instead. Fix spec.renewBeforePercentage (1 to 99) or spec.renewBefore (shorter than spec.duration)`);
      }
      ctx.metrics.certificates.observe({ ...updated, status });
      // Ready flips to Expired at notAfter without any event: look again then.
      if (ready && evaluation.info) return { requeueAfterMs: Math.max(1000, evaluation.info.notAfter.getTime() - now) };
    },
  });
  watchCertificateInputs(ctx, ctrl);
  return ctrl;
}
