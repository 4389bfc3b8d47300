// certgate processes (bin/certgate.js, as users run them) started by an e2e test at debug log level,
// with everything they print kept, so a test can search it for secrets that must not be there.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, type AcmeStack } from '../services/index.ts';
import { acmeWorkerFlags, CLUSTER_RESOURCE_NAMESPACE } from './acme-harness.ts';
import { runClusterIssuerSelector } from './cluster.ts';

const CERTGATE = fileURLToPath(new URL('../../bin/certgate.js', import.meta.url));

export class CertgateProcesses {
  private readonly children: ChildProcess[] = [];
  private readonly chunks: string[] = [];

  /** Starts `certgate ARGS...` (with `env` added to the environment); it runs until killAll(). A worker or solver must be given --namespace. */
  start(args: string[], env: Record<string, string> = {}): ChildProcess {
    // On a real cluster an unscoped worker or solver would act on the cluster's own objects.
    if ((args[0] === 'worker' || args[0] === 'solver') && !args.some((a) => a === '--namespace' || a.startsWith('--namespace='))) {
      throw new Error(`e2e: certgate ${args[0]} needs --namespace <the test's run namespace>`);
    }
    const child = spawn(process.execPath, [CERTGATE, ...args], {
      env: { ...process.env, ...env, CERTGATE_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (c: Buffer) => this.chunks.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => this.chunks.push(c.toString()));
    this.children.push(child);
    return child;
  }

  /**
   * `certgate worker` on `kubeconfigPath` watching only `namespace` (and this run's ClusterIssuers), for the pebble
   * and BIND of `stack` (acmeWorkerFlags, BIND as the authoritative server for DNS-01); metrics on `metricsPort`
   * (a free port by default); `extraArgs` appended.
   */
  async startWorker(
    kubeconfigPath: string,
    namespace: string,
    stack: AcmeStack,
    opts: { metricsPort?: number; extraArgs?: string[]; env?: Record<string, string> } = {},
  ): Promise<ChildProcess> {
    const args = ['worker', '--kubeconfig', kubeconfigPath, '--namespace', namespace, '--cluster-issuer-selector', runClusterIssuerSelector()];
    args.push('--metrics-listen', `127.0.0.1:${opts.metricsPort ?? (await freePort())}`, '--health-listen', `127.0.0.1:${await freePort()}`);
    args.push('--cluster-resource-namespace', CLUSTER_RESOURCE_NAMESPACE, '--dns01-authoritative-port', String(stack.bind.port));
    return this.start([...args, ...acmeWorkerFlags(stack), ...(opts.extraArgs ?? [])], opts.env);
  }

  /** `certgate solver` on pebble's HTTP-01 port, watching only `namespace`. */
  startSolver(kubeconfigPath: string, namespace: string, stack: AcmeStack): ChildProcess {
    return this.start(['solver', '--kubeconfig', kubeconfigPath, '--namespace', namespace, '--listen', `127.0.0.1:${stack.pebble.httpPort}`]);
  }

  /** Everything the processes printed so far, stdout and stderr. */
  output(): string {
    return this.chunks.join('');
  }

  killAll(): void {
    for (const c of this.children) c.kill('SIGTERM');
  }

  /** SIGTERM to each process, resolved once each has exited and closed its output: output() is then complete. */
  async stopAll(): Promise<void> {
    await Promise.all(
      this.children.map((c) =>
        c.exitCode !== null || c.signalCode !== null
          ? undefined
          : new Promise<void>((resolve) => {
              c.once('close', () => resolve());
              c.kill('SIGTERM');
            }),
      ),
    );
  }
}
