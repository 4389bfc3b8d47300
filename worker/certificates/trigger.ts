// Trigger: decides when a Certificate needs a new certificate and sets Issuing=True with the
// reason. Schedules the renewal as a delayed re-queue at renewalTime (no periodic scan) and, after
// a failed issuance, waits out the backoff (base doubling to max) unless the spec changed since.
import { CertificateReasons, ConditionTypes } from '../../api/constants.ts';
import { Priority } from '../../lib/workqueue.ts';
import { setCondition } from '../conditions.ts';
import { keyOf, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { readSecret } from '../secrets.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { Logger } from '../../lib/log.ts';
import type { ReconcileResult } from '../../lib/workqueue.ts';
import {
  certificateReader,
  createCertificateController,
  currentRevisionRequest,
  isIssuing,
  liveCertificate,
  oneAtATime,
  updateCertificateStatus,
} from './common.ts';
import { evaluateSecret, issuanceReason, remainingBackoffMs } from './policy.ts';
import { createIssuanceSlots } from './slots.ts';
import { readinessStatus } from './readiness.ts';
import { nextKeySecretNameFor } from '../object-names.ts';

export const TRIGGER_CONTROLLER = 'certificates-trigger';

export function createTriggerController(ctx: WorkerContext): QueueController {
  const slots = createIssuanceSlots(
    ctx.caches.certificates,
    ctx.config.maxConcurrentIssuances,
    (key) => ctrl.queue.add(key, Priority.High),
    () => ctx.clock.now(),
    (cert) => certificateReader(ctx).get(cert.metadata.namespace, cert.metadata.name!) ?? cert,
  );
  // When each version of a Certificate reached this worker (watch or our own write's answer): a GET
  // of its Secret sent after that confirms the trigger's decision as well as one of its own.
  const seenAt = new WeakMap<Certificate, number>();
  const stamp = (cert: Certificate) => void seenAt.set(cert, performance.now());
  ctx.caches.certificates.on('add', stamp);
  ctx.caches.certificates.on('update', stamp);
  certificateReader(ctx).onWrite((cert) => {
    stamp(cert);
    slots.seen(cert);
  });
  // A Certificate added while the worker runs (not one of the cache's first list) was just created,
  // most likely by a user who waits for it: its first look goes ahead of thousands queued at start
  // (and a parked one is started newest first). The other controllers follow once it is Issuing.
  ctx.caches.certificates.on('add', (cert: Certificate) => {
    if (ctrl.queue.started) ctrl.enqueue(cert, Priority.High);
  });
  const ctrl = createCertificateController(ctx, {
    name: TRIGGER_CONTROLLER,
    // Most passes end at the first look (up to date, backing off, or parked for a slot) without a
    // request or a write: those do not wait for the other controllers' turn on the Certificate.
    oneAtATime: false,
    reconcile: async (first, log) => {
      const look = await firstLook(first, log);
      if ('done' in look) return look.done;
      const key = keyOf(first);
      const renewal = look.evaluation.reason === CertificateReasons.Renewing || look.evaluation.reason === CertificateReasons.Expired;
      if (!slots.acquire(key, { urgent: !renewal, dueMs: look.evaluation.renewalTime?.getTime() ?? look.now })) {
        log.debug({ reason: look.evaluation.reason, ...slots.counts() }, 'waiting for an issuance slot');
        return;
      }
      return oneAtATime(ctx, key, () => trigger(key, log)).finally(() => {
        // A pass that did not start issuing (up to date after all, gone, an error) gives its slot back.
        const latest = liveCertificate(ctx, key);
        if (!latest || !isIssuing(latest)) slots.giveBack(key);
      });
    },
  });

  /** What the caches say: nothing to do now (the result to return), or issue, and why. */
  async function firstLook(cert: Certificate, log: Logger) {
    if (isIssuing(cert)) return { done: undefined };
    const now = ctx.clock.now();
    const current = currentRevisionRequest(ctx, cert);
    // Without a request: issuing is confirmed with a fresh read in the Certificate's turn.
    const evaluation = evaluateSecret(cert, await readSecret(ctx, cert.metadata.namespace!, cert.spec.secretName, { noRequest: true }), now, current);
    if (!issuanceReason(cert, evaluation)) return { done: scheduleRenewal(evaluation.renewalTime, now) };
    const backoff = remainingBackoffMs(cert, now, ctx.config.renewBackoffBaseMs, ctx.config.renewBackoffMaxMs, evaluation.info?.notAfter);
    if (backoff > 0) {
      log.info({ retryInMs: backoff }, 'issuance failed before; waiting for the backoff');
      return { done: { requeueAfterMs: backoff } };
    }
    return { evaluation, current, now };
  }

  /** In the Certificate's turn: the first look again on the newest Certificate, the Secret read fresh, then Issuing=True. */
  async function trigger(key: string, log: Logger): Promise<ReconcileResult> {
    const cert = liveCertificate(ctx, key);
    if (!cert) return;
    const look = await firstLook(cert, log);
    if ('done' in look) return look.done;
    const { current, now } = look;
    // Confirm before acting, as cert-manager does from its informers: this worker's own Secret
    // writes (which the cache may not show yet: the Secret just issued must not cause a second
    // issuance), the watched cache of labelled Secrets, and for any other (not yet written, or not
    // labelled) the answer of a GET sent after this version of the Certificate arrived: the
    // readiness controller's for a new Certificate, or one of our own.
    const secret = await readSecret(ctx, cert.metadata.namespace!, cert.spec.secretName, { since: seenAt.get(cert) ?? Infinity });
    const evaluation = evaluateSecret(cert, secret, now, current);
    const reason = issuanceReason(cert, evaluation);
    if (!reason) return scheduleRenewal(evaluation.renewalTime, now);

    // Readiness's view of the same Secret goes into the same write (a new Certificate is Ready=False from here).
    const status = readinessStatus(cert, secret, now, current).status;
    status.conditions = setCondition(
      status.conditions,
      {
        type: ConditionTypes.Issuing,
        status: 'True',
        reason,
        message: evaluation.message ?? '',
        observedGeneration: cert.metadata.generation,
      },
      now,
    );
    // The next key's Secret is named in the same write when none of that name exists: the key
    // manager then creates it without a status write of its own. One that exists already (left
    // over from an earlier issuance) stays unrecorded, so the key manager checks it first.
    const keySecretName = cert.status?.nextPrivateKeySecretName ?? nextKeySecretNameFor(cert);
    if (!ctx.caches.secrets.get(keySecretName, cert.metadata.namespace)) status.nextPrivateKeySecretName = keySecretName;
    await updateCertificateStatus(ctx, cert, status);
    ctx.recorder.event(cert, 'Normal', 'Issuing', evaluation.message ?? 'Issuing certificate');
    log.info({ reason: evaluation.reason }, 'issuance triggered');
  }

  function scheduleRenewal(renewal: Date | undefined, now: number) {
    return renewal ? { requeueAfterMs: Math.max(1, renewal.getTime() - now) } : undefined;
  }

  return ctrl;
}
