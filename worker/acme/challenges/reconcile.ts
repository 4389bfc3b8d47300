// One pass of the Challenge controller: present (route or TXT record), self-check, accept once,
// poll the CA, record the outcome verbatim, clean up. A finalizer makes sure the cleanup runs
// even when the Challenge is deleted first. Level-triggered: a pass re-reads the Challenge (from
// the cache once it holds our own last write, else that write's answer: worker/fresh-reads.ts) and the ACME
// challenge state, so a restart after accept never accepts twice.
import { Resources } from '../../../api/resources.ts';
import { CertificateRequestAnnotations, FINAL_ACME_STATES, Finalizers } from '../../../api/constants.ts';
import type { Certificate, CertificateRequest, Challenge, ChallengeStatus, Order } from '../../../api/types.generated.ts';
import { fetchResource } from '../../../lib/acme/client.ts';
import { formatProblem, isRateLimited, isTerminalProblem } from '../../../lib/acme/errors.ts';
import type { ReconcileResult } from '../../../lib/workqueue.ts';
import type { AcmeContext } from '../runtime.ts';
import { acceptOnce, challengeEndpoint } from './accept.ts';
import { resolveAcmeIssuer, resourceNamespaceFor } from '../../issuer-ref.ts';
import { ensureSolverService, deleteSolverService } from './http01/service.ts';
import { ensureRoute, removeRoute, SolverConfigError } from './http01/ingress.ts';
import { ensureHttpRoute, removeHttpRoute, usesGatewayRoute } from './http01/httproute.ts';
import { http01SelfCheck } from './http01/self-check.ts';
import { cleanUpDns01, dns01SelfCheck, presentDns01 } from './dns01/solve.ts';
import { Dns01ProviderError } from './dns01/provider.ts';
import type { ChallengeSlots } from './slots.ts';
import { http01SolverName } from '../../object-names.ts';
import { nextPollMs, waitWorthShowing } from '../poll.ts';

const OUR_FINALIZERS = [Finalizers.ACMEChallenge, Finalizers.ACMEChallengeLegacy];
const ACCEPTED_REASON = 'Accepted challenge; waiting for the ACME server to validate it';

export async function reconcileChallenge(ctx: AcmeContext, namespace: string, name: string, slots: ChallengeSlots): Promise<ReconcileResult> {
  const rt = ctx.acme;
  const ch = await rt.challenges.get(namespace, name);
  if (!ch) return;
  const st = ch.status ?? {};

  if (ch.metadata.deletionTimestamp) {
    if (!ch.metadata.finalizers?.some((f) => OUR_FINALIZERS.includes(f as any))) return;
    // A Challenge that reached a final state cleaned up then (presented: false); anything else may
    // have presented part of its route or record.
    if (st.presented || !(st.state && FINAL_ACME_STATES.has(st.state))) await cleanup(ctx, ch);
    rt.challenges.wrote(
      await ctx.client.patch<Challenge>(Resources.Challenge, namespace, name, {
        metadata: {
          finalizers: (ch.metadata.finalizers ?? []).filter((f) => !OUR_FINALIZERS.includes(f as any)),
          resourceVersion: ch.metadata.resourceVersion,
        },
      }),
    );
    return;
  }
  if (st.state && FINAL_ACME_STATES.has(st.state)) {
    if (st.presented) {
      await cleanup(ctx, ch);
      await patchStatus(ctx, ch, { presented: false, processing: false });
    }
    return;
  }
  if (!ch.metadata.finalizers?.includes(Finalizers.ACMEChallenge)) {
    rt.challenges.wrote(
      await ctx.client.patch<Challenge>(Resources.Challenge, namespace, name, {
        metadata: { finalizers: [...(ch.metadata.finalizers ?? []), Finalizers.ACMEChallenge], resourceVersion: ch.metadata.resourceVersion },
      }),
    );
    return { requeueAfterMs: 0 };
  }

  const issuer = await resolveAcmeIssuer(ctx, ch.spec.issuerRef, namespace);
  const { client } = await rt.accounts.clientFor(issuer.acme, issuer.resourceNamespace);
  try {
    // A Challenge without status and not accepted by this process was made a moment ago from an
    // authorization the CA called pending: presenting it needs no read of the CA first (one round
    // trip less per challenge). Should the CA have moved on meanwhile (or a previous process have
    // accepted it), acceptOnce finds out and the next pass records the CA's state.
    const fresh = !ch.status && !rt.waitingSince.has(ch.metadata.uid!);
    const acmeCh: { status?: string; error?: { type?: string; detail?: string } } = fresh ? { status: 'pending' } : await fetchResource(client, ch.spec.url);
    if (acmeCh.status === 'valid' || acmeCh.status === 'invalid') {
      const reason = acmeCh.status === 'valid' ? 'Successfully authorized domain' : formatProblem(acmeCh.error?.type, acmeCh.error?.detail);
      await cleanup(ctx, ch);
      await patchStatus(ctx, ch, { state: acmeCh.status, reason, presented: false, processing: false });
      ctx.recorder.event(ch, acmeCh.status === 'valid' ? 'Normal' : 'Warning', acmeCh.status === 'valid' ? 'DomainVerified' : 'Failed', reason);
      return;
    }
    // Accepted already (by this process, or by a previous one: status says so, or the CA does).
    // pebble 2.10 keeps an accepted challenge "pending" until its validation task runs, and a
    // second accept of a challenge that turned valid meanwhile is refused (malformed): accept
    // once (see accept.ts), then only poll.
    const acceptedAt = rt.waitingSince.get(ch.metadata.uid!);
    if (acmeCh.status === 'processing' || st.state === 'processing' || acceptedAt !== undefined) {
      const waited = acceptedAt === undefined ? undefined : ctx.clock.now() - acceptedAt;
      // "processing" is written once the CA takes longer than a poll interval (a quick
      // validation supersedes it: one status write instead of two), or at once when this
      // process does not know when the challenge was accepted.
      if (st.state !== 'processing' && waitWorthShowing(rt.pollIntervalMs, waited)) {
        await patchStatus(ctx, ch, {
          state: 'processing',
          processing: true,
          presented: true,
          reason: acceptedAt === undefined ? 'Waiting for the ACME server to validate the challenge' : ACCEPTED_REASON,
        });
      }
      return { requeueAfterMs: nextPollMs(rt.pollIntervalMs, waited) };
    }

    // pending on the CA: make it answerable, self-check, then accept. The reason stays empty until
    // something is wrong: the Order shows the reasons of its pending Challenges to the user.
    // presented: true is written with the self-check's outcome or the acceptance, whichever
    // comes first (cleanup on deletion does not depend on it: see above).
    if (!st.presented) {
      if (!slots.acquire(ch)) {
        // Waits its turn (--max-concurrent-challenges); the slots start it when one frees up.
        const reason = `Waiting for a free challenge slot: ${slots.limit} challenges are being presented or validated (--max-concurrent-challenges=${slots.limit})`;
        if (st.reason !== reason || st.processing || st.state !== 'pending') await patchStatus(ctx, ch, { state: 'pending', processing: false, reason });
        return;
      }
      await present(ctx, ch, issuer.resourceNamespace);
      ctx.recorder.event(ch, 'Normal', 'Presented', `Presented challenge using ${ch.spec.type} challenge mechanism`);
    }
    const problem = await selfCheck(ctx, ch, issuer.resourceNamespace);
    // An HTTPRoute deleted or edited by someone meanwhile is put back (read from the route cache).
    if (problem && st.presented && usesGatewayRoute(ch)) await present(ctx, ch, issuer.resourceNamespace);
    if (problem) {
      const since = waitingSince(rt.selfCheckStarted, ch, ctx.clock.now());
      const reason = `Waiting for ${ch.spec.type} challenge propagation: ${problem} (waiting since ${since})`;
      if (st.reason !== reason || !st.presented) await patchStatus(ctx, ch, { reason, processing: true, presented: true, state: 'pending' });
      return { requeueAfterMs: (ch.spec.type === 'DNS-01' && ctx.config.dns01.checkRetryPeriodMs) || rt.selfCheckIntervalMs };
    }
    rt.selfCheckStarted.delete(ch.metadata.uid!);
    const accepted = await acceptOnce(challengeEndpoint(client), ch.spec.url);
    if (accepted === 'already-moved-on') {
      if (!st.presented) await patchStatus(ctx, ch, { presented: true, processing: true, state: 'pending', reason: '' });
      return { requeueAfterMs: 0 }; // the next pass records the CA's state
    }
    // Recorded in memory only: the status says "processing" if the CA takes longer than a poll
    // interval (above). A restart meanwhile re-reads the CA's state, and acceptOnce counts a
    // challenge that moved on as accepted.
    rt.waitingSince.set(ch.metadata.uid!, ctx.clock.now());
    return { requeueAfterMs: nextPollMs(rt.pollIntervalMs, 0) };
  } catch (err) {
    if (err instanceof Dns01ProviderError) {
      // The provider's words are the Challenge's reason, and the Certificate's owner hears of it.
      if (st.reason !== err.message) await patchStatus(ctx, ch, { reason: err.message, processing: false });
      ctx.recorder.event(ch, 'Warning', 'PresentError', err.message);
      const cert = await certificateOf(ctx, ch);
      if (cert) ctx.recorder.event(cert, 'Warning', 'DNS01ProviderError', `Challenge ${ch.metadata.name} for ${ch.spec.dnsName}: ${err.message}`);
      if (err.retryable) throw err; // the queue's backoff
      return { requeueAfterMs: 30_000 };
    }
    if (err instanceof SolverConfigError) {
      await patchStatus(ctx, ch, { reason: err.message, processing: false });
      return { requeueAfterMs: 30_000 };
    }
    if (isRateLimited(err)) {
      await patchStatus(ctx, ch, { reason: formatProblem(err.type, err.detail) });
      throw err; // the queue controller waits for the CA's Retry-After (lib/reconcile-errors.ts)
    }
    if (isTerminalProblem(err)) {
      const reason = formatProblem(err.type, err.detail);
      await cleanup(ctx, ch);
      await patchStatus(ctx, ch, { state: 'errored', reason, presented: false, processing: false });
      return;
    }
    throw err;
  }
}

async function present(ctx: AcmeContext, ch: Challenge, resourceNamespace: string): Promise<void> {
  if (ch.spec.type === 'HTTP-01') {
    // The Service and the route that names it are made side by side (one round trip, not two): a
    // route may name a Service a moment before it exists, and the self-check waits for both.
    const svc = ctx.config.solverService;
    const serviceName = http01SolverName(ch.metadata.uid!, ch.metadata.name!);
    await Promise.all([
      ensureSolverService(ctx.client, ch, svc),
      usesGatewayRoute(ch)
        ? ensureHttpRoute(ctx, ch, serviceName, svc.port)
        : ensureRoute(ctx.client, ch, serviceName, svc.port, ctx.config.acmeHttp01IngressPathType),
    ]);
  } else {
    await presentDns01(ctx, ch, resourceNamespace);
  }
}

async function selfCheck(ctx: AcmeContext, ch: Challenge, resourceNamespace: string): Promise<string | undefined> {
  if (ch.spec.type === 'HTTP-01') {
    return http01SelfCheck(ch.spec.dnsName, ch.spec.token, ch.spec.key, {
      port: ctx.config.acmeHttp01SelfCheckPort,
      nameserver: ctx.config.acmeHttp01Nameserver ?? ctx.config.acmeDnsNameserver,
    });
  }
  return dns01SelfCheck(ctx, ch, resourceNamespace);
}

/** When this worker first saw the self-check fail, as an ISO time (kept in memory; a restart starts over). */
function waitingSince(started: Map<string, number>, ch: Challenge, now: number): string {
  const uid = ch.metadata.uid!;
  if (!started.has(uid)) started.set(uid, now);
  return new Date(started.get(uid)!).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** The Certificate behind a Challenge (Challenge -> Order -> CertificateRequest -> annotation), if any. */
async function certificateOf(ctx: AcmeContext, ch: Challenge): Promise<Certificate | undefined> {
  const ns = ch.metadata.namespace!;
  const orderName = ch.metadata.ownerReferences?.find((o) => o.kind === 'Order')?.name;
  const order = orderName ? (ctx.caches.orders.get(orderName, ns) ?? (await ctx.client.get<Order>(Resources.Order, ns, orderName))) : undefined;
  const crName = order?.metadata.ownerReferences?.find((o) => o.kind === 'CertificateRequest')?.name;
  const cr = crName
    ? (ctx.caches.certificateRequests.get(crName, ns) ?? (await ctx.client.get<CertificateRequest>(Resources.CertificateRequest, ns, crName)))
    : undefined;
  const certName = cr?.metadata.annotations?.[CertificateRequestAnnotations.CertificateName];
  return certName ? (ctx.caches.certificates.get(certName, ns) ?? (await ctx.client.get<Certificate>(Resources.Certificate, ns, certName))) : undefined;
}

/** Idempotent: removes whatever present() may have made. */
async function cleanup(ctx: AcmeContext, ch: Challenge): Promise<void> {
  ctx.acme.selfCheckStarted.delete(ch.metadata.uid!);
  ctx.acme.waitingSince.delete(ch.metadata.uid!);
  if (ch.spec.type === 'HTTP-01') {
    await Promise.all([usesGatewayRoute(ch) ? removeHttpRoute(ctx, ch) : removeRoute(ctx.client, ch), deleteSolverService(ctx.client, ch)]);
    return;
  }
  const issuerNs = resourceNamespaceFor(ctx.config, ch.spec.issuerRef, ch.metadata.namespace!);
  try {
    await cleanUpDns01(ctx, ch, issuerNs);
  } catch (err) {
    // A solver that was never usable presented nothing; one that presented must clean up (retried).
    if (!(err instanceof Dns01ProviderError && !err.retryable && !ch.status?.presented)) throw err;
  }
}

async function patchStatus(ctx: AcmeContext, ch: Challenge, status: ChallengeStatus): Promise<void> {
  ctx.acme.challenges.wrote(
    await ctx.client.patch<Challenge>(Resources.Challenge, ch.metadata.namespace, ch.metadata.name!, { status }, { subresource: 'status' }),
  );
}
