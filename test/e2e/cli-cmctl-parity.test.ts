// What cmctl has, in certgate's CLI, against the API server: renew -l/--selector, version (client,
// and the installed components), completion scripts and their suggestions, and kubectl's
// connection flags (--token, --server, --certificate-authority, --insecure-skip-tls-verify, --as,
// --as-group, --request-timeout). approve/deny: test/e2e/approval.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { loadKubeConfig } from '../../lib/kube/client.ts';
import { createWithStatus, makeCa, runCli, LETSENCRYPT } from '../cli/harness.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { certificate, clientFor } from '../fixtures.ts';

const NS = runName('cmctl-parity');
const OTHER = runName('cmctl-parity-b');
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true };

/** bin/certgate.ts as a user runs it (completion writes to the process's stdout). */
function certgate(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'bin/certgate.ts'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('cmctl parity in the CLI', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  let dir: string;
  const cli = (...argv: string[]) => runCli(cluster.kubeconfigPath, argv);
  const issuingReason = async (ns: string, name: string) =>
    (await client.get<Certificate>(Resources.Certificate, ns, name))?.status?.conditions?.find((c) => c.type === 'Issuing')?.reason;

  before(async () => {
    cluster = await getTestCluster({ rbac: true });
    client = clientFor(cluster.kubeconfigPath);
    dir = mkdtempSync(join(tmpdir(), 'certgate-cmctl-'));
    for (const ns of [NS, OTHER]) await cluster.createNamespace(ns);
    const ready = { conditions: [{ type: 'Ready', status: 'True' as const, reason: 'Ready', message: 'ok' }], revision: 1 };
    for (const [ns, name, team] of [
      [NS, 'web', 'a'],
      [NS, 'shop', 'b'],
      [OTHER, 'api', 'a'],
    ] as const) {
      const c = certificate(ns, name, { dnsNames: [`${name}.example.test`], issuerRef: LETSENCRYPT });
      await createWithStatus<Certificate>(client, Resources.Certificate, { ...c, metadata: { ...c.metadata, labels: { team } }, status: ready });
    }
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await cluster?.stop();
  });

  test('renew -l/--selector renews the matching Certificates, with -A in every namespace', async () => {
    const one = await cli('-n', NS, 'renew', '-l', 'team=a');
    assert.equal(one.code, 0, one.stderr);
    assert.equal(await issuingReason(NS, 'web'), 'ManuallyTriggered');
    assert.equal(await issuingReason(NS, 'shop'), undefined, 'not matching: untouched');
    assert.equal(await issuingReason(OTHER, 'api'), undefined, 'other namespace: untouched without -A');
    const all = await cli('-n', NS, 'renew', '--selector', 'team=a', '-A');
    assert.equal(all.code, 0, all.stderr);
    assert.equal(await issuingReason(OTHER, 'api'), 'ManuallyTriggered');
    const both = await cli('-n', NS, 'renew', 'web', '-l', 'team=a');
    assert.equal(both.code, 1);
    assert.match(both.stderr, /give one of Certificate names, --all or -l\/--selector, not both/);
  });

  test('version: the client, and the installed components with -o', async () => {
    const client_ = await cli('version', '--client');
    assert.equal(client_.code, 0, client_.stderr);
    assert.match(client_.stdout, /^Client Version: v\d+\.\d+\.\d+ \(node v\d+/);
    // A certgate Deployment as the chart labels it.
    await client.create(DEPLOYMENT, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'certgate-webhook',
        namespace: NS,
        labels: { 'app.kubernetes.io/part-of': 'certgate', 'app.kubernetes.io/component': 'webhook', 'app.kubernetes.io/version': '9.9.9-test' },
      },
      spec: {
        selector: { matchLabels: { app: 'w' } },
        template: { metadata: { labels: { app: 'w' } }, spec: { containers: [{ name: 'webhook', image: 'ghcr.io/example/certgate:9.9.9-test' }] } },
      },
    } as KubernetesObject);
    const json = await cli('version', '-o', 'json');
    const v = JSON.parse(json.stdout);
    assert.match(v.clientVersion.gitVersion, /^v\d/);
    const ours = v.serverVersion.components.find((c: { name: string; namespace?: string }) => c.name === 'certgate-webhook' && c.namespace === NS);
    assert.deepEqual(ours, {
      kind: 'Deployment',
      namespace: NS,
      name: 'certgate-webhook',
      component: 'webhook',
      version: '9.9.9-test',
      images: ['ghcr.io/example/certgate:9.9.9-test'],
    });
    assert.ok(
      v.serverVersion.components.some(
        (c: { kind: string; name: string }) => c.kind === 'CustomResourceDefinition' && c.name === 'certificates.cert-manager.io',
      ),
      'the CRDs are found',
    );
    // Exit 0 exactly when one version was detected (a real cluster may run another certgate).
    assert.equal(json.code, v.serverVersion.detected ? 0 : 1);
    if (!cluster.real) assert.equal(v.serverVersion.detected, '9.9.9-test');
  });

  test('completion scripts for bash, zsh, fish and powershell; suggestions from the command tree', async () => {
    for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
      const r = await certgate(['completion', shell]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /certgate complete '?--'?/, `${shell} script asks certgate for suggestions`);
      if (shell === 'bash') {
        writeFileSync(join(dir, 'certgate.bash'), r.stdout);
        const syntax = await new Promise<number | null>((done) => spawn('bash', ['-n', join(dir, 'certgate.bash')]).on('close', done));
        assert.equal(syntax, 0, 'bash accepts the script');
      }
    }
    const verbs = await certgate(['complete', '--', 'ap']);
    assert.match(verbs.stdout, /^approve\t/m);
    const flags = await certgate(['complete', '--', 'renew', '--se']);
    assert.match(flags.stdout, /^--selector\t/m);
    const help = await certgate(['--help']);
    assert.match(help.stdout, /convert is not needed/);
  });

  test("kubectl's connection flags", async () => {
    const kc = loadKubeConfig({ kubeconfig: cluster.kubeconfigPath });
    const server = kc.getCurrentCluster()!.server;
    const list = (...flags: string[]) => cli('-n', NS, ...flags, 'status', 'certificates');

    const badToken = await list('--token', 'not-a-token');
    assert.equal(badToken.code, 1);
    assert.match(badToken.stderr, /Unauthorized|401/i);

    const goodToken = kc.getCurrentUser()?.token;
    if (goodToken) assert.equal((await list('--token', goodToken)).code, 0, 'the kubeconfig token given as a flag');

    const nobody = await list('--as', 'nobody@example.test');
    assert.equal(nobody.code, 1, 'impersonating a user without permissions');
    assert.match(nobody.stderr, /forbidden/i);
    assert.match(nobody.stderr, /nobody@example\.test/);
    const groups = await list('--as', 'admin@example.test', '--as-group', 'system:masters');
    assert.equal(groups.code, 0, `impersonating system:masters: ${groups.stderr}`);

    const insecure = await list('--insecure-skip-tls-verify');
    assert.equal(insecure.code, 0, insecure.stderr);
    const otherCa = await makeCa('not the API server CA');
    writeFileSync(join(dir, 'other-ca.crt'), otherCa.certPem);
    const wrongCa = await list('--certificate-authority', join(dir, 'other-ca.crt'));
    assert.equal(wrongCa.code, 1, 'a CA that did not sign the server certificate');
    assert.match(wrongCa.stderr, /certificate|self.signed|verify/i);

    const unreachable = await list('--server', 'https://127.0.0.1:1', '--insecure-skip-tls-verify');
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /ECONNREFUSED|connect/i);
    assert.equal((await list('--server', server)).code, 0, '--server with the kubeconfig server');

    const badTimeout = await list('--request-timeout', 'soon');
    assert.equal(badTimeout.code, 1);
    assert.match(badTimeout.stderr, /--request-timeout "soon"/);
    assert.equal((await list('--request-timeout', '20s')).code, 0);
  });
});
