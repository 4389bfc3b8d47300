// Reading Secrets without caching every Secret in the cluster: managed Secrets (label
// controller.cert-manager.io/fao=true) come from the cache, others by a direct GET.
// A Certificate's own Secret does not exist until it is issued, five controllers read it on every
// pass, and an issuer's CA Secret is read for every request it signs: so the answer of a GET
// (found or not) is remembered for a few seconds (an absent Secret until the cache sees it, since
// certgate labels what it writes), and concurrent reads of one Secret share one GET. What this
// worker wrote or deleted itself stands until the cache shows that version (the cache may still
// hold the one before). Decisions that must not act on a stale answer read with `fresh`, or with
// `since` (our writes, the watched cache, or a GET sent since then: a Secret the cache cannot
// know, such as one not labelled, is looked up once per decision, not once per controller); a
// first look that such a read confirms before acting can skip the request with `noRequest`.
import type { KeyObject } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { SecretKeys } from '../api/constants.ts';
import { parsePrivateKeyPem } from '../lib/pki/index.ts';
import { RecentValues } from '../lib/recent-values.ts';
import { Resources } from '../api/resources.ts';
import type { WatchedCache } from '../lib/kube/client.ts';
import type { WorkerContext } from './context.ts';
import { atOrAfter } from './fresh-reads.ts';

const SECRET_MEMO_TTL_MS = 5_000;
/** Our own write stands until the watch brings it; this long at most (a watch that lags more is re-read). */
const WRITTEN_MEMO_TTL_MS = 120_000;
/** At most this many remembered answers (the oldest go first). */
const MEMO_LIMIT = 20_000;

interface Answer {
  secret: V1Secret | undefined;
  until: number;
  /** performance.now() when the GET was sent (or our write answered). */
  sentAt: number;
  /** Our own write (or delete): newer than the cache until the cache shows it. */
  written?: boolean;
}

interface SecretMemo {
  /** "namespace/name" -> the last answer and until when it stands; insertion order is (about) expiry order. */
  answers: Map<string, Answer>;
  inFlight: Map<string, { read: Promise<V1Secret | undefined>; sentAt: number }>;
}

/** One memo per managed-Secret cache (so per worker). */
const memos = new WeakMap<WatchedCache<V1Secret>, SecretMemo>();

function memoOf(cache: WatchedCache<V1Secret>): SecretMemo {
  let memo = memos.get(cache);
  if (!memo) {
    const answers = new Map<string, Answer>();
    memo = { answers, inFlight: new Map() };
    memos.set(cache, memo);
    // The cache's view wins from here on (a Secret certgate wrote, or one labelled later); our own
    // write only once the cache holds that version or a later one (an earlier event may still arrive).
    const forget = (s: V1Secret) => {
      const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
      const mine = answers.get(key);
      const ours = mine?.written && mine.secret?.metadata?.resourceVersion;
      if (!ours || atOrAfter(s.metadata?.resourceVersion, ours)) answers.delete(key);
    };
    cache.on('add', forget);
    cache.on('update', forget);
    cache.on('delete', (s: V1Secret) => answers.delete(`${s.metadata?.namespace}/${s.metadata?.name}`));
  }
  return memo;
}

function remember(memo: SecretMemo, key: string, answer: Omit<Answer, 'until'>, now: number): void {
  // A GET sent before our own write answers with what the write replaced: the write stands.
  const previous = memo.answers.get(key);
  if (previous?.written && !answer.written && previous.sentAt > answer.sentAt && previous.until > now) return;
  memo.answers.delete(key);
  memo.answers.set(key, { ...answer, until: now + (answer.written ? WRITTEN_MEMO_TTL_MS : SECRET_MEMO_TTL_MS) });
  for (const [k, v] of memo.answers) {
    if (v.until > now && memo.answers.size <= MEMO_LIMIT) break;
    memo.answers.delete(k);
  }
}

export async function readSecret(
  ctx: Pick<WorkerContext, 'caches' | 'client'>,
  namespace: string,
  name: string,
  /**
   * fresh: always a GET. since (a performance.now() time): our own write, the cache, or the answer
   * of a GET sent at or after that time (one another controller sent counts), else a GET.
   * noRequest: undefined when not known without a request.
   */
  opts: { fresh?: boolean; noRequest?: boolean; since?: number } = {},
): Promise<V1Secret | undefined> {
  const key = `${namespace}/${name}`;
  const memo = memoOf(ctx.caches.secrets);
  if (!opts.fresh) {
    const known = memo.answers.get(key);
    const standing = known && known.until > Date.now() ? known : undefined;
    const cached = ctx.caches.secrets.get(name, namespace);
    // Our write, unless the cache holds it or something newer already (its event came before our answer).
    const ours = standing?.written && standing.secret?.metadata?.resourceVersion;
    if (standing?.written && !(cached && ours && atOrAfter(cached.metadata?.resourceVersion, ours))) return standing.secret;
    if (cached) return cached;
    const since = opts.since ?? -Infinity;
    if (standing && standing.sentAt >= since) return standing.secret;
    // "Not known here": for a first look that a fresh read confirms before acting on it (it does
    // not wait for another reader's GET either).
    if (opts.noRequest) return undefined;
    const pending = memo.inFlight.get(key);
    if (pending && pending.sentAt >= since) return pending.read;
  }
  const sentAt = performance.now();
  const read = ctx.client.get<V1Secret>(Resources.Secret, namespace, name);
  const flight = { read, sentAt };
  if (!opts.fresh) memo.inFlight.set(key, flight);
  try {
    const secret = await read;
    remember(memo, key, { secret, sentAt }, Date.now());
    return secret;
  } finally {
    if (memo.inFlight.get(key) === flight) memo.inFlight.delete(key);
  }
}

/**
 * A Secret this worker just created or replaced, as the server answered: readers see it before the
 * watch brings it (the cache's copy wins from then on), so the next step of an issuance needs no GET.
 */
export function rememberWrittenSecret(ctx: Pick<WorkerContext, 'caches'>, secret: V1Secret): V1Secret {
  const { namespace, name, resourceVersion } = secret.metadata ?? {};
  if (!namespace || !name) return secret;
  const memo = memoOf(ctx.caches.secrets);
  const key = `${namespace}/${name}`;
  const cached = ctx.caches.secrets.get(name, namespace);
  // The watch brought this version before the write's answer: the cache already says it, and an
  // entry would keep a second copy of the Secret (nothing removes it until a later answer).
  if (cached && resourceVersion && atOrAfter(cached.metadata?.resourceVersion, resourceVersion)) memo.answers.delete(key);
  else remember(memo, key, { secret, sentAt: performance.now(), written: true }, Date.now());
  return secret;
}

/** How many answers (GETs, our own writes and deletes) stand beside the cache: what the memo holds, for tests. */
export function rememberedSecretCount(ctx: Pick<WorkerContext, 'caches'>): number {
  return memoOf(ctx.caches.secrets).answers.size;
}

/** Deletes a Secret this worker manages; readers see it gone before the watch says so. */
export async function deleteSecret(ctx: Pick<WorkerContext, 'caches' | 'client'>, namespace: string, name: string): Promise<void> {
  await ctx.client.delete(Resources.Secret, namespace, name);
  remember(memoOf(ctx.caches.secrets), `${namespace}/${name}`, { secret: undefined, sentAt: performance.now(), written: true }, Date.now());
}

// Parsing a PEM key costs about a millisecond; the controllers of an issuance read the same key
// Secret on every pass: parsed once per `data` object (the cache replaces it with each version),
// for the most recently read Secrets only (a KeyObject per cached Secret would hold about 2 KiB of
// native memory for every Certificate; 256 is many times the issuances in flight).
const parsedKeys = new RecentValues<object, KeyObject | Error>(256);

/** The private key in the Secret's tls.key, parsed; undefined when absent. Throws InvalidKeyError when unreadable. */
export function privateKeyOf(secret: V1Secret | undefined): KeyObject | undefined {
  const pem = secretValue(secret, SecretKeys.PrivateKey);
  if (!pem) return undefined;
  const parsed = parsedKeys.get(secret!.data!, () => {
    try {
      return parsePrivateKeyPem(pem);
    } catch (e) {
      return e as Error;
    }
  });
  if (parsed instanceof Error) throw parsed;
  return parsed;
}

export function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const v = secret?.data?.[key];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
