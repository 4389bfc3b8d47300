// ensureTransparentTls against the embedded API server (RBAC on): cluster-wide switch and the "off"
// label, the Warning when no default issuer is known, a patch the API server refuses, an Ingress
// being deleted, and one deleted between the read and the write. The race with a user's edit and
// the whole path through the worker are in test/e2e/ingress-transparent-tls.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject, V1Ingress, V1Namespace } from '@kubernetes/client-node';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import { createEventRecorder } from '../../lib/events.ts';
import { KubeClient, loadKubeConfig, type WatchedCache } from '../../lib/kube/client.ts';
import { log } from '../../lib/log.ts';
import { startApiServer, type EmbeddedApiServer } from '../../test/apiserver/index.ts';
import type { WorkerConfig } from '../config.ts';
import type { WorkerContext } from '../context.ts';
import { ensureTransparentTls } from './transparent-tls.ts';

const quiet = log.child({}, { level: 'silent' });
// RBAC objects only this test writes (certgate itself never does), so they are not in api/resources.ts.
const rbac = (kind: string, plural: string): ResourceDescriptor => ({ group: 'rbac.authorization.k8s.io', version: 'v1', kind, plural, namespaced: false });
const ClusterRole = rbac('ClusterRole', 'clusterroles');
const ClusterRoleBinding = rbac('ClusterRoleBinding', 'clusterrolebindings');
const issuer = { kind: 'ClusterIssuer' as const, name: 'le', group: 'cert-manager.io' };

describe('ensureTransparentTls', { timeout: 240_000 }, () => {
  let server: EmbeddedApiServer;
  let dir: string;
  let admin: KubeClient;
  let namespaces: WatchedCache<V1Namespace>;

  /** A worker context with only what transparent TLS reads: client, namespace cache, recorder, config. */
  const ctxFor = (client: KubeClient, config: Partial<WorkerConfig>): WorkerContext =>
    ({
      client,
      caches: { namespaces },
      recorder: createEventRecorder({ client, component: 'certgate-test', log: quiet }),
      config: { transparentTls: false, transparentTlsExcludedNamespaces: [], ...config },
      log: quiet,
    }) as unknown as WorkerContext;
  const create = (ns: string, name: string, metadata: Record<string, unknown> = {}) =>
    admin.create<V1Ingress>(Resources.Ingress, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: ns, ...metadata },
      spec: { rules: [{ host: `${name}.example.test` }] },
    } as V1Ingress);
  const eventsFor = async (ns: string, name: string) =>
    (await admin.list<any>(Resources.Event, { namespace: ns })).items.filter((e) => e.involvedObject?.name === name);
  const flush = (ctx: WorkerContext) => ctx.recorder.flush();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certgate-tt-'));
    server = await startApiServer({ dir, crdDir: null, rbac: true });
    admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }), 'test-admin');
    const ns = (name: string, labels: Record<string, string> = {}) =>
      admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } as KubernetesObject);
    await ns('plain');
    await ns('off', { 'certgate.io/tls': 'off' });
    await ns('enforce', { 'certgate.io/tls': 'enforce' });
    namespaces = admin.cache<V1Namespace>(Resources.Namespace);
    await namespaces.start();
  });

  after(async () => {
    await namespaces?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cluster-wide: patches an Ingress in an unlabelled namespace, not one in a namespace labelled off', async () => {
    const ctx = ctxFor(admin, { transparentTls: true, defaultIssuer: issuer });
    const web = await create('plain', 'web');
    const patched = await ensureTransparentTls(ctx, web, quiet);
    assert.deepEqual(patched?.spec?.tls, [{ hosts: ['web.example.test'], secretName: 'web-tls' }]);
    assert.equal(patched?.metadata?.annotations?.['cert-manager.io/cluster-issuer'], 'le');
    assert.deepEqual((await admin.get<V1Ingress>(Resources.Ingress, 'plain', 'web'))?.spec?.tls, patched?.spec?.tls);
    await flush(ctx);
    const [event] = await eventsFor('plain', 'web');
    assert.equal(event.reason, 'TransparentTLS');
    assert.match(event.message, /cluster-wide \(--transparent-tls\)$/);

    const quietOne = await create('off', 'web');
    assert.equal(await ensureTransparentTls(ctx, quietOne, quiet), quietOne);
    assert.equal((await admin.get<V1Ingress>(Resources.Ingress, 'off', 'web'))?.metadata?.resourceVersion, quietOne.metadata?.resourceVersion);
  });

  it('an excluded namespace (one the webhook never sees) is left alone, even labelled enforce', async () => {
    const ctx = ctxFor(admin, { transparentTls: true, defaultIssuer: issuer, transparentTlsExcludedNamespaces: ['kube-system', 'enforce'] });
    const web = await create('enforce', 'excluded');
    assert.equal(await ensureTransparentTls(ctx, web, quiet), web);
    assert.equal((await admin.get<V1Ingress>(Resources.Ingress, 'enforce', 'excluded'))?.metadata?.resourceVersion, web.metadata?.resourceVersion);
    await flush(ctx);
    assert.deepEqual(await eventsFor('enforce', 'excluded'), []);
  });

  it('without a default issuer the Ingress is left alone and gets a Warning that says why', async () => {
    const ctx = ctxFor(admin, {});
    const web = await create('enforce', 'noissuer');
    assert.equal(await ensureTransparentTls(ctx, web, quiet), web);
    await flush(ctx);
    const [event] = await eventsFor('enforce', 'noissuer');
    assert.equal(event.type, 'Warning');
    assert.equal(event.reason, 'TransparentTLSSkipped');
    assert.match(
      event.message,
      /no default issuer; set --default-issuer or the namespace annotation certgate.io\/default-issuer \(namespace "enforce" is labelled certgate.io\/tls=enforce\)/,
    );
  });

  it('a patch the API server refuses becomes a Warning, not a retry loop', async () => {
    // A ServiceAccount that may read Ingresses and write Events, but not patch Ingresses.
    await admin.create(ClusterRole, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'no-patch' },
      rules: [
        { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    } as KubernetesObject);
    await admin.create(ClusterRoleBinding, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'no-patch' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'no-patch' },
      subjects: [{ kind: 'ServiceAccount', name: 'worker', namespace: 'plain' }],
    } as KubernetesObject);
    const limited = new KubeClient(loadKubeConfig({ kubeconfig: await server.kubeconfigFor('plain', 'worker') }), 'certgate-worker');
    const ctx = ctxFor(limited, { transparentTls: true, defaultIssuer: issuer });
    const web = await create('plain', 'refused');
    assert.equal(await ensureTransparentTls(ctx, web, quiet), web);
    await flush(ctx);
    const [event] = await eventsFor('plain', 'refused');
    assert.equal(event.type, 'Warning');
    assert.equal(event.reason, 'TransparentTLSFailed');
    assert.match(event.message, /^Could not add tls for Secret "refused-tls": .*forbidden/i);
  });

  it('an Ingress being deleted is not touched; one deleted meanwhile is reported gone', async () => {
    const ctx = ctxFor(admin, { transparentTls: true, defaultIssuer: issuer });
    await create('plain', 'leaving', { finalizers: ['example.test/hold'] });
    await admin.delete(Resources.Ingress, 'plain', 'leaving');
    const leaving = (await admin.get<V1Ingress>(Resources.Ingress, 'plain', 'leaving'))!;
    assert.ok(leaving.metadata?.deletionTimestamp);
    assert.equal(await ensureTransparentTls(ctx, leaving, quiet), leaving);
    assert.equal((await admin.get<V1Ingress>(Resources.Ingress, 'plain', 'leaving'))?.spec?.tls, undefined);

    const gone = await create('plain', 'gone');
    await admin.delete(Resources.Ingress, 'plain', 'gone');
    assert.equal(await ensureTransparentTls(ctx, gone, quiet), undefined);
    await flush(ctx);
    assert.deepEqual(await eventsFor('plain', 'gone'), []);
  });
});
