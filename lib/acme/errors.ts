// ACME problem documents (RFC 8555 section 6.7) as typed errors, so callers can tell a rate limit
// (wait for Retry-After) from a transient server error (retry) from a terminal refusal (give up).
const ACME_ERROR_PREFIX = 'urn:ietf:params:acme:error:';

/** A problem document answered by the ACME server. */
export class AcmeProblemError extends Error {
  constructor(
    /** Full problem type, e.g. urn:ietf:params:acme:error:rateLimited. */
    readonly type: string,
    readonly detail: string,
    readonly httpStatus: number,
    /** From Retry-After, when the server sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(formatProblem(type, detail));
    this.name = 'AcmeProblemError';
  }

  /** The short type, e.g. "rateLimited". */
  get shortType(): string {
    return this.type.startsWith(ACME_ERROR_PREFIX) ? this.type.slice(ACME_ERROR_PREFIX.length) : this.type;
  }
}

/** "<type>: <detail>", the form stored in Order/Challenge status.reason (verbatim from the CA). */
export function formatProblem(type: string | undefined, detail: string | undefined): string {
  if (type && detail) return `${type}: ${detail}`;
  return type || detail || 'unknown ACME error';
}

export const isRateLimited = (e: unknown): e is AcmeProblemError => e instanceof AcmeProblemError && (e.shortType === 'rateLimited' || e.httpStatus === 429);

/** Problems that will not go away by retrying the same request. */
export function isTerminalProblem(e: unknown): e is AcmeProblemError {
  if (!(e instanceof AcmeProblemError)) return false;
  if (e.httpStatus >= 500 || e.httpStatus === 429) return false;
  if (e.shortType === 'rateLimited') return false;
  return !['badNonce', 'serverInternal'].includes(e.shortType);
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
