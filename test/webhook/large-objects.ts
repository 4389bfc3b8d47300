// Objects at the size limits, shared by the admission-cost test and the benchmark: an Ingress with
// 20,000 tls hosts and 20,000 rule hosts (about 1 MB, valid for Kubernetes), and a Certificate
// whose JSON is just under the API server's 3 MiB request limit.
import { MAX_OBJECT_BYTES } from '../../webhook/admission/object-size.ts';

export const LARGE_HOST_COUNT = 20_000;

const host = (i: number) => `host-${i}.apps.example.com`;

/** An Ingress with n tls hosts and n rule hosts; shift moves the tls hosts off the rule hosts (n findings each way). */
export function manyHostIngress(n = LARGE_HOST_COUNT, opts: { shift?: number; namespace?: string; annotations?: Record<string, string> } = {}) {
  const shift = opts.shift ?? 0;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'many-hosts', namespace: opts.namespace ?? 'apps', annotations: opts.annotations ?? { 'cert-manager.io/cluster-issuer': 'le-prod' } },
    spec: {
      rules: Array.from({ length: n }, (_, i) => ({ host: host(i) })),
      tls: [{ hosts: Array.from({ length: n }, (_, i) => host(i + shift)), secretName: 'many-hosts-tls' }],
    },
  };
}

/** A Certificate whose JSON is about `bytes` long (default: 64 KiB under the cap), made of dnsNames. */
export function largeCertificate(bytes = MAX_OBJECT_BYTES - 64 * 1024, namespace = 'apps') {
  const cert = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'large', namespace },
    spec: { secretName: 'large-tls', issuerRef: { name: 'local', kind: 'Issuer' }, dnsNames: [] as string[] },
  };
  const name = (i: number) => `n${String(i).padStart(7, '0')}.apps.example.com`; // all the same length
  const count = Math.floor((bytes - JSON.stringify(cert).length) / (JSON.stringify(name(0)).length + 1));
  cert.spec.dnsNames = Array.from({ length: count }, (_, i) => name(i));
  return cert;
}
