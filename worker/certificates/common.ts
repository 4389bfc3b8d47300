// Helpers the certificate controllers share: their shape (createCertificateController), their watches (Certificates, the Secrets and
// CertificateRequests that belong to them) and a compare-then-write status update.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate, CertificateRequest, CertificateStatus } from '../../api/types.generated.ts';
import { CertificateRequestAnnotations, ConditionTypes, SecretAnnotations } from '../../api/constants.ts';
import { Resources } from '../../api/resources.ts';
import { Priority, type ReconcileResult } from '../../lib/workqueue.ts';
import type { Logger } from '../../lib/log.ts';
import { controllerOwner, createQueueController, keyOf, splitKey, type QueueController } from '../controller.ts';
import type { WorkerContext } from '../context.ts';
import { semanticallyEqual } from '../../lib/semantic-equal.ts';
import { cacheIndex, type CacheIndex } from '../cache-index.ts';
import { freshReaderFor, type FreshReader } from '../fresh-reads.ts';

export function certificateKeys(ctx: WorkerContext): string[] {
  return ctx.caches.certificates.list().map(keyOf);
}

/**
 * Certificates as the cache holds them or, until the watch delivers it, as this worker's last status
 * write left them: five controllers write one Certificate's status in turn, and one that read the
 * cache before the previous write arrived would fail with a conflict and back off.
 */
export function certificateReader(ctx: WorkerContext): FreshReader<Certificate> {
  return freshReaderFor(ctx.caches.certificates, (ns, name) => ctx.client.get<Certificate>(Resources.Certificate, ns, name));
}

/** CertificateRequests as the cache holds them or as this worker last created or wrote them. */
export function requestReader(ctx: Pick<WorkerContext, 'caches' | 'client'>): FreshReader<CertificateRequest> {
  return freshReaderFor(ctx.caches.certificateRequests, (ns, name) => ctx.client.get<CertificateRequest>(Resources.CertificateRequest, ns, name));
}

const locks = new WeakMap<WorkerContext['caches']['certificates'], Map<string, Promise<unknown>>>();

/**
 * Runs fn while no other certificate controller works on the same Certificate. The five
 * controllers take turns on one Certificate's status: one that read it while another was writing
 * would write on a stale resourceVersion, fail with a conflict and back off. In turn, each sees
 * the previous one's write (certificateReader). Different Certificates still run in parallel.
 */
export function oneAtATime<T>(ctx: WorkerContext, key: string, fn: () => Promise<T>): Promise<T> {
  let byKey = locks.get(ctx.caches.certificates);
  if (!byKey) locks.set(ctx.caches.certificates, (byKey = new Map()));
  const previous = byKey.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const settled = run.then(
    () => {},
    () => {},
  );
  byKey.set(key, settled);
  void settled.then(() => {
    if (byKey.get(key) === settled) byKey.delete(key);
  });
  return run;
}

/** The Certificate a queue key names (cache or our last write); undefined when it is gone or being deleted. */
export function liveCertificate(ctx: WorkerContext, key: string): Certificate | undefined {
  const { namespace, name } = splitKey(key);
  const cert = certificateReader(ctx).get(namespace, name);
  return cert && !cert.metadata.deletionTimestamp ? cert : undefined;
}

/** The issued CertificateRequest of the Certificate's current revision, from the cache; undefined when there is none. */
export function currentRevisionRequest(ctx: WorkerContext, cert: Certificate): CertificateRequest | undefined {
  const revision = cert.status?.revision;
  if (!revision) return undefined;
  return requestsByCertificate(ctx)
    .get(`${cert.metadata.namespace}/${cert.metadata.name}`)
    .find(
      (cr) =>
        cr.metadata.annotations?.[CertificateRequestAnnotations.CertificateRevision] === String(revision) &&
        !!cr.status?.conditions?.some((c) => c.type === ConditionTypes.Ready && c.status === 'True'),
    );
}

/** Certificates by "namespace/spec.secretName". */
function certificatesBySecret(ctx: WorkerContext): CacheIndex<Certificate> {
  return cacheIndex(ctx.caches.certificates, 'secretName', (c) => (c.spec?.secretName ? [`${c.metadata.namespace}/${c.spec.secretName}`] : []));
}

/** CertificateRequests by "namespace/name" of the Certificate that controls them. */
export function requestsByCertificate(ctx: WorkerContext): CacheIndex<CertificateRequest> {
  return cacheIndex(ctx.caches.certificateRequests, 'certificate', (cr) => {
    const owner = controllerOwner(cr, 'Certificate');
    return owner ? [`${cr.metadata.namespace}/${owner}`] : [];
  });
}

/** A Certificate being issued: its pipeline goes before Certificates that have not started, so one finishes before the next starts. */
export const isIssuing = (c: Certificate): boolean => !!c.status?.conditions?.some((x) => x.type === ConditionTypes.Issuing && x.status === 'True');
const priorityOf = (c: Certificate): Priority => (isIssuing(c) ? Priority.High : Priority.Normal);

/**
 * Re-queues the Certificate whenever it, its Secret or its CertificateRequests change. A Secret or
 * CertificateRequest changing is progress of an issuance in flight: High priority.
 */
export function watchCertificateInputs(ctx: WorkerContext, ctrl: QueueController, opts: { requests?: boolean } = {}): void {
  const certs = ctx.caches.certificates;
  const bySecret = certificatesBySecret(ctx);
  // Our own status write is the news the next controller waits for: queue it now, not when the
  // watch returns it (that echo is then no news).
  const certificates = certificateReader(ctx);
  certificates.onWrite((c) => ctrl.enqueue(c, priorityOf(c)));
  for (const verb of ['add', 'update', 'delete'] as const)
    certs.on(verb, (c: Certificate) => {
      if (verb !== 'update' || !certificates.isEcho(c)) ctrl.enqueue(c, priorityOf(c));
    });
  const fromSecret = (s: V1Secret) => {
    const ns = s.metadata?.namespace;
    if (!ns) return;
    const byAnnotation = s.metadata?.annotations?.[SecretAnnotations.CertificateName];
    if (byAnnotation) ctrl.queue.add(`${ns}/${byAnnotation}`, Priority.High);
    const owner = controllerOwner(s, 'Certificate');
    if (owner) ctrl.queue.add(`${ns}/${owner}`, Priority.High);
    for (const c of bySecret.get(`${ns}/${s.metadata?.name}`)) ctrl.enqueue(c, Priority.High);
  };
  for (const verb of ['add', 'update', 'delete'] as const) ctx.caches.secrets.on(verb, fromSecret);
  if (opts.requests) {
    const fromRequest = (cr: CertificateRequest) => {
      const owner = controllerOwner(cr, 'Certificate');
      if (owner && cr.metadata.namespace) ctrl.queue.add(`${cr.metadata.namespace}/${owner}`, Priority.High);
    };
    const requests = requestReader(ctx);
    for (const verb of ['add', 'update', 'delete'] as const)
      ctx.caches.certificateRequests.on(verb, (cr: CertificateRequest) => {
        if (verb === 'delete' || !requests.isEcho(cr)) fromRequest(cr);
      });
    requests.onWrite(fromRequest);
  }
}

/**
 * A controller keyed by Certificate, the shape of every certificate controller: all Certificates
 * queued at start and re-queued when they, their Secrets (and with `requests` their
 * CertificateRequests) change; reconcile sees only a live Certificate (not gone, not being deleted).
 */
export function createCertificateController(
  ctx: WorkerContext,
  opts: {
    name: string;
    requests?: boolean;
    /** false: reconcile runs outside oneAtATime and takes it itself around its writes (a first look that often ends without one). */
    oneAtATime?: boolean;
    /**
     * A read the pass makes that may wait on a GET (the Certificate's Secret before it exists), made
     * before the Certificate's turn: waiting on it inside the turn held up the other controllers (on a
     * new Certificate, the trigger behind it). The pass reads it again and finds the answer.
     */
    readFirst?: (cert: Certificate) => Promise<unknown> | undefined;
    reconcile: (cert: Certificate, log: Logger) => Promise<ReconcileResult>;
  },
): QueueController {
  const pass = async (key: string, log: Logger) => {
    const cert = liveCertificate(ctx, key);
    return cert ? opts.reconcile(cert, log) : undefined;
  };
  const inTurn = async (key: string, log: Logger) => {
    const first = opts.readFirst && liveCertificate(ctx, key);
    if (first) await opts.readFirst!(first);
    return oneAtATime(ctx, key, () => pass(key, log));
  };
  const ctrl = createQueueController(ctx, {
    name: opts.name,
    // Every Certificate holding an issuance slot can take its next step at once: with two at a
    // time, the slots' pipelines queued behind each other's API round trips at every stage.
    concurrency: pipelineConcurrency(ctx),
    initialKeys: () => certificateKeys(ctx),
    reconcile: (key, log) => (opts.oneAtATime === false ? pass(key, log) : inTurn(key, log)),
  });
  watchCertificateInputs(ctx, ctrl, { requests: opts.requests });
  return ctrl;
}

/** Reconciles at once per pipeline controller: one per issuance slot (at least 2). */
export const pipelineConcurrency = (ctx: Pick<WorkerContext, 'config'>): number => Math.max(2, ctx.config.maxConcurrentIssuances);

/** Writes status when it differs from the cached one; a stale resourceVersion fails with 409 and the key is retried. */
export async function updateCertificateStatus(ctx: WorkerContext, cert: Certificate, status: CertificateStatus): Promise<Certificate> {
  if (semanticallyEqual(cert.status ?? {}, status)) return cert;
  const updated = await ctx.client.replaceStatus<Certificate>(Resources.Certificate, { ...cert, status });
  certificateReader(ctx).wrote(updated);
  return updated;
}

export function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
