// A worker process running only the ACME Order and Challenge controllers, for the crash test:
// the test SIGKILLs it at chosen points and starts another. Argument: JSON { kubeconfigPath, stack }.
// It loads its modules, prints "loaded", and starts the controllers when it reads "go" on stdin,
// so the test can start the next worker the moment it kills one.
import { startAcmeWorker, type AcmeWorkerOptions } from './acme-harness.ts';

const opts = JSON.parse(process.argv[2] ?? '{}') as AcmeWorkerOptions;
process.stdout.write('loaded\n');
process.stdin.once('data', async () => {
  await startAcmeWorker(opts);
  process.stdout.write('ready\n');
});
// Runs until killed (stdin keeps the event loop alive; an interval covers a closed stdin).
setInterval(() => {}, 1 << 30);
