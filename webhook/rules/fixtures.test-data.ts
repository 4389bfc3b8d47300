// Objects shared by the rule tests: a small cluster with issuers in several states.
import { staticClusterView, type StaticObjects } from '../cluster-view.ts';

const ready = { conditions: [{ type: 'Ready', status: 'True', reason: 'ACMEAccountRegistered' }] };
const notReady = { conditions: [{ type: 'Ready', status: 'False', reason: 'ErrRegisterACMEAccount', message: 'account registration failed: 403' }] };

function clusterIssuer(name: string, spec: unknown, status: unknown = ready) {
  return { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name }, spec, status };
}

export const http01Acme = {
  acme: {
    server: 'https://acme-v02.api.letsencrypt.org/directory',
    privateKeySecretRef: { name: 'k' },
    solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }],
  },
};
const dns01Acme = {
  acme: {
    server: 'https://acme-v02.api.letsencrypt.org/directory',
    privateKeySecretRef: { name: 'k' },
    solvers: [{ dns01: { rfc2136: { nameserver: '10.0.0.1' } } }],
  },
};
const stagingAcme = {
  acme: { server: 'https://acme-staging-v02.api.letsencrypt.org/directory', privateKeySecretRef: { name: 'k' }, solvers: [{ http01: { ingress: {} } }] },
};

export function ingress(name: string, spec: unknown, annotations: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'apps', annotations, ...extra }, spec };
}

export function gateway(name: string, listeners: unknown[], annotations: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: 'apps', annotations, ...extra },
    spec: { gatewayClassName: 'example', listeners },
  };
}

/** An HTTPS listener; refs are certificateRefs (Secret names, or objects). */
export function httpsListener(name: string, hostname: string | undefined, refs: Array<string | Record<string, unknown>> = []) {
  return {
    name,
    protocol: 'HTTPS',
    port: 443,
    ...(hostname ? { hostname } : {}),
    tls: {
      mode: 'Terminate',
      certificateRefs: refs.map((r) => (typeof r === 'string' ? { group: '', kind: 'Secret', name: r } : { group: '', kind: 'Secret', ...r })),
    },
  };
}

export function certificate(name: string, spec: unknown, namespace = 'apps', metadata: Record<string, unknown> = {}) {
  return { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name, namespace, ...metadata }, spec };
}

export const baseObjects: StaticObjects = {
  clusterIssuers: [
    clusterIssuer('le-prod', http01Acme),
    clusterIssuer('le-dns', dns01Acme),
    clusterIssuer('le-staging', stagingAcme),
    clusterIssuer('broken', http01Acme, notReady),
  ],
  issuers: [{ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'local', namespace: 'apps' }, spec: { selfSigned: {} }, status: ready }],
  namespaces: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'certgate.io/environment': 'production' } } },
  ],
  ingresses: [
    ingress(
      'other',
      { rules: [{ host: 'x.example.com' }], tls: [{ hosts: ['x.example.com'], secretName: 'taken-by-ingress' }] },
      { 'cert-manager.io/cluster-issuer': 'le-prod' },
    ),
  ],
  certificates: [certificate('explicit', { secretName: 'taken-by-cert', dnsNames: ['y.example.com'], issuerRef: { name: 'le-prod', kind: 'ClusterIssuer' } })],
};

/** baseObjects plus extra; a kind only in extra (gateways, referenceGrants) is taken as given, undefined included. */
export const view = (extra: StaticObjects = {}) => {
  const merged: Record<string, unknown> = { ...extra };
  for (const [k, v] of Object.entries(baseObjects)) merged[k] = [...(v ?? []), ...((extra as any)[k] ?? [])];
  return staticClusterView(merged as StaticObjects);
};
