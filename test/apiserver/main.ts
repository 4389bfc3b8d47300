// Runs the embedded API server standalone (for `make demo`): prints the kubeconfig path, then
// serves until SIGINT/SIGTERM.
import { Command } from 'commander';
import { startApiServer } from './index.ts';

const program = new Command()
  .name('embedded-apiserver')
  .option('--dir <dir>', 'where the kubeconfig and CA are written')
  .option('--state <file>', 'persist objects to this JSON file and reload them on start')
  .option('--port <port>', 'listen port on 127.0.0.1 (0 = any free port)', '0')
  .option('--crd-dir <dir>', "apply every CRD YAML in this folder at start (default: the chart's crds/)")
  .option('--no-crds', 'do not apply any CRDs at start')
  .option('--rbac', 'enforce RBAC for ServiceAccount tokens', false)
  .parse();
const o = program.opts<{ dir?: string; state?: string; port: string; crdDir?: string; crds: boolean; rbac: boolean }>();
const port = Number(o.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer between 0 and 65535, got "${o.port}"`);
  process.exit(2);
}
const server = await startApiServer({ dir: o.dir, statePath: o.state, port, crdDir: o.crds ? o.crdDir : null, rbac: o.rbac });
console.log(server.kubeconfigPath);
console.error(`embedded API server listening on ${server.url}`);
const shutdown = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
