// certgate's single entry point: `certgate worker|webhook|solver` start a process, every other
// verb belongs to the CLI (also installed as the kubectl plugin `kubectl-certgate`).
// Each process module exports main(argv) and is loaded lazily so the CLI starts fast.
import { CommanderError } from 'commander';
const processes: Record<string, () => Promise<{ main(argv: string[]): Promise<void> }>> = {
  worker: () => import('../worker/main.ts'),
  webhook: () => import('../webhook/main.ts'),
  solver: () => import('../solver/main.ts'),
};

const PROCESS_HELP = `Processes (the Helm chart runs these; each takes --help):
  certgate worker    the controllers: issue, renew and store certificates; ingress shim
  certgate webhook   the admission webhook: defaults and rejects bad TLS configuration
  certgate solver    the HTTP-01 challenge responder (a sidecar of the worker)

`;

async function dispatch(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const load = verb ? processes[verb] : undefined;
  if (load) return (await load()).main(rest);
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') process.stdout.write(PROCESS_HELP);
  return (await import('../cli/main.ts')).main(argv);
}

dispatch(process.argv.slice(2)).catch((err: unknown) => {
  // `--help` of a process: commander printed the usage and stops parsing by throwing; that ends normally.
  if (err instanceof CommanderError && ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code)) return;
  console.error(`certgate: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
