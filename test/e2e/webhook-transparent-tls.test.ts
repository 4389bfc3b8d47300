// Transparent TLS end to end: a plain Ingress (no tls block) applied with kubectl into a namespace
// labelled certgate.io/tls=enforce gets a tls block and the namespace's default issuer from the
// webhook, then the worker's ingress-shim and SelfSigned issuer put a certificate for its hosts
// into the derived Secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { stringify } from 'yaml';
import { Resources } from '../../api/resources.ts';
import { defaultWebhookConfig } from '../../webhook/config.ts';
import { runWebhook } from '../../webhook/main.ts';
import { freePort } from '../services/ports.ts';
import { getTestCluster } from './cluster.ts';
import { CLUSTER_RESOURCE_NAMESPACE, launchWorker } from './issuance-helpers.ts';
import { clientFor, waitFor } from '../fixtures.ts';

function kubectlApply(kubeconfig: string, obj: unknown): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stderr });
    });
    p.stdin.end(stringify(obj));
  });
}

test('a plain Ingress in a transparent-TLS namespace ends up with an issued certificate', { timeout: 90_000 }, async () => {
  const cluster = await getTestCluster();
  const client = clientFor(cluster.kubeconfigPath);
  // per run, so a real cluster can be reused; stop() deletes them there
  const ns = cluster.name('tt-apps');
  const issuer = cluster.name('tt-selfsigned');
  const configName = cluster.name('tt-webhook');
  const port = await freePort();
  await cluster.createNamespace(CLUSTER_RESOURCE_NAMESPACE); // the worker's Lease, the webhook's TLS Secret
  await cluster.createNamespace(ns, { labels: { 'certgate.io/tls': 'enforce' }, annotations: { 'certgate.io/default-issuer': `ClusterIssuer.${issuer}` } });
  await cluster.createClusterObject(Resources.ClusterIssuer, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: issuer },
    spec: { selfSigned: {} },
  } as any);
  const hook = (kind: string, path: string, resources: string[], apiGroups: string[]) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name: configName },
    webhooks: [
      {
        name: `${path}.certgate.io`,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 5,
        clientConfig: { url: `https://127.0.0.1:${port}/${path}` },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
        rules: [{ apiGroups, apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources }],
      },
    ],
  });
  await cluster.createClusterObject(
    Resources.MutatingWebhookConfiguration,
    hook('MutatingWebhookConfiguration', 'mutate', ['ingresses'], ['networking.k8s.io']) as any,
  );
  await cluster.createClusterObject(
    Resources.ValidatingWebhookConfiguration,
    hook('ValidatingWebhookConfiguration', 'validate', ['ingresses'], ['networking.k8s.io']) as any,
  );
  const webhook = await runWebhook(
    defaultWebhookConfig({
      kubeconfig: cluster.kubeconfigPath,
      listen: { host: '127.0.0.1', port },
      tlsExtraSans: ['127.0.0.1'],
      namespace: CLUSTER_RESOURCE_NAMESPACE,
      webhookConfig: configName,
      tlsSecret: `${configName}-tls`,
    }),
    { client },
  );
  const worker = await launchWorker(cluster.kubeconfigPath, ns);
  try {
    const hosts = ['shop.example.test', 'www.shop.example.test'];
    const backend = { service: { name: 'shop', port: { number: 80 } } };
    const applied = await kubectlApply(cluster.kubeconfigPath, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: ns },
      spec: { rules: hosts.map((host) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } })) },
    });
    assert.equal(applied.code, 0, applied.stderr);
    const stored = await client.get<any>(Resources.Ingress, ns, 'shop');
    assert.deepEqual(stored.spec.tls, [{ hosts, secretName: 'shop-tls' }]);
    assert.equal(stored.metadata.annotations['cert-manager.io/cluster-issuer'], issuer);

    const secret = await waitFor(
      'Secret shop-tls with a certificate',
      async () => {
        const s = await client.get<any>(Resources.Secret, ns, 'shop-tls');
        return s?.data?.['tls.crt'] ? s : undefined;
      },
      60_000,
    );
    const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    assert.deepEqual(cert.subjectAltName?.split(', ').sort(), hosts.map((h) => `DNS:${h}`).sort());
  } finally {
    await worker.stop();
    await webhook.stop();
    await cluster.stop();
  }
});
