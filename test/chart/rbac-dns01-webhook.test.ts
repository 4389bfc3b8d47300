// The chart's dns01WebhookGroups: with RBAC enforced by the embedded API server, the controller's
// ServiceAccount can call a DNS-01 webhook solver of a listed group through the aggregation layer
// (the same call the worker makes), and is refused one of a group not listed, with a message
// that names the value to set.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import { startWebhookSolver, type WebhookSolver } from '../services/webhook-solver.ts';
import { KubeClient, loadKubeConfig, type KubernetesObject } from '../../lib/kube/client.ts';
import { webhookProvider } from '../../worker/acme/challenges/dns01/webhook.ts';
import { Dns01ProviderError } from '../../worker/acme/challenges/dns01/provider.ts';
import type { Challenge } from '../../api/types.generated.ts';
import { renderObjects } from './render.ts';

const NS = 'certgate';
const LISTED = 'acme.listed.test';
const OTHER = 'acme.other.test';
let server: EmbeddedApiServer;
const solvers: WebhookSolver[] = [];
let controller: KubeClient;

before(async () => {
  server = await startApiServer({ rbac: true, crdDir: null });
  const admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }));
  const objects = renderObjects({ dns01WebhookGroups: [LISTED] }, { namespace: NS });
  const rbac = objects.filter((o) => ['ClusterRole', 'ClusterRoleBinding', 'ServiceAccount'].includes(o.kind));
  await admin.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  for (const o of rbac) {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    const plural = `${o.kind.toLowerCase()}s`;
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const ns = o.metadata.namespace ?? (o.kind === 'ServiceAccount' ? NS : undefined);
    await admin.request('POST', ns ? `${base}/namespaces/${ns}/${plural}` : `${base}/${plural}`, {
      body: { ...o, metadata: { ...o.metadata, namespace: ns } },
    });
  }
  for (const group of [LISTED, OTHER]) {
    const service = `solver-${group.split('.')[1]}`;
    const solver = await startWebhookSolver({ groupName: group, solverName: 'dns', serviceDnsNames: [`${service}.${NS}.svc`] });
    solvers.push(solver);
    await admin.request('POST', `/api/v1/namespaces/${NS}/services`, {
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: service, namespace: NS }, spec: { type: 'ExternalName', externalName: 'localhost' } },
    });
    await admin.request('POST', '/apis/apiregistration.k8s.io/v1/apiservices', {
      body: {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: `v1alpha1.${group}` },
        spec: {
          group,
          version: 'v1alpha1',
          service: { namespace: NS, name: service, port: solver.port },
          caBundle: solver.caBundle,
          groupPriorityMinimum: 1000,
          versionPriority: 15,
        },
      } as KubernetesObject,
    });
  }
  const sa = objects.find((o) => o.kind === 'ServiceAccount' && /controller/.test(o.metadata.name))!;
  controller = new KubeClient(loadKubeConfig({ kubeconfig: await server.kubeconfigFor(NS, sa.metadata.name) }));
});

after(async () => {
  for (const s of solvers) await s.stop();
  await server?.stop();
});

const challenge = {
  metadata: { uid: '0b7a4a3e-5d1b-4c53-9a39-3a8f3c1c2f10', name: 'c', namespace: 'shop' },
  spec: { dnsName: 'shop.example.test', key: 'k' },
} as unknown as Challenge;
const request = { fqdn: '_acme-challenge.shop.example.test.', zone: 'example.test.', value: 'k', challenge, resourceNamespace: 'shop' };

test('the controller may call a solver of a listed group', async () => {
  const provider = await webhookProvider(
    { webhook: { groupName: LISTED, solverName: 'dns', config: { publish: 'never' } } },
    { client: controller, resourceNamespace: 'shop', allowAmbientCredentials: false },
  );
  await provider.present(request);
  const seen = solvers[0].requests.at(-1)!;
  assert.equal(seen.payload.request.action, 'Present');
  assert.match(seen.remoteUser ?? '', /^system:serviceaccount:certgate:.*controller/);
});

test('a group not in dns01WebhookGroups is forbidden, and the error says which value to set', async () => {
  const provider = await webhookProvider(
    { webhook: { groupName: OTHER, solverName: 'dns', config: { publish: 'never' } } },
    { client: controller, resourceNamespace: 'shop', allowAmbientCredentials: false },
  );
  await assert.rejects(provider.present(request), (err: unknown) => {
    assert.ok(err instanceof Dns01ProviderError);
    assert.equal(err.retryable, false);
    assert.match(err.message, /may not create \/apis\/acme\.other\.test\/v1alpha1\/dns .*dns01WebhookGroups/);
    return true;
  });
  assert.equal(solvers[1].requests.length, 0, 'the API server did not proxy the refused call');
});
