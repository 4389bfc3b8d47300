// Where a CLI run writes, and how it fails. Verbs never touch process.stdout or process.exit:
// tests run them in-process with captured streams, and main() maps the result to an exit code.

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Milliseconds since the epoch; tests may pin it. */
  now(): number;
}

export const processIo: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  now: () => Date.now(),
};

/** A failure the user caused or must act on: printed as one line, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** What a verb reports back: 0 when everything it checked is fine, else non-zero. */
export type ExitCode = number;
