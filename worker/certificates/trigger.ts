// Trigger: decides when a Certificate needs a new certificate and sets Issuing=True with the
// reason. Schedules the renewal as a delayed re-queue at renewalTime (no periodic scan) and, after
// a failed issuance, waits out the backoff (base doubling to max) unless the spec changed since.
import { CertificateReasons, ConditionTypes } from '../../api/constants.ts';
import { Priority } from '../../lib/workqueue.ts';
import { hasCondition, setCondition } from '../conditions.ts';
import { keyOf, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { readSecret } from '../secrets.ts';
import { createCertificateController, currentRevisionRequest, updateCertificateStatus } from './common.ts';
import { evaluateSecret, remainingBackoffMs } from './policy.ts';
import { createIssuanceSlots } from './slots.ts';
import { readinessStatus } from './readiness.ts';

export const TRIGGER_CONTROLLER = 'certificates-trigger';

export function createTriggerController(ctx: WorkerContext): QueueController {
  const slots = createIssuanceSlots(
    ctx.caches.certificates,
    ctx.config.maxConcurrentIssuances,
    (key) => ctrl.queue.add(key, Priority.High),
    () => ctx.clock.now(),
  );
  const ctrl = createCertificateController(ctx, {
    name: TRIGGER_CONTROLLER,
    reconcile: async (cert, log) => {
      const namespace = cert.metadata.namespace!;
      if (hasCondition(cert.status?.conditions, ConditionTypes.Issuing, 'True')) return;
      const now = ctx.clock.now();
      const current = currentRevisionRequest(ctx, cert);
      // A first look without a request: issuing is confirmed with a fresh read below.
      let evaluation = evaluateSecret(cert, await readSecret(ctx, namespace, cert.spec.secretName, { noRequest: true }), now, current);
      if (!evaluation.reason) return scheduleRenewal(evaluation.renewalTime, now);

      const backoff = remainingBackoffMs(cert, now, ctx.config.renewBackoffBaseMs, ctx.config.renewBackoffMaxMs, evaluation.info?.notAfter);
      if (backoff > 0) {
        log.info({ retryInMs: backoff }, 'issuance failed before; waiting for the backoff');
        return { requeueAfterMs: backoff };
      }
      const renewal = evaluation.reason === CertificateReasons.Renewing || evaluation.reason === CertificateReasons.Expired;
      if (!slots.acquire(keyOf(cert), { urgent: !renewal, dueMs: evaluation.renewalTime?.getTime() ?? now })) {
        log.debug({ reason: evaluation.reason, ...slots.counts() }, 'waiting for an issuance slot');
        return;
      }
      // Confirm against the API, not the cache: a Secret written a moment ago must not cause a second issuance.
      const secret = await readSecret(ctx, namespace, cert.spec.secretName, { fresh: true });
      evaluation = evaluateSecret(cert, secret, now, current);
      if (!evaluation.reason) {
        slots.giveBack(keyOf(cert));
        return scheduleRenewal(evaluation.renewalTime, now);
      }

      // Readiness's view of the same Secret goes into the same write (a new Certificate is Ready=False from here).
      const status = readinessStatus(cert, secret, now, current).status;
      status.conditions = setCondition(
        status.conditions,
        {
          type: ConditionTypes.Issuing,
          status: 'True',
          reason: evaluation.reason,
          message: evaluation.message ?? '',
          observedGeneration: cert.metadata.generation,
        },
        now,
      );
      await updateCertificateStatus(ctx, cert, status);
      ctx.recorder.event(cert, 'Normal', 'Issuing', evaluation.message ?? 'Issuing certificate');
      log.info({ reason: evaluation.reason }, 'issuance triggered');
    },
  });

  function scheduleRenewal(renewal: Date | undefined, now: number) {
    return renewal ? { requeueAfterMs: Math.max(1, renewal.getTime() - now) } : undefined;
  }

  return ctrl;
}
