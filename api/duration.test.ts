import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, formatDuration, DurationParseError } from './duration.ts';

const H = 3_600_000;
const M = 60_000;

describe('parseDuration', () => {
  const valid: Array<[string, string, number]> = [
    ['cert-manager default', '2160h', 2160 * H],
    ['hours and minutes', '1h30m', 90 * M],
    ['minutes only', '90m', 90 * M],
    ['Go String() form', '720h0m0s', 720 * H],
    ['fractional hours', '1.5h', 90 * M],
    ['leading dot fraction', '.5s', 500],
    ['trailing dot', '1.h', H],
    ['milliseconds', '300ms', 300],
    ['seconds', '45s', 45_000],
    ['microseconds ascii', '1500us', 1.5],
    ['microseconds micro sign', '1000µs', 1],
    ['nanoseconds', '2000000ns', 2],
    ['bare zero', '0', 0],
    ['zero with unit', '0s', 0],
    ['explicit plus', '+5m', 5 * M],
    ['negative', '-1h', -H],
    ['units in any order', '30m1h', 90 * M],
    ['repeated unit', '1h1h', 2 * H],
  ];
  for (const [name, input, ms] of valid) {
    it(`${name}: ${JSON.stringify(input)} is ${ms} ms`, () => assert.equal(parseDuration(input), ms));
  }

  const invalid: Array<[string, string, RegExp]> = [
    ['empty', '', /invalid duration "": empty/],
    ['number without unit', '90', /missing unit after 90/],
    ['days are not Go units', '90d', /unknown unit "d"/],
    ['unit first', 'h1', /unexpected "h1"/],
    ['space inside', '1h 30m', /unexpected " 30m"/],
    ['sign in the middle', '1h-30m', /unexpected "-30m"/],
    ['only a sign', '-', /empty/],
    ['only a dot', '.h', /unexpected ".h"/],
    ['upper case unit', '10H', /unknown unit "H"/],
  ];
  for (const [name, input, message] of invalid) {
    it(`${name}: ${JSON.stringify(input)} is rejected`, () => {
      assert.throws(
        () => parseDuration(input),
        (e: unknown) => e instanceof DurationParseError && message.test(e.message) && /expected a Go duration/.test(e.message),
      );
    });
  }
});

describe('formatDuration', () => {
  const cases: Array<[string, number, string]> = [
    ['90 days', 2160 * H, '2160h0m0s'],
    ['hour and a half', 90 * M, '1h30m0s'],
    ['minutes and seconds', 5 * M + 3000, '5m3s'],
    ['fractional seconds', 1500, '1.5s'],
    ['below a second', 250, '250ms'],
    ['zero', 0, '0s'],
    ['negative', -H, '-1h0m0s'],
  ];
  for (const [name, ms, text] of cases) {
    it(`${name}: ${ms} ms is ${text}`, () => assert.equal(formatDuration(ms), text));
  }
  it('round-trips through parseDuration', () => {
    for (const ms of [H, 2160 * H, 90 * M, 1500, 5 * M + 3000]) assert.equal(parseDuration(formatDuration(ms)), ms);
  });
});
