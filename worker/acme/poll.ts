// How soon to look again at an ACME resource the CA is working on after a step of ours (a
// challenge accepted, an order finalized). The first look comes after a quarter of
// --acme-backoff-min-ms and each wait is as long as the time already waited, up to the full
// interval: a CA that validates or signs within milliseconds (pebble; a CA's fast path) is seen
// done almost at once, and a slow one is asked two more times per wait than a fixed interval would.

/** The delay before the next look, given how long ago the step was taken (undefined: not known, e.g. after a restart). */
export function nextPollMs(intervalMs: number, waitedMs: number | undefined): number {
  if (waitedMs === undefined) return intervalMs;
  return Math.ceil(Math.min(intervalMs, Math.max(intervalMs / 4, waitedMs)));
}

/**
 * Whether a status write that only says "the CA is working on it" is worth its request: not
 * while the wait is shorter than one poll interval (the final state usually comes first and
 * supersedes it), always when the start of the wait is not known.
 */
export function waitWorthShowing(intervalMs: number, waitedMs: number | undefined): boolean {
  return waitedMs === undefined || waitedMs >= intervalMs;
}
