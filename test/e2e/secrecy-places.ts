// Everywhere a secret could leak from certgate to someone who may read the cluster or scrape the
// pod, as text to search: the processes' output, every Event, the status of every certgate
// resource and the metrics. Used by the secrecy e2e tests.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { fetchText } from './issuance-helpers.ts';

export async function placesToSearch(
  client: KubeClient,
  namespace: string,
  logs: { label: string; text: string },
  metricsUrl: string,
): Promise<Record<string, string>> {
  const dump = async (r: ResourceDescriptor, part: 'status' | 'all') => {
    const list = await client.list<KubernetesObject & { status?: unknown }>(r, { namespace: r.namespaced ? namespace : undefined });
    return JSON.stringify(list.items.map((o) => (part === 'status' ? o.status : o)));
  };
  return {
    [logs.label]: logs.text,
    Events: await dump(Resources.Event, 'all'),
    'Certificate status': await dump(Resources.Certificate, 'status'),
    'CertificateRequest status': await dump(Resources.CertificateRequest, 'status'),
    'Order status': await dump(Resources.Order, 'status'),
    'Challenge status': await dump(Resources.Challenge, 'status'),
    'Issuer status': await dump(Resources.Issuer, 'status'),
    metrics: await fetchText(metricsUrl),
  };
}
