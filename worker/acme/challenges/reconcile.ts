// One pass of the Challenge controller: present (route or TXT record), self-check, accept once,
// poll the CA, record the outcome verbatim, clean up. A finalizer makes sure the cleanup runs
// even when the Challenge is deleted first. Level-triggered: a pass re-reads the Challenge (GET,
// not the cache) and the ACME challenge state, so a restart after accept never accepts twice.
import { Resources } from '../../../api/resources.ts';
import { FINAL_ACME_STATES, Finalizers } from '../../../api/constants.ts';
import type { Challenge, ChallengeStatus } from '../../../api/types.generated.ts';
import { fetchResource } from '../../../lib/acme/client.ts';
import { formatProblem, isRateLimited, isTerminalProblem } from '../../../lib/acme/errors.ts';
import type { ReconcileResult } from '../../../lib/workqueue.ts';
import type { WorkerContext } from '../../issuance/backend.ts';
import { acmeRuntime } from '../runtime.ts';
import { resolveAcmeIssuer } from '../issuers.ts';
import { ensureSolverService, deleteSolverService } from './http01/service.ts';
import { ensureRoute, removeRoute, SolverConfigError } from './http01/ingress.ts';
import { http01SelfCheck } from './http01/self-check.ts';
import { dns01SelfCheck, presentTxt, removeTxt, rfc2136ClientFor } from './dns01/rfc2136.ts';

const OUR_FINALIZERS = [Finalizers.ACMEChallenge, Finalizers.ACMEChallengeLegacy];

export async function reconcileChallenge(ctx: WorkerContext, namespace: string, name: string): Promise<ReconcileResult> {
  const rt = acmeRuntime(ctx);
  const ch = await ctx.client.get<Challenge>(Resources.Challenge, namespace, name);
  if (!ch) return;
  const st = ch.status ?? {};

  if (ch.metadata.deletionTimestamp) {
    if (!ch.metadata.finalizers?.some((f) => OUR_FINALIZERS.includes(f as any))) return;
    await cleanup(ctx, ch);
    await ctx.client.patch(Resources.Challenge, namespace, name, {
      metadata: { finalizers: (ch.metadata.finalizers ?? []).filter((f) => !OUR_FINALIZERS.includes(f as any)), resourceVersion: ch.metadata.resourceVersion },
    });
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
    await ctx.client.patch(Resources.Challenge, namespace, name, {
      metadata: { finalizers: [...(ch.metadata.finalizers ?? []), Finalizers.ACMEChallenge], resourceVersion: ch.metadata.resourceVersion },
    });
    return { requeueAfterMs: 0 };
  }

  const issuer = await resolveAcmeIssuer(ctx, ch.spec.issuerRef, namespace);
  const { client } = await rt.accounts.clientFor(issuer.acme, issuer.resourceNamespace);
  try {
    const acmeCh = await fetchResource(client, ch.spec.url);
    if (acmeCh.status === 'valid' || acmeCh.status === 'invalid') {
      const reason = acmeCh.status === 'valid' ? 'Successfully authorized domain' : formatProblem(acmeCh.error?.type, acmeCh.error?.detail);
      await cleanup(ctx, ch);
      await patchStatus(ctx, ch, { state: acmeCh.status, reason, presented: false, processing: false });
      ctx.recorder.event(ch, acmeCh.status === 'valid' ? 'Normal' : 'Warning', acmeCh.status === 'valid' ? 'DomainVerified' : 'Failed', reason);
      return;
    }
    if (acmeCh.status === 'processing') {
      // Accepted earlier (maybe by a previous process): only poll.
      if (st.state !== 'processing') await patchStatus(ctx, ch, { state: 'processing', processing: true, reason: 'Waiting for the ACME server to validate the challenge' });
      return { requeueAfterMs: rt.pollIntervalMs };
    }

    // pending on the CA: make it answerable, self-check, then accept.
    if (!st.presented) {
      await present(ctx, ch, issuer.resourceNamespace);
      await patchStatus(ctx, ch, { presented: true, processing: true, state: 'pending', reason: 'Presented challenge; waiting for it to be reachable' });
      ctx.recorder.event(ch, 'Normal', 'Presented', `Presented challenge using ${ch.spec.type} challenge mechanism`);
    }
    const problem = await selfCheck(ctx, ch, issuer.resourceNamespace);
    if (problem) {
      const reason = `Waiting for ${ch.spec.type} challenge propagation: ${problem}`;
      if (st.reason !== reason) await patchStatus(ctx, ch, { reason, processing: true, presented: true, state: 'pending' });
      return { requeueAfterMs: rt.selfCheckIntervalMs };
    }
    await client.completeChallenge({ url: ch.spec.url } as any);
    await patchStatus(ctx, ch, { state: 'processing', processing: true, presented: true, reason: 'Accepted challenge; waiting for the ACME server to validate it' });
    return { requeueAfterMs: rt.pollIntervalMs };
  } catch (err) {
    if (err instanceof SolverConfigError) {
      await patchStatus(ctx, ch, { reason: err.message, processing: false });
      return { requeueAfterMs: 30_000 };
    }
    if (isRateLimited(err)) {
      await patchStatus(ctx, ch, { reason: formatProblem(err.type, err.detail) });
      return { requeueAfterMs: err.retryAfterMs ?? 60_000 };
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

async function present(ctx: WorkerContext, ch: Challenge, resourceNamespace: string): Promise<void> {
  if (ch.spec.type === 'HTTP-01') {
    const svc = ctx.config.solverService;
    const serviceName = await ensureSolverService(ctx.client, ch, svc);
    await ensureRoute(ctx.client, ch, serviceName, svc.port);
  } else {
    await presentTxt(await rfc2136ClientFor(ctx.client, ch, resourceNamespace), ch);
  }
}

async function selfCheck(ctx: WorkerContext, ch: Challenge, resourceNamespace: string): Promise<string | undefined> {
  if (ch.spec.type === 'HTTP-01') {
    return http01SelfCheck(ch.spec.dnsName, ch.spec.token, ch.spec.key, { port: ctx.config.acmeHttp01SelfCheckPort, nameserver: ctx.config.acmeDnsNameserver });
  }
  return dns01SelfCheck(await rfc2136ClientFor(ctx.client, ch, resourceNamespace), ch);
}

/** Idempotent: removes whatever present() may have made. */
async function cleanup(ctx: WorkerContext, ch: Challenge): Promise<void> {
  if (ch.spec.type === 'HTTP-01') {
    await removeRoute(ctx.client, ch);
    await deleteSolverService(ctx.client, ch);
    return;
  }
  const issuerNs = ch.spec.issuerRef.kind === 'ClusterIssuer' ? ctx.config.clusterResourceNamespace : ch.metadata.namespace!;
  try {
    await removeTxt(await rfc2136ClientFor(ctx.client, ch, issuerNs), ch);
  } catch (err) {
    // A solver that was never usable has nothing to remove.
    if (!(err instanceof SolverConfigError)) throw err;
  }
}

async function patchStatus(ctx: WorkerContext, ch: Challenge, status: ChallengeStatus): Promise<void> {
  await ctx.client.patch(Resources.Challenge, ch.metadata.namespace, ch.metadata.name!, { status }, { subresource: 'status' });
}
