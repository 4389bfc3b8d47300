// The chart's life cycle with helm itself against the embedded API server: install, upgrade
// (CRDs included: they are templates, not helm's install-only crds/ folder), uninstall keeping
// the CRDs and every Certificate (crds.keep) but nothing else, not even helm's release Secrets
// (client-go deletes those with a protobuf DeleteOptions body), and a reinstall that adopts the kept CRDs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '../run-command.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import { chartDir, helmBin } from '../../scripts/render-manifests.ts';
import { kubectlBin } from './render.ts';

const NS = 'certgate';

describe('helm install, upgrade, uninstall', { timeout: 240_000 }, () => {
  let server: EmbeddedApiServer;
  let workDir: string;

  const run = (cmd: string, args: string[], input = '') => runCommand(cmd, args, { input });
  const helm = (...args: string[]) => run(helmBin, ['--kubeconfig', server.kubeconfigPath, ...args]);
  const kubectl = (args: string[], input?: string) =>
    run(kubectlBin, ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(workDir, 'kube-cache'), ...args], input);
  const getJson = async (...args: string[]) => {
    const r = await kubectl(['get', ...args, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  /** helm's storage: one Secret per release revision, labelled owner=helm */
  const releaseSecrets = async () => (await getJson('secrets', '-n', NS, '-l', 'owner=helm,name=certgate')).items.map((s: any) => s.metadata.name).sort();
  const crdNames = [
    'certificates.cert-manager.io',
    'certificaterequests.cert-manager.io',
    'issuers.cert-manager.io',
    'clusterissuers.cert-manager.io',
    'orders.acme.cert-manager.io',
    'challenges.acme.cert-manager.io',
  ];

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'certgate-helm-'));
    server = await startApiServer({ crdDir: null, dir: join(workDir, 'apiserver') });
  });

  after(async () => {
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test("install creates the CRDs and every component; NOTES point at the Let's Encrypt issuers", async () => {
    const r = await helm('install', 'certgate', chartDir, '--namespace', NS, '--create-namespace', '--set', 'crds.keep=false');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /STATUS: deployed/);
    assert.match(r.stdout, /https:\/\/acme-staging-v02\.api\.letsencrypt\.org\/directory/);
    assert.match(r.stdout, /https:\/\/acme-v02\.api\.letsencrypt\.org\/directory/);
    for (const crd of crdNames) {
      const obj = await getJson('crd', crd);
      assert.equal(obj.metadata.annotations?.['helm.sh/resource-policy'], undefined, 'crds.keep=false: no keep annotation');
      assert.equal(obj.metadata.annotations?.['meta.helm.sh/release-name'], 'certgate');
    }
    const deployments = (await getJson('deployments', '-n', NS)).items.map((d: any) => d.metadata.name).sort();
    assert.deepEqual(deployments, ['certgate-controller', 'certgate-webhook']);
  });

  test("upgrade changes the CRDs too (here: adds the keep policy) and the components' flags", async () => {
    const r = await helm('upgrade', 'certgate', chartDir, '--namespace', NS, '--set', 'webhook.mode=warn');
    assert.equal(r.code, 0, r.stderr);
    for (const crd of crdNames) assert.equal((await getJson('crd', crd)).metadata.annotations?.['helm.sh/resource-policy'], 'keep', crd);
    const webhook = await getJson('deployment', 'certgate-webhook', '-n', NS);
    assert.ok(webhook.spec.template.spec.containers[0].args.includes('--mode=warn'));
  });

  test('uninstall removes the release and its objects but keeps the CRDs and the Certificates; a reinstall adopts them', async () => {
    // In certgate's own namespace, which the webhook never sees (nothing serves it in this test).
    const cert = JSON.stringify({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'survivor', namespace: NS },
      spec: { secretName: 'survivor-tls', dnsNames: ['www.example.com'], issuerRef: { name: 'letsencrypt-production', kind: 'ClusterIssuer' } },
    });
    const created = await kubectl(['apply', '-f', '-'], cert);
    assert.equal(created.code, 0, created.stderr);

    const manifest = await helm('get', 'manifest', 'certgate', '--namespace', NS);
    assert.equal(manifest.code, 0, manifest.stderr);
    const chartObjects = parseAllDocuments(manifest.stdout)
      .map((d) => d.toJS())
      .filter((o) => o?.kind && o.kind !== 'CustomResourceDefinition');
    const group = (apiVersion: string) => (apiVersion.includes('/') ? `.${apiVersion.split('/')[0]}` : '');
    const refs = chartObjects.map((o) => `${o.kind}${group(o.apiVersion)}/${o.metadata.name}`); // e.g. Deployment.apps/certgate-webhook
    assert.ok(refs.length >= 15, `the chart's objects: ${refs.join(' ')}`);
    const before = await kubectl(['get', ...refs, '--namespace', NS, '--ignore-not-found', '--output', 'name']);
    assert.equal(before.stdout.trim().split('\n').length, refs.length, `all found before uninstall: ${before.stdout}${before.stderr}`);
    assert.deepEqual(await releaseSecrets(), ['sh.helm.release.v1.certgate.v1', 'sh.helm.release.v1.certgate.v2'], 'one Secret per revision before uninstall');

    const r = await helm('uninstall', 'certgate', '--namespace', NS);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /release "certgate" uninstalled/);
    assert.match(r.stdout, /These resources were kept due to the resource policy:[\s\S]*CustomResourceDefinition/);
    // what a user checks: no release left, not even in `helm list -a`, and no release Secrets
    const list = await helm('list', '--all', '--namespace', NS, '--output', 'json');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), []);
    const status = await helm('status', 'certgate', '--namespace', NS);
    assert.notEqual(status.code, 0);
    assert.match(status.stderr, /release: not found/);
    assert.deepEqual(await releaseSecrets(), []);
    // every object the release rendered is gone; the CRDs and the Certificates stay (crds.keep)
    const left = await kubectl(['get', ...refs, '--namespace', NS, '--ignore-not-found', '--output', 'name']);
    assert.equal(left.code, 0, left.stderr);
    assert.equal(left.stdout.trim(), '', 'objects left after uninstall');
    for (const crd of crdNames) assert.equal((await kubectl(['get', 'crd', crd])).code, 0, `${crd} kept`);
    assert.equal((await getJson('certificate', 'survivor', '-n', NS)).spec.secretName, 'survivor-tls');

    const again = await helm('install', 'certgate', chartDir, '--namespace', NS);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /REVISION: 1/);
    assert.deepEqual(await releaseSecrets(), ['sh.helm.release.v1.certgate.v1']);
    assert.equal((await getJson('certificate', 'survivor', '-n', NS)).metadata.name, 'survivor');
  });
});
