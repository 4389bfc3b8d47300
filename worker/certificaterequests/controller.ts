// CertificateRequest controller: approves requests (certgate's built-in approver, unless
// --disable-auto-approval leaves that to another approver), then asks the
// backend of the referenced issuer to sign them and mirrors the answer in status (Ready
// condition Pending/Issued/Failed, certificate, ca, failureTime). Final requests are left alone.
import type { CertificateRequest, ClusterIssuer, Issuer, Order } from '../../api/types.generated.ts';
import { CertificateRequestReasons, ConditionTypes } from '../../api/constants.ts';
import { Resources } from '../../api/resources.ts';
import { getCondition, hasCondition, setCondition, timestamp } from '../conditions.ts';
import { controllerOwner, createQueueController, keyOf, type QueueController } from '../controller.ts';
import { backendFor, type IssuerBackends, type SignResult } from '../issuance/backend.ts';
import type { WorkerContext } from '../context.ts';
import { isOurIssuerRef, resolveIssuer } from '../issuer-ref.ts';
import { b64 } from '../secrets.ts';
import { semanticallyEqual } from '../../lib/semantic-equal.ts';
import { Priority } from '../../lib/workqueue.ts';
import { pipelineConcurrency, requestReader } from '../certificates/common.ts';
import { orderReader } from '../acme/runtime.ts';

const CERTIFICATE_REQUEST_CONTROLLER = 'certificaterequests-issuer';
const RECHECK_MS = 5000;

/** Issued, Failed, Denied or InvalidRequest: nothing more will happen to the request. */
function isFinal(cr: CertificateRequest): boolean {
  const c = cr.status?.conditions;
  const ready = getCondition(c, ConditionTypes.Ready);
  if (ready?.status === 'True') return true;
  if (ready?.status === 'False' && (ready.reason === CertificateRequestReasons.Failed || ready.reason === CertificateRequestReasons.Denied)) return true;
  return hasCondition(c, ConditionTypes.Denied, 'True') || hasCondition(c, ConditionTypes.InvalidRequest, 'True');
}

/** Denied by an approver, and its Ready condition does not say so yet. */
function deniedUnmarked(cr: CertificateRequest): boolean {
  return (
    hasCondition(cr.status?.conditions, ConditionTypes.Denied, 'True') &&
    getCondition(cr.status?.conditions, ConditionTypes.Ready)?.reason !== CertificateRequestReasons.Denied
  );
}

export function createCertificateRequestController(ctx: WorkerContext, backends: IssuerBackends): QueueController {
  const requests = ctx.caches.certificateRequests;
  // Our own status writes are read back without waiting for the watch (approve, then sign, in one pass).
  const reader = requestReader(ctx);
  /** Requests whose status this pass changed in memory only (the approval). */
  const unsaved = new WeakSet<CertificateRequest>();
  const ctrl = createQueueController(ctx, {
    name: CERTIFICATE_REQUEST_CONTROLLER,
    // One per issuance slot (the request is one stage of a Certificate's pipeline), at least 4.
    concurrency: Math.max(4, pipelineConcurrency(ctx)),
    initialKeys: () =>
      requests
        .list()
        .filter((cr) => !isFinal(cr) || deniedUnmarked(cr))
        .map(keyOf),
    reconcile: async (key, log) => {
      const [namespace, name] = key.split('/');
      let cr = reader.get(namespace, name);
      if (!cr || cr.metadata.deletionTimestamp || !isOurIssuerRef(cr.spec.issuerRef)) return;
      const now = ctx.clock.now();
      if (deniedUnmarked(cr)) {
        // As cert-manager: a denied request is over, and its Ready condition says so.
        const conditions = setCondition(
          cr.status?.conditions,
          {
            type: ConditionTypes.Ready,
            status: 'False',
            reason: CertificateRequestReasons.Denied,
            message: 'The CertificateRequest was denied by an approval controller',
          },
          now,
        );
        await write(cr, { ...cr.status, conditions, failureTime: cr.status?.failureTime ?? timestamp(now) });
        return;
      }
      if (isFinal(cr)) return;

      if (
        ctx.config.autoApproval &&
        !getCondition(cr.status?.conditions, ConditionTypes.Approved) &&
        !getCondition(cr.status?.conditions, ConditionTypes.Denied)
      ) {
        const conditions = setCondition(
          cr.status?.conditions,
          {
            type: ConditionTypes.Approved,
            status: 'True',
            reason: CertificateRequestReasons.AutoApproved,
            message: 'Certificate request has been approved by cert-manager.io',
          },
          now,
        );
        // Written with the signer's first answer (one status write instead of two); a failure
        // before that write leaves the request unapproved, and the retry approves it again.
        cr = { ...cr, status: { ...cr.status, conditions } };
        unsaved.add(cr);
      }
      if (!hasCondition(cr.status?.conditions, ConditionTypes.Approved, 'True')) return;

      const resolved = resolveIssuer(ctx, cr.spec.issuerRef, namespace);
      if (!resolved) {
        return pending(
          cr,
          `Referenced "${cr.spec.issuerRef.kind || 'Issuer'}" not found: ${cr.spec.issuerRef.kind === 'ClusterIssuer' ? '' : `${namespace}/`}${cr.spec.issuerRef.name}`,
          RECHECK_MS,
        );
      }
      if (!hasCondition(resolved.issuer.status?.conditions, ConditionTypes.Ready, 'True')) {
        return pending(cr, `Referenced issuer does not have a Ready status condition`, RECHECK_MS);
      }
      const backend = backendFor(backends, resolved.issuer);
      if (!backend) return fail(cr, 'The referenced issuer has no issuer type certgate supports (acme, ca or selfSigned)');

      const result: SignResult = await backend.sign({
        request: cr,
        issuer: resolved.issuer,
        issuerKind: resolved.kind,
        resourceNamespace: resolved.resourceNamespace,
      });
      switch (result.state) {
        case 'issued': {
          const conditions = setCondition(
            cr.status?.conditions,
            { type: ConditionTypes.Ready, status: 'True', reason: CertificateRequestReasons.Issued, message: 'Certificate fetched from issuer successfully' },
            now,
          );
          await write(cr, { ...cr.status, conditions, certificate: b64(result.certificatePem), ...(result.caPem ? { ca: b64(result.caPem) } : {}) });
          ctx.recorder.event(cr, 'Normal', 'CertificateIssued', 'Certificate fetched from issuer successfully');
          log.info('certificate issued');
          return;
        }
        case 'pending':
          // One status write per change the user can act on, not one per step of the backend's
          // own objects: the approval goes with the first of those.
          if (result.untilNews) return result.recheckAfterMs ? { requeueAfterMs: result.recheckAfterMs } : undefined;
          return pending(cr, result.message, result.recheckAfterMs, result.reason);
        case 'failed':
          return fail(cr, result.message);
      }
    },
  });

  async function write(cr: CertificateRequest, status: CertificateRequest['status']): Promise<CertificateRequest> {
    if (!unsaved.has(cr) && semanticallyEqual(cr.status ?? {}, status ?? {})) return cr;
    const updated = await ctx.client.replaceStatus<CertificateRequest>(Resources.CertificateRequest, { ...cr, status });
    reader.wrote(updated);
    return updated;
  }

  async function pending(cr: CertificateRequest, message: string, recheckAfterMs?: number, reason: string = CertificateRequestReasons.Pending) {
    const prior = getCondition(cr.status?.conditions, ConditionTypes.Ready);
    const conditions = setCondition(cr.status?.conditions, { type: ConditionTypes.Ready, status: 'False', reason, message }, ctx.clock.now());
    await write(cr, { ...cr.status, conditions });
    // Once when the request starts waiting (or waits for another reason), not for every step of
    // an Order's progress: the condition's message has the detail.
    if (prior?.reason !== reason) ctx.recorder.event(cr, 'Normal', 'Pending', message);
    return recheckAfterMs ? { requeueAfterMs: recheckAfterMs } : undefined;
  }

  async function fail(cr: CertificateRequest, message: string) {
    const now = ctx.clock.now();
    const conditions = setCondition(
      cr.status?.conditions,
      { type: ConditionTypes.Ready, status: 'False', reason: CertificateRequestReasons.Failed, message },
      now,
    );
    await write(cr, { ...cr.status, conditions, failureTime: timestamp(now) });
    ctx.recorder.event(cr, 'Warning', 'Failed', message);
  }

  // A request in flight is a Certificate's pipeline in progress: ahead of the resync.
  for (const verb of ['add', 'update'] as const) requests.on(verb, (cr: CertificateRequest) => ctrl.enqueue(cr, Priority.High));
  // A request the request manager just created is signed now, not when the watch brings it.
  reader.onWrite((cr) => ctrl.enqueue(cr, Priority.High));
  // An Order changing (owned by its request) means sign() has news.
  const fromOrder = (o: Order) => {
    const owner = controllerOwner(o, 'CertificateRequest');
    if (owner && o.metadata.namespace) ctrl.queue.add(`${o.metadata.namespace}/${owner}`, Priority.High);
  };
  for (const verb of ['add', 'update', 'delete'] as const) ctx.caches.orders.on(verb, fromOrder);
  // The Order controller's own status writes (a certificate in status) need not wait for the watch.
  orderReader(ctx).onWrite(fromOrder);
  // An issuer appearing or becoming Ready unblocks the requests that wait for it.
  const fromIssuer = (cluster: boolean) => (issuer: Issuer | ClusterIssuer) => {
    for (const cr of requests.list(cluster ? undefined : issuer.metadata.namespace)) {
      const ref = cr.spec.issuerRef;
      if (ref.name === issuer.metadata.name && (ref.kind === 'ClusterIssuer') === cluster && !isFinal(cr)) ctrl.enqueue(cr);
    }
  };
  for (const verb of ['add', 'update'] as const) {
    ctx.caches.issuers.on(verb, fromIssuer(false));
    ctx.caches.clusterIssuers.on(verb, fromIssuer(true));
  }
  return ctrl;
}
