// The embedded API server with the "certgate" namespace, for the tests of the webhook's TLS Secret.
import { Resources } from '../../api/resources.ts';
import { KubeClient, loadKubeConfig } from '../../lib/kube/client.ts';
import { startApiServer } from '../apiserver/index.ts';

export async function startTlsTestApi(): Promise<{ client: KubeClient; stop(): Promise<void> }> {
  const api = await startApiServer({ crdDir: null });
  const client = new KubeClient(loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
  await client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'certgate' } });
  return { client, stop: () => api.stop() };
}
