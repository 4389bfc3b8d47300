// The one switch between the embedded API server and a real cluster for e2e tests:
// CERTGATE_E2E_KUBECONFIG (or KUBECONFIG with CERTGATE_E2E_REAL=1) names a real cluster;
// otherwise a fresh embedded server is started.
import { existsSync } from 'node:fs';
import { startApiServer, type EmbeddedApiServer, type StartOptions } from '../apiserver/index.ts';

export interface TestCluster {
  kubeconfigPath: string;
  embedded: EmbeddedApiServer | null;
  stop(): Promise<void>;
}

export function realClusterKubeconfig(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CERTGATE_E2E_KUBECONFIG) return env.CERTGATE_E2E_KUBECONFIG;
  if (env.CERTGATE_E2E_REAL === '1') {
    if (!env.KUBECONFIG) throw new Error('CERTGATE_E2E_REAL=1 needs KUBECONFIG to name the real cluster');
    return env.KUBECONFIG;
  }
  return undefined;
}

export async function getTestCluster(embeddedOptions: StartOptions = {}): Promise<TestCluster> {
  const real = realClusterKubeconfig();
  if (real) {
    if (!existsSync(real)) throw new Error(`kubeconfig ${real} does not exist`);
    return { kubeconfigPath: real, embedded: null, stop: async () => {} };
  }
  const embedded = await startApiServer(embeddedOptions);
  return { kubeconfigPath: embedded.kubeconfigPath, embedded, stop: () => embedded.stop() };
}
