// Data for the webhook benchmark: 1,000 Ingresses in one namespace (the worst case for the
// secret-name scan), and the Ingress whose AdmissionReview is sent.
import type { KubeObject, StaticObjects } from '../webhook/cluster-view.ts';

export interface BenchSetup {
  ingressCount: number;
  tls: { key: string; cert: string };
  answer: string; // what the webhook answers for the review (the bare server sends the same bytes)
  spinMicros?: number; // CPU time the "bare+spin" control burns per request
}

export const NAMESPACE = 'shop';

function ingress(i: number): KubeObject {
  const host = `app-${i}.example.com`;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: `app-${i}`, namespace: NAMESPACE, annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' } },
    spec: {
      ingressClassName: 'nginx',
      rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `app-${i}`, port: { number: 80 } } } }] } }],
      tls: [{ hosts: [host], secretName: `app-${i}-tls` }],
    },
  };
}

export function benchObjects(ingressCount: number): StaticObjects {
  return {
    ingresses: Array.from({ length: ingressCount }, (_, i) => ingress(i)),
    clusterIssuers: [
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: 'letsencrypt-prod' },
        spec: {
          acme: {
            server: 'https://acme-v02.api.letsencrypt.org/directory',
            privateKeySecretRef: { name: 'k' },
            solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }],
          },
        },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      },
    ],
    namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } }],
  };
}

/** A new Ingress (not in the cache) that passes every rule, so the webhook runs all of them. */
export function reviewedIngress(): KubeObject {
  return { ...ingress(100_000), metadata: { name: 'checkout', namespace: NAMESPACE, annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' } } };
}
