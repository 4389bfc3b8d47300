// Transparent TLS end to end: a plain Ingress (no tls block) applied with kubectl into a namespace
// labelled certgate.io/tls=enforce gets a tls block and the namespace's default issuer from the
// webhook, then the worker's ingress-shim and SelfSigned issuer put a certificate for its hosts
// into the derived Secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { Resources } from '../../api/resources.ts';
import { freePort } from '../services/ports.ts';
import { createClusterIssuer } from './acme-harness.ts';
import { getTestCluster } from './cluster.ts';
import { CLUSTER_RESOURCE_NAMESPACE, launchWorker } from './issuance-helpers.ts';
import { clientFor, ingress, ingressRule, kubectlFor, secretWithCertificate } from '../fixtures.ts';
import { registerLocalWebhook, runLocalWebhook } from './local-webhook.ts';

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
  await createClusterIssuer(cluster, issuer, { selfSigned: {} });
  const ingresses = [{ apiGroups: ['networking.k8s.io'], resources: ['ingresses'] }];
  await registerLocalWebhook(cluster, { name: configName, port, namespaces: [ns], validate: ingresses, mutate: ingresses });
  const webhook = await runLocalWebhook(cluster.kubeconfigPath, { configName, port, namespace: CLUSTER_RESOURCE_NAMESPACE, client });
  const worker = await launchWorker(cluster.kubeconfigPath, ns);
  try {
    const hosts = ['shop.example.test', 'www.shop.example.test'];
    const applied = await kubectlFor(cluster.kubeconfigPath).apply(ingress(ns, 'shop', { rules: hosts.map((host) => ingressRule(host, 'shop')) }));
    assert.equal(applied.code, 0, applied.stderr);
    const stored = await client.get<any>(Resources.Ingress, ns, 'shop');
    assert.deepEqual(stored.spec.tls, [{ hosts, secretName: 'shop-tls' }]);
    assert.equal(stored.metadata.annotations['cert-manager.io/cluster-issuer'], issuer);

    const secret = await secretWithCertificate(client, ns, 'shop-tls');
    const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    assert.deepEqual(cert.subjectAltName?.split(', ').sort(), hosts.map((h) => `DNS:${h}`).sort());
  } finally {
    await worker.stop();
    await webhook.stop();
    await cluster.stop();
  }
});
