// Argument parsers shared by the processes' command lines (worker, webhook, solver).
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../api/duration.ts';

/** A positive duration flag ("90s", "5m", "1h") in milliseconds; commander shows the message on bad input. */
export function durationArg(text: string): number {
  try {
    const ms = parseDuration(text);
    if (!(ms > 0)) throw new Error('must be positive');
    return ms;
  } catch (e) {
    throw new InvalidArgumentError(`"${text}": ${(e as Error).message}`);
  }
}
