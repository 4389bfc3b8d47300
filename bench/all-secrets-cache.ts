// Child process of bench/memory.ts: what an unfiltered cache would cost. A list+watch cache of
// every Secret in the cluster (no label selector), as a controller without certgate's filter
// holds it. argv[2] is the kubeconfig; reports {ready, secrets} over IPC once listed.
import { Resources } from '../api/resources.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';

const client = new KubeClient(loadKubeConfig({ kubeconfig: process.argv[2] }), 'certgate-bench');
const cache = client.cache(Resources.Secret);
await cache.start();
process.send!({ ready: true, secrets: cache.list().length });
