// The certgate webhook as the e2e tests run it: in-process, listening on 127.0.0.1, registered with
// the API server (embedded or real) through configurations that reach only the run's namespaces.
import { Resources } from '../../api/resources.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { defaultWebhookConfig, type WebhookConfig } from '../../webhook/config.ts';
import { runWebhook, type RunningWebhook } from '../../webhook/main.ts';
import { localWebhookConfiguration, type WebhookRule } from '../fixtures.ts';
import type { ClusterIssuer } from '../../api/types.generated.ts';
import type { TestCluster } from './cluster.ts';

/** What certgate's webhook validates and mutates of cert-manager.io resources and Ingresses (Gateways aside). */
export const CERT_MANAGER_AND_INGRESS_RULES: { validate: WebhookRule[]; mutate: WebhookRule[] } = {
  validate: [
    { apiGroups: ['cert-manager.io'], resources: ['certificates', 'certificaterequests', 'certificaterequests/status', 'issuers', 'clusterissuers'] },
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses'] },
  ],
  mutate: [
    { apiGroups: ['cert-manager.io'], resources: ['certificates'] },
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses'] },
  ],
};

/** An ACME issuer spec for Let's Encrypt production with an HTTP-01 solver: what the webhook's issuer rules look at. */
export const LETSENCRYPT_ACME_SPEC = {
  acme: {
    server: 'https://acme-v02.api.letsencrypt.org/directory',
    email: 'ops@example.com',
    privateKeySecretRef: { name: 'le-account' },
    solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }],
  },
};

/**
 * The ClusterIssuer `name` (LETSENCRYPT_ACME_SPEC); with `ready`, its status says it registered its account,
 * as a worker would have written it (the webhook tests run none). Without, it is a ClusterIssuer not Ready yet.
 */
export async function createAcmeClusterIssuer(cluster: TestCluster, name: string, ready: boolean): Promise<void> {
  const ci = await cluster.createClusterObject<ClusterIssuer>(Resources.ClusterIssuer, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name },
    spec: LETSENCRYPT_ACME_SPEC,
  });
  if (!ready) return;
  const condition = { type: 'Ready', status: 'True', reason: 'ACMEAccountRegistered', message: 'registered', lastTransitionTime: new Date().toISOString() };
  await cluster.client.replaceStatus(Resources.ClusterIssuer, { ...ci, status: { conditions: [condition] } });
}

/**
 * Creates the ValidatingWebhookConfiguration `name` for the `validate` rules and, when `mutate` rules are
 * given, the MutatingWebhookConfiguration of the same name; both send to 127.0.0.1:`port`.
 */
export async function registerLocalWebhook(
  cluster: TestCluster,
  opts: { name: string; port: number; namespaces: string[]; validate: WebhookRule[]; mutate?: WebhookRule[] },
): Promise<void> {
  const { name, port, namespaces } = opts;
  await cluster.createClusterObject(
    Resources.ValidatingWebhookConfiguration,
    localWebhookConfiguration('ValidatingWebhookConfiguration', { name, port, namespaces, rules: opts.validate }),
  );
  if (opts.mutate) {
    await cluster.createClusterObject(
      Resources.MutatingWebhookConfiguration,
      localWebhookConfiguration('MutatingWebhookConfiguration', { name, port, namespaces, rules: opts.mutate }),
    );
  }
}

interface LocalWebhookOptions {
  /** The configurations registerLocalWebhook() created; the webhook puts its CA into them. */
  configName: string;
  port: number;
  /** The webhook's own namespace: its serving Secret `<configName>-tls` goes there. */
  namespace: string;
  client: KubeClient;
  /** Further settings (mode, certificate lifetime, ...). */
  config?: Partial<WebhookConfig>;
  /** How often the serving certificate is checked, and at which fraction of its lifetime it is renewed. */
  checkIntervalMs?: number;
  renewAtFraction?: number;
}

/** Starts the webhook on 127.0.0.1:`port` with a serving certificate for 127.0.0.1. */
export function runLocalWebhook(kubeconfigPath: string, opts: LocalWebhookOptions): Promise<RunningWebhook> {
  return runWebhook(
    defaultWebhookConfig({
      kubeconfig: kubeconfigPath,
      listen: { host: '127.0.0.1', port: opts.port },
      tlsExtraSans: ['127.0.0.1'],
      namespace: opts.namespace,
      webhookConfig: opts.configName,
      tlsSecret: `${opts.configName}-tls`,
      ...opts.config,
    }),
    { client: opts.client, checkIntervalMs: opts.checkIntervalMs, renewAtFraction: opts.renewAtFraction },
  );
}
