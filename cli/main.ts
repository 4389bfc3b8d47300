// Entry of the CLI (`certgate <verb>`, and the kubectl plugin `kubectl certgate <verb>`).
// Only wiring: parse argv with the command tree, map errors to one line on stderr and an exit code.
import { basename } from 'node:path';
import { CommanderError } from 'commander';
import { buildProgram } from './commands.ts';
import { CliError, processIo, type CliIo, type ExitCode } from './io.ts';

/** Runs one CLI invocation and resolves with its exit code; never exits the process. */
export async function run(argv: string[], io: CliIo = processIo, programName = 'certgate'): Promise<ExitCode> {
  let code: ExitCode = 0;
  const program = buildProgram(io, programName, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode; // commander already printed usage or help
    if (e instanceof CliError) {
      io.stderr.write(`error: ${e.message}\n`);
      return e.exitCode;
    }
    // KubeApiError, recognised by name so that loading this module does not load the Kubernetes client.
    if (e instanceof Error && e.name === 'KubeApiError') {
      io.stderr.write(`error: Kubernetes API: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/** Called by bin/certgate.ts for every verb that is not a long-running process. */
export async function main(argv: string[]): Promise<void> {
  const invokedAs = basename(process.argv[1] ?? '');
  process.exitCode = await run(argv, processIo, invokedAs.startsWith('kubectl-') ? 'kubectl certgate' : 'certgate');
}
