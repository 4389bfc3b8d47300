// Turns the global flags (--kubeconfig, --context, kubectl's connection flags, -n, -o) into what a
// verb needs: a KubeClient, the namespace to act in and the output format.
import { KubeClient, loadKubeConfig, type KubeConfig } from '../lib/kube/client.ts';
import { CliError, type CliIo } from './io.ts';
import { applyKubectlFlags, impersonationHeaders, requestTimeoutMs, type KubectlFlags } from './kubectl-flags.ts';
import { parseOutputFormat, type OutputFormat } from './output.ts';

export interface GlobalFlags extends KubectlFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  output?: string;
}

export interface CliContext {
  io: CliIo;
  client: KubeClient;
  /** -n, else the kubeconfig context's namespace, else "default". */
  namespace: string;
  /** Whether -n was given (a manifest's own namespace yields to it). */
  namespaceFromFlag: boolean;
  output: OutputFormat;
}

/** The namespace of the current kubeconfig context, when it names one. */
function contextNamespace(kc: KubeConfig): string | undefined {
  return kc.getContextObject(kc.getCurrentContext())?.namespace || undefined;
}

export function buildContext(flags: GlobalFlags, io: CliIo): CliContext {
  const output = parseOutputFormat(flags.output);
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context });
  } catch (e) {
    throw new CliError(`cannot load kubeconfig: ${e instanceof Error ? e.message : String(e)}`);
  }
  const timeoutMs = requestTimeoutMs(flags.requestTimeout);
  kc = applyKubectlFlags(kc, flags);
  const namespace = flags.namespace || contextNamespace(kc) || 'default';
  const client = new KubeClient(kc, 'certgate-cli', { requestTimeoutMs: timeoutMs, headers: impersonationHeaders(flags) });
  return { io, client, namespace, namespaceFromFlag: !!flags.namespace, output };
}
