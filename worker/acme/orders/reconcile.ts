// One pass of the Order controller. Level-triggered: every pass re-reads the Order (from the cache
// once it holds our own last status write, else that write's answer: worker/fresh-reads.ts) and the ACME order itself.
//
// Crash safety: the ACME order is created only when status.url is empty, and its URL is written
// to status immediately after newOrder answers. The only window that can leak an ACME order is a
// crash between newOrder's response and that status write (one HTTP round trip to the API server).
// Everything after it (authorizations, challenges, finalize, download) resumes from the ACME
// order's own state, so a restart at any later point never creates a second order.
import { Resources } from '../../../api/resources.ts';
import { FINAL_ACME_STATES } from '../../../api/constants.ts';
import type { ACMEAuthorization, ACMEState, Challenge, Order, OrderStatus } from '../../../api/types.generated.ts';
import { isAlreadyExists } from '../../../lib/kube/client.ts';
import { AcmeProblemError, formatProblem, isRateLimited, isTerminalProblem } from '../../../lib/acme/errors.ts';
import { advertisedProfiles, fetchResource, type AcmeClient } from '../../../lib/acme/client.ts';
import type { ReconcileResult } from '../../../lib/workqueue.ts';
import { DEFAULT_RATE_LIMIT_WAIT_MS } from '../../../lib/reconcile-errors.ts';
import type { AcmeContext } from '../runtime.ts';
import { cacheIndex } from '../../cache-index.ts';
import { resolveAcmeIssuer, IssuerConfigError } from '../../issuer-ref.ts';
import { selectSolver } from './solver-selection.ts';
import { buildChallenge } from './challenge-spec.ts';
import { challengeName } from '../../object-names.ts';
import { nextPollMs, waitWorthShowing } from '../poll.ts';

const FINAL_ORDER_STATES = FINAL_ACME_STATES;

export async function reconcileOrder(ctx: AcmeContext, namespace: string, name: string): Promise<ReconcileResult> {
  const rt = ctx.acme;
  let order = rt.orders.get(namespace, name);
  if (!order || order.metadata.deletionTimestamp) return;
  const st = order.status ?? {};
  if (st.state && FINAL_ORDER_STATES.has(st.state)) {
    rt.orderReadAt.delete(order.metadata.uid!);
    rt.waitingSince.delete(order.metadata.uid!);
    return cleanupChallenges(ctx, order);
  }

  let resolved;
  try {
    resolved = await resolveAcmeIssuer(ctx, order.spec.issuerRef, namespace);
  } catch (err) {
    if (err instanceof IssuerConfigError) {
      await patchStatus(ctx, order, { reason: err.message });
      return { requeueAfterMs: 30_000 };
    }
    throw err;
  }
  const { client } = await rt.accounts.clientFor(resolved.acme, resolved.resourceNamespace);
  const preferredChain = resolved.acme.preferredChain;

  try {
    let acmeOrder;
    if (!st.url) {
      // Never two ACME orders: confirm "no URL yet" with the server, whatever the cache says,
      // unless this process created the Order and so wrote everything it holds.
      const confirmed = rt.createdOrders.has(order.metadata.uid!) ? order : await rt.orders.live(namespace, name);
      if (!confirmed || confirmed.metadata.deletionTimestamp) return;
      if (confirmed.status?.url) return { requeueAfterMs: 0 };
      const created = await createAcmeOrder(ctx, client, confirmed);
      if (!created || !('acmeOrder' in created)) return created;
      ({ order, acmeOrder } = created);
    } else if (challengesStillWorking(ctx, order)) {
      // Until one of its Challenges is final the CA's order can only say "pending", and each
      // Challenge change brings this Order back: no need to ask the CA on every one of those
      // passes (three per certificate). It is asked at least once per safety-net interval.
      return await ensureChallenges(ctx, client, order);
    } else {
      acmeOrder = await fetchResource(client, st.url);
      acmeOrder.url = st.url;
      rt.orderReadAt.set(order.metadata.uid!, ctx.clock.now());
    }
    if (acmeOrder.status === 'invalid' || acmeOrder.status === 'expired')
      return await failOrder(ctx, order, acmeOrder.status, await invalidReason(ctx, order, acmeOrder));
    if (!order.status?.authorizations?.length) {
      const authorizations = await fetchAuthorizations(client, acmeOrder.authorizations ?? []);
      order = await patchStatus(ctx, order, { authorizations, state: acmeOrder.status, finalizeURL: acmeOrder.finalize });
    }
    switch (acmeOrder.status as ACMEState) {
      case 'pending':
        return await ensureChallenges(ctx, client, order);
      case 'ready': {
        // As cert-manager: the Order says ready while its CSR goes to finalize. Written first, so a
        // crash in between leaves an Order whose CA order is still ready: finalized on restart.
        if (order.status?.state !== 'ready') order = await patchStatus(ctx, order, { state: 'ready' });
        const csrPem = Buffer.from(order.spec.request, 'base64').toString('utf8');
        const finalized = await client.finalizeOrder(acmeOrder, csrPem);
        if (finalized.status === 'valid') return await complete(ctx, client, order, { ...finalized, url: acmeOrder.url }, preferredChain);
        // Usually "processing" for a moment: looked at again soon, then less often (poll.ts).
        rt.waitingSince.set(order.metadata.uid!, ctx.clock.now());
        return { requeueAfterMs: nextPollMs(rt.pollIntervalMs, 0) };
      }
      case 'processing': {
        const waited = sinceFinalized(ctx, order);
        // Shown once the CA takes longer than a poll interval; a quick signature supersedes it.
        if (order.status?.state !== 'processing' && waitWorthShowing(rt.pollIntervalMs, waited)) await patchStatus(ctx, order, { state: 'processing' });
        return { requeueAfterMs: nextPollMs(rt.pollIntervalMs, waited) };
      }
      case 'valid':
        return await complete(ctx, client, order, acmeOrder, preferredChain);
      default:
        return { requeueAfterMs: rt.pollIntervalMs };
    }
  } catch (err) {
    if (isRateLimited(err)) {
      const wait = err.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
      await patchStatus(ctx, order, { reason: `${formatProblem(err.type, err.detail)} (retrying after ${Math.ceil(wait / 1000)} s)` });
      ctx.recorder.event(order, 'Warning', 'RateLimited', `The ACME server rate limited this order: ${err.detail}`);
      throw err; // the queue controller waits for the CA's Retry-After (lib/reconcile-errors.ts)
    }
    if (isTerminalProblem(err)) return failOrder(ctx, order, 'errored', formatProblem(err.type, err.detail));
    throw err;
  }
}

/** Downloads the certificate of a valid ACME order into status, then removes the Challenges. */
async function complete(ctx: AcmeContext, client: AcmeClient, order: Order, acmeOrder: any, preferredChain: string | undefined): Promise<ReconcileResult> {
  ctx.acme.waitingSince.delete(order.metadata.uid!);
  const pem = await client.getCertificate(acmeOrder, preferredChain || undefined);
  await patchStatus(ctx, order, { state: 'valid', reason: '', certificate: Buffer.from(pem).toString('base64') });
  ctx.recorder.event(order, 'Normal', 'Complete', 'Order completed successfully');
  return cleanupChallenges(ctx, order);
}

/**
 * Creates the ACME order and writes its URL with its authorizations in one status write (one
 * more round trip to the CA before the write; when fetching them fails, the URL alone is written
 * at once, so a restart resumes this order instead of creating another).
 */
async function createAcmeOrder(ctx: AcmeContext, client: AcmeClient, order: Order): Promise<ReconcileResult | { order: Order; acmeOrder: any }> {
  const identifiers = identifiersOf(order);
  const profile = order.spec.profile;
  if (profile) {
    const profiles = await advertisedProfiles(client);
    if (!profiles.includes(profile)) {
      return failOrder(
        ctx,
        order,
        'errored',
        `ACME server does not offer profile "${profile}" (advertised profiles: ${profiles.length ? profiles.join(', ') : 'none'})`,
      );
    }
  }
  // acme-client 5.4 knows neither profiles nor ARI: both go into the newOrder payload as they are.
  const newOrder = (extra: Record<string, string>) =>
    client.createOrder({ identifiers, ...(profile ? { profile } : {}), ...extra } as Parameters<AcmeClient['createOrder']>[0]);
  const replaces = order.spec.replaces;
  let created;
  let replaced = '';
  try {
    created = await newOrder(replaces ? { replaces } : {});
    if (replaces) replaced = ` replacing certificate ${replaces} (ARI)`;
  } catch (err) {
    // The CA may refuse `replaces` (already replaced by another order, a certificate it no longer
    // knows): a renewal without it still renews; only the rate-limit exemption is lost.
    if (isRateLimited(err)) throw err;
    if (!replaces || !(err instanceof AcmeProblemError)) throw err;
    ctx.recorder.event(
      order,
      'Warning',
      'ReplacesRefused',
      `The ACME server refused replaces=${replaces} (${formatProblem(err.type, err.detail)}); ordering without it`,
    );
    created = await newOrder({});
  }
  let authorizations: ACMEAuthorization[] | undefined;
  try {
    authorizations = await fetchAuthorizations(client, created.authorizations ?? []);
  } catch {
    // written below without them; the next pass fetches them again
  }
  ctx.acme.orderReadAt.set(order.metadata.uid!, ctx.clock.now()); // the CA's answer is a read of it
  // From here on a restart resumes this order (see the comment at the top).
  const updated = await patchStatus(ctx, order, {
    url: created.url,
    finalizeURL: created.finalize,
    state: created.status,
    reason: '',
    ...(authorizations ? { authorizations } : {}),
  });
  ctx.acme.createdOrders.delete(order.metadata.uid!);
  // cert-manager records no Event here; the renewal of an ARI-known certificate is worth one.
  if (replaced) ctx.recorder.event(order, 'Normal', 'Created', `Created ACME order ${created.url}${replaced}`);
  return { order: updated, acmeOrder: created };
}

function identifiersOf(order: Order): Array<{ type: 'dns' | 'ip'; value: string }> {
  const dns = new Set(order.spec.dnsNames ?? []);
  const ips = new Set(order.spec.ipAddresses ?? []);
  const cn = order.spec.commonName;
  if (cn && !dns.has(cn) && !ips.has(cn)) (/^[\d.]+$|:/.test(cn) ? ips : dns).add(cn);
  return [...[...dns].map((value) => ({ type: 'dns' as const, value })), ...[...ips].map((value) => ({ type: 'ip' as const, value }))];
}

async function fetchAuthorizations(client: AcmeClient, urls: string[]): Promise<ACMEAuthorization[]> {
  return Promise.all(
    urls.map(async (url) => {
      const a = await fetchResource(client, url);
      return {
        url,
        identifier: a.identifier?.value,
        wildcard: !!a.wildcard,
        initialState: a.status,
        // Only token-based challenges (http-01, dns-01, tls-alpn-01): newer CAs also offer kinds
        // without a token (pebble 2.10's dns-persist-01), which certgate does not solve and the
        // Order's status (cert-manager's schema) cannot hold.
        challenges: (a.challenges ?? [])
          .filter((c: any) => typeof c.token === 'string' && c.token)
          .map((c: any) => ({ type: c.type, token: c.token, url: c.url })),
      };
    }),
  );
}

/**
 * Read from the CA within the safety-net interval, pending there, and none of its Challenges
 * final. A pending authorization whose Challenge the cache does not show yet (just created, or
 * deleted by someone) needs ensureChallenges, not the CA: the order cannot move on without it.
 */
function challengesStillWorking(ctx: AcmeContext, order: Order): boolean {
  const st = order.status ?? {};
  const readAt = ctx.acme.orderReadAt.get(order.metadata.uid!);
  if (st.state !== 'pending' || readAt === undefined || ctx.clock.now() - readAt >= challengeSafetyNetMs(ctx)) return false;
  if (!(st.authorizations ?? []).some((a) => a.initialState === 'pending')) return false;
  const challenges = challengesOf(ctx, order).filter((c) => !c.metadata.deletionTimestamp);
  return challenges.every((c) => !(c.status?.state && FINAL_ACME_STATES.has(c.status.state)));
}

/** ms since this process finalized the Order (undefined: another process did, or it restarted since). */
function sinceFinalized(ctx: AcmeContext, order: Order): number | undefined {
  const at = ctx.acme.waitingSince.get(order.metadata.uid!);
  return at === undefined ? undefined : ctx.clock.now() - at;
}

/** How often an Order whose Challenges are working is looked at without news from them. */
const challengeSafetyNetMs = (ctx: AcmeContext) => Math.max(ctx.acme.pollIntervalMs * 20, 1000);

/** Creates one Challenge per pending authorization, then waits on their states. */
async function ensureChallenges(ctx: AcmeContext, client: AcmeClient, order: Order): Promise<ReconcileResult> {
  const rt = ctx.acme;
  const resolved = await resolveAcmeIssuer(ctx, order.spec.issuerRef, order.metadata.namespace!);
  const ns = order.metadata.namespace!;
  const states: Array<Challenge | undefined> = [];
  for (const authz of order.status!.authorizations!) {
    if (authz.initialState !== 'pending') continue;
    const selected = selectSolver(resolved.acme.solvers, {
      dnsName: authz.identifier!,
      wildcard: !!authz.wildcard,
      labels: order.metadata.labels ?? {},
      offered: (authz.challenges ?? []).map((c) => c.type),
    });
    if (!selected) {
      return failOrder(
        ctx,
        order,
        'errored',
        `Failed to determine a valid solver configuration for the set of domains on the Order: no configured challenge solvers can be used for ${authz.wildcard ? '*.' : ''}${authz.identifier}`,
      );
    }
    const name = challengeName(order.metadata.name!, authz.url, selected.type);
    let ch = await rt.challenges.get(ns, name);
    if (!ch) {
      const offered = authz.challenges!.find((c) => c.type === selected.type.toLowerCase())!;
      const key = await client.getChallengeKeyAuthorization(offered as any);
      try {
        ch = await ctx.client.create(Resources.Challenge, buildChallenge(order, authz, selected, key));
        rt.challenges.wrote(ch);
        ctx.recorder.event(order, 'Normal', 'Created', `Created Challenge resource "${name}" for domain "${authz.identifier}"`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        ch = await ctx.client.get<Challenge>(Resources.Challenge, ns, name);
      }
    }
    states.push(ch);
  }
  const failed = states.find((c) => c?.status?.state && ['invalid', 'expired', 'errored'].includes(c.status.state));
  if (failed) {
    return failOrder(
      ctx,
      order,
      'invalid',
      `Challenge ${failed.metadata.name} for "${failed.spec.dnsName}" failed: ${failed.status?.reason ?? failed.status?.state}`,
    );
  }
  // Mirror why challenges are stuck (e.g. a failing self-check) into the Order, where the
  // CertificateRequest (and so the user) sees it.
  const waiting = states
    // By state, never by wording: a Challenge not yet accepted (pending) with a reason is stuck on it.
    .filter((c) => c?.status?.reason && (c.status.state ?? 'pending') === 'pending')
    .map((c) => `challenge for "${c!.spec.wildcard ? '*.' : ''}${c!.spec.dnsName}": ${c!.status!.reason}`)
    .join('; ');
  if ((order.status?.reason ?? '') !== waiting) await patchStatus(ctx, order, { reason: waiting });
  // Challenge updates requeue this Order through the watch; the poll is a safety net.
  return { requeueAfterMs: challengeSafetyNetMs(ctx) };
}

async function invalidReason(ctx: AcmeContext, order: Order, acmeOrder: any): Promise<string> {
  if (acmeOrder.error) return formatProblem(acmeOrder.error.type, acmeOrder.error.detail);
  const chs = challengesOf(ctx, order);
  const bad = chs.find((c) => c.status?.state === 'invalid');
  return bad?.status?.reason ?? `order is ${acmeOrder.status}`;
}

async function failOrder(ctx: AcmeContext, order: Order, state: ACMEState, reason: string): Promise<ReconcileResult> {
  await patchStatus(ctx, order, { state, reason, failureTime: new Date(ctx.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z') });
  ctx.recorder.event(order, 'Warning', 'Failed', reason);
  return cleanupChallenges(ctx, order);
}

/** A final Order no longer needs its Challenges; their finalizers clean up routes and records. */
async function cleanupChallenges(ctx: AcmeContext, order: Order): Promise<ReconcileResult> {
  const deleted = ctx.acme.deletedChallenges;
  for (const c of challengesOf(ctx, order)) {
    if (c.metadata.deletionTimestamp || deleted.has(c.metadata.uid!)) continue;
    await ctx.client.delete(Resources.Challenge, c.metadata.namespace, c.metadata.name!);
    deleted.add(c.metadata.uid!);
  }
  return;
}

/** The Challenges an Order owns, by owner uid. */
function challengesOf(ctx: AcmeContext, order: Order): Challenge[] {
  const index = cacheIndex(ctx.caches.challenges, 'ownerUid', (c) => (c.metadata.ownerReferences ?? []).map((o) => o.uid));
  return index.get(order.metadata.uid!);
}

async function patchStatus(ctx: AcmeContext, order: Order, status: OrderStatus): Promise<Order> {
  const updated = await ctx.client.patch<Order>(Resources.Order, order.metadata.namespace, order.metadata.name!, { status }, { subresource: 'status' });
  ctx.acme.orders.wrote(updated);
  return updated;
}
