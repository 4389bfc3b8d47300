// Failures that used to be known only to the worker's log, each now on the object a user looks at
// (a status field or condition message, and a Warning Event on what they applied), with the fix.
// Worker and webhook on the embedded API server (or a real cluster via CERTGATE_E2E_KUBECONFIG).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreV1Event, V1Ingress } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import type { RunningWebhook } from '../../webhook/main.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { freePort } from '../services/ports.ts';
import { createClusterIssuer } from './acme-harness.ts';
import { getTestCluster, type TestCluster } from './cluster.ts';
import { CLUSTER_RESOURCE_NAMESPACE, launchWorker } from './issuance-helpers.ts';
import { clientFor, waitFor } from '../fixtures.ts';
import { registerLocalWebhook, runLocalWebhook } from './local-webhook.ts';

const PERCENTAGES = [100, 0];

describe('failures are visible on the objects users look at', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  let worker: RunningWorker;
  let webhook: RunningWebhook;
  let ns: string;
  let issuer: string;

  const warnings = async (kind: string, name: string) =>
    (await client.list<CoreV1Event>(Resources.Event, { namespace: ns })).items.filter(
      (e) => e.type === 'Warning' && e.involvedObject.kind === kind && e.involvedObject.name === name,
    );
  const ingress = (name: string, secretName: string, annotations: Record<string, string> = {}): V1Ingress => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns, annotations: { 'cert-manager.io/cluster-issuer': issuer, ...annotations } },
    spec: {
      rules: [
        { host: `${name}.example.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
      ],
      tls: [{ hosts: [`${name}.example.test`], secretName }],
    },
  });

  before(async () => {
    cluster = await getTestCluster();
    client = clientFor(cluster.kubeconfigPath);
    ns = cluster.name('failures');
    issuer = cluster.name('failures-selfsigned');
    const configName = cluster.name('failures-webhook');
    const port = await freePort();
    await cluster.createNamespace(CLUSTER_RESOURCE_NAMESPACE);
    await cluster.createNamespace(ns);
    await createClusterIssuer(cluster, issuer, { selfSigned: {} });
    // Stored before the webhook is registered (it refuses them now): objects from before an upgrade, or applied while it was off.
    for (const percentage of PERCENTAGES) {
      await client.create(Resources.Certificate, {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: `pct-${percentage}`, namespace: ns },
        spec: {
          secretName: `pct-${percentage}-tls`,
          dnsNames: [`pct-${percentage}.example.test`],
          issuerRef: { name: issuer, kind: 'ClusterIssuer' },
          renewBeforePercentage: percentage,
        },
      } as Certificate);
    }
    // Only the validating webhook, for Certificates: it refuses what the ingress shim derives from a bad annotation.
    await registerLocalWebhook(cluster, {
      name: configName,
      port,
      namespaces: [ns],
      validate: [{ apiGroups: ['cert-manager.io'], resources: ['certificates'] }],
    });
    webhook = await runLocalWebhook(cluster.kubeconfigPath, { configName, port, namespace: CLUSTER_RESOURCE_NAMESPACE, client });
    worker = await launchWorker(cluster.kubeconfigPath, ns, ['--no-leader-elect']);
  });

  after(async () => {
    await worker?.stop();
    await webhook?.stop();
    await cluster?.stop();
  });

  test('an annotation value the webhook would refuse on the derived Certificate (duration "10m"): a BadConfig Warning on the Ingress, no Certificate', async () => {
    await client.create(Resources.Ingress, ingress('short', 'short-tls', { 'cert-manager.io/duration': '10m' }));
    const event = await waitFor(
      'BadConfig Warning on Ingress short',
      async () => (await warnings('Ingress', 'short')).find((e) => e.reason === 'BadConfig' || e.reason === 'CertificateRefused'),
      60_000,
    );
    assert.match(event.message!, /cert-manager\.io\/duration: duration must be at least 60m|\[duration-too-short\]/);
    assert.equal(await client.get(Resources.Certificate, ns, 'short-tls'), undefined);
  });

  test('a secretName that is not a valid object name: a BadConfig Warning on the Ingress with a valid name to use', async () => {
    await client.create(Resources.Ingress, ingress('upper', 'Web_TLS'));
    const event = await waitFor(
      'BadConfig Warning on Ingress upper',
      async () => (await warnings('Ingress', 'upper')).find((e) => e.reason === 'BadConfig'),
      60_000,
    );
    assert.match(
      event.message!,
      /spec\.tls\[0\]\.secretName "Web_TLS" is not a valid Secret or Certificate name: it must be a lower-case RFC 1123 subdomain.*rename it \(for example "web-tls"\)/,
    );
  });

  test('two Ingresses created at once with one secretName: the older gets the certificate, the other a Warning naming it', async () => {
    await Promise.all([client.create(Resources.Ingress, ingress('first', 'shared-tls')), client.create(Resources.Ingress, ingress('second', 'shared-tls'))]);
    const [a, b] = await Promise.all([client.get<V1Ingress>(Resources.Ingress, ns, 'first'), client.get<V1Ingress>(Resources.Ingress, ns, 'second')]);
    const stamp = (i: V1Ingress | undefined) =>
      String(i?.metadata?.creationTimestamp instanceof Date ? i.metadata.creationTimestamp.toISOString() : i?.metadata?.creationTimestamp);
    // The winner by the documented order: older creationTimestamp, then name.
    const [winner, loser] = stamp(a) < stamp(b) || stamp(a) === stamp(b) ? ['first', 'second'] : ['second', 'first'];
    const cert = await waitFor(
      'Certificate shared-tls Ready',
      async () => {
        const c = await client.get<Certificate>(Resources.Certificate, ns, 'shared-tls');
        return c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ? c : undefined;
      },
      60_000,
    );
    assert.equal(cert.metadata.ownerReferences?.[0]?.name, winner);
    const event = await waitFor(
      `SecretNameTaken Warning on Ingress ${loser}`,
      async () => (await warnings('Ingress', loser)).find((e) => e.reason === 'SecretNameTaken'),
      30_000,
    );
    assert.equal(
      event.message,
      `spec.tls[0].secretName "shared-tls" is also requested by Ingress "${winner}", which is older and gets the certificate; use another secretName for this Ingress`,
    );
  });

  for (const percentage of PERCENTAGES) {
    test(`renewBeforePercentage ${percentage} (stored before the webhook ran): Ready with a renewal time from the default rule, and a Warning that says why`, async () => {
      const name = `pct-${percentage}`;
      const cert = await waitFor(
        `Certificate ${name} Ready`,
        async () => {
          const c = await client.get<Certificate>(Resources.Certificate, ns, name);
          return c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') && c.status.renewalTime ? c : undefined;
        },
        60_000,
      );
      assert.equal(cert.status!.renewalTimeSource, 'DefaultFraction');
      const lifetime = Date.parse(cert.status!.notAfter!) - Date.parse(cert.status!.notBefore!);
      assert.ok(
        Math.abs(Date.parse(cert.status!.notAfter!) - Date.parse(cert.status!.renewalTime!) - lifetime / 3) < 2000,
        'renews when a third of the lifetime is left',
      );
      const ready = cert.status!.conditions!.find((c) => c.type === 'Ready')!;
      assert.equal(
        ready.message,
        `Certificate is up to date and has not expired; it renews when a third of the lifetime is left (half for certificates of 10 days or less), because renewBeforePercentage must be an integer between 1 and 99, got ${percentage}`,
      );
      const event = await waitFor(
        `RenewalRuleIgnored Warning on ${name}`,
        async () => (await warnings('Certificate', name)).find((e) => e.reason === 'RenewalRuleIgnored'),
        30_000,
      );
      assert.match(event.message!, /Fix spec\.renewBeforePercentage \(1 to 99\) or spec\.renewBefore/);
    });
  }
});
