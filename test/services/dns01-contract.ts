// Shared pieces of the DNS-01 provider contract tests (worker/acme/challenges/dns01/*.test.ts):
// a ProviderContext whose Secrets come from a map (the provider reads credentials by reference),
// and a TxtRecordRequest for a challenge.
import type { Challenge } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import type { ProviderContext, TxtRecordRequest } from '../../worker/acme/challenges/dns01/provider.ts';
import type { FakeApi } from './fake-api.ts';

/** Secrets by name, each entry a plain string (stored base64 as the API server would). */
export function contextWith(secrets: Record<string, Record<string, string>>, api?: FakeApi, namespace = 'shop'): ProviderContext {
  const client = {
    async get(_r: unknown, ns: string, name: string) {
      const s = ns === namespace ? secrets[name] : undefined;
      return s ? { metadata: { name, namespace: ns }, data: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } : undefined;
    },
  } as unknown as KubeClient;
  return { client, resourceNamespace: namespace, allowAmbientCredentials: false, ...(api ? { endpoint: { url: api.url, caPem: api.caPem } } : {}) };
}

export function txtRequest(fqdn: string, zone: string, value: string): TxtRecordRequest {
  const challenge = { metadata: { uid: '3f1c7a52-2b0e-4d55-9c4e-0d6b1c9e8a01', name: 'ch', namespace: 'shop' }, spec: { dnsName: fqdn.replace(/^_acme-challenge\./, '').replace(/\.$/, ''), key: value } } as unknown as Challenge;
  return { fqdn, zone, value, challenge, resourceNamespace: 'shop' };
}
