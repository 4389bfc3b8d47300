// Go duration strings (time.ParseDuration), the format of Certificate spec.duration and
// spec.renewBefore: "2160h", "1h30m", "90m", "720h0m0s", "1.5h", "300ms".

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign, accepted by Go
  'μs': 1e-3, // U+03BC Greek mu, accepted by Go
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

export class DurationParseError extends Error {
  constructor(input: string, detail: string) {
    super(`invalid duration ${JSON.stringify(input)}: ${detail} (expected a Go duration such as "2160h", "1h30m" or "90m")`);
    this.name = 'DurationParseError';
  }
}

const PART = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** Parses a Go duration to milliseconds (fractional below 1 ms). Throws DurationParseError. */
export function parseDuration(input: string): number {
  if (typeof input !== 'string') throw new DurationParseError(String(input), 'not a string');
  let rest = input;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new DurationParseError(input, 'empty');
  let total = 0;
  while (rest.length > 0) {
    const m = PART.exec(rest);
    if (!m) {
      const number = /^(\d+\.?\d*|\.\d+)/.exec(rest);
      if (!number) throw new DurationParseError(input, `unexpected ${JSON.stringify(rest)}`);
      const after = rest.slice(number[0].length);
      throw new DurationParseError(input, after === '' ? `missing unit after ${number[0]}` : `unknown unit ${JSON.stringify(after.replace(/[\d.].*$/, ''))}`);
    }
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (!Number.isFinite(total)) throw new DurationParseError(input, 'out of range');
  return sign * total;
}

/** Formats whole milliseconds as Go's time.Duration.String() does for values of 1 s and more: "2160h0m0s", "1h30m0s", "1.5s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`cannot format duration ${ms}`);
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Number((rest / 1000).toFixed(3));
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}
