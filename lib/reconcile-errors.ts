// The kinds of failure a reconciler can report, and the one place that decides what the queue
// does with each (worker/controller.ts). A reconciler writes what the user should see (status,
// condition, Event) and then throws or returns; it never schedules its own retry from a message.
// - transient (any other error): retried with the queue's exponential backoff;
// - RetryAtError, or an ACME rateLimited problem: retried at the time given, the backoff untouched;
// - TerminalError: not retried until the object changes. An ACME problem that retrying cannot fix
//   is not terminal here by itself: the Order and Challenge reconcilers record it (state errored),
//   and one that escapes them (say, an account refused while the Issuer is being fixed) is retried.
import { isConflict } from './kube/client.ts';
import { isRateLimited } from './acme/errors.ts';

/** Retry at a known time (a CA's Retry-After, a resource that is expected to appear). */
export class RetryAtError extends Error {
  override name = 'RetryAtError';
  constructor(
    readonly afterMs: number,
    message: string,
  ) {
    super(message);
  }
}

/** Retrying cannot fix it; the reconciler has recorded it where the user looks. */
export class TerminalError extends Error {
  override name = 'TerminalError';
}

type ErrorDisposition = { kind: 'transient' } | { kind: 'terminal' } | { kind: 'retry-at'; afterMs: number };

/** A write based on a stale cache: normal with several controllers; retried once the cache caught up. */
export const CONFLICT_RETRY_MS = 100;
/** A rate limit without Retry-After. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

export function classifyError(err: unknown): ErrorDisposition {
  if (err instanceof RetryAtError) return { kind: 'retry-at', afterMs: err.afterMs };
  if (err instanceof TerminalError) return { kind: 'terminal' };
  if (isConflict(err)) return { kind: 'retry-at', afterMs: CONFLICT_RETRY_MS };
  if (isRateLimited(err)) return { kind: 'retry-at', afterMs: err.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS };
  return { kind: 'transient' };
}
