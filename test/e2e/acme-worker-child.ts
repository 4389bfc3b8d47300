// A worker process running only the ACME Order and Challenge controllers, for the crash test:
// the test SIGKILLs it at chosen points. It loads its modules, prints "loaded", then reads one
// line of JSON options ({ kubeconfigPath, stack }) on stdin and starts, printing "ready". Loading
// before the options are known lets the test spawn workers while the services are still starting.
import { startAcmeWorker, type AcmeWorkerOptions } from './acme-harness.ts';

process.stdout.write('loaded\n');
let input = '';
const onData = async (chunk: Buffer) => {
  input += chunk.toString();
  if (!input.includes('\n')) return;
  process.stdin.off('data', onData);
  await startAcmeWorker(JSON.parse(input.slice(0, input.indexOf('\n'))) as AcmeWorkerOptions);
  process.stdout.write('ready\n');
};
process.stdin.on('data', onData);
// Runs until killed (an interval keeps it alive if stdin closes).
setInterval(() => {}, 1 << 30);
