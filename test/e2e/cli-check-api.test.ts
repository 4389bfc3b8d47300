// `certgate check api` against the embedded API server with the real webhook (in-process,
// registered through Validating/MutatingWebhookConfigurations) and a worker Lease: it passes only
// when all three are there, and fails naming what is missing, e.g. when the webhook is down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../../api/resources.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { freePort } from '../services/index.ts';
import type { RunningWebhook } from '../../webhook/main.ts';
import { runCli } from '../cli/harness.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { clientFor } from '../fixtures.ts';
import { registerLocalWebhook, runLocalWebhook } from './local-webhook.ts';

// Per run, so a real cluster can be reused (and a certgate installed there is not looked at).
const NS = runName('check-api'); // where the dry-run Certificate goes
const CERTGATE_NS = runName('certgate'); // the worker's Lease, the webhook's TLS Secret
const WEBHOOK_CONFIG = runName('certgate-webhook');
const CHECK_API = ['-n', NS, 'check', 'api', '--certgate-namespace', CERTGATE_NS];

const microIso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

describe('certgate check api', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  let webhook: RunningWebhook | undefined;
  let port: number;

  const lease = (renewMs: number, holder = 'certgate-worker-abc') =>
    ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'certgate-worker', namespace: CERTGATE_NS },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: 300, // long: a loaded test machine must not see it expire mid-test
        acquireTime: microIso(renewMs),
        renewTime: microIso(renewMs),
      },
    }) as any;

  before(async () => {
    cluster = await getTestCluster();
    client = clientFor(cluster.kubeconfigPath);
    await cluster.createNamespace(NS);
    await cluster.createNamespace(CERTGATE_NS);
    port = await freePort();
  });

  after(async () => {
    await webhook?.stop();
    await cluster?.stop();
  });

  test('fails naming the webhook and the lease while neither is there', async () => {
    const r = await runCli(cluster.kubeconfigPath, [...CHECK_API]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /OK {4}crds: all certgate CRDs are served/);
    assert.match(r.stdout, /FAIL {2}webhook: a Certificate the certgate webhook must reject was accepted/);
    assert.match(r.stdout, new RegExp(`FAIL {2}worker-lease: Lease ${CERTGATE_NS}/certgate-worker not found`));
    assert.match(r.stdout, /The certgate API is NOT ready/);
  });

  test('--wait keeps checking until the worker holds its lease and the webhook answers', async () => {
    const certificates = [{ apiGroups: ['cert-manager.io'], resources: ['certificates'] }];
    await registerLocalWebhook(cluster, { name: WEBHOOK_CONFIG, port, namespaces: [NS], validate: certificates, mutate: certificates });
    const started = runCli(cluster.kubeconfigPath, [...CHECK_API, '--wait', '40s', '--interval', '300ms', '-o', 'json']);
    webhook = await runLocalWebhook(cluster.kubeconfigPath, { configName: WEBHOOK_CONFIG, port, namespace: CERTGATE_NS, client });
    await client.create(Resources.Lease, lease(Date.now()));
    const r = await started;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ready, true);
    assert.deepEqual(
      out.checks.map((c: any) => [c.name, c.ok]),
      [
        ['crds', true],
        ['webhook', true],
        ['worker-lease', true],
      ],
    );
    assert.match(out.checks[2].message, new RegExp(`worker "certgate-worker-abc" holds Lease ${CERTGATE_NS}/certgate-worker`));
    // the dry run left nothing behind
    assert.equal((await client.list(Resources.Certificate, { namespace: NS })).items.length, 0);
  });

  test('a stale lease fails: the worker stopped renewing', async () => {
    const current = await client.get<any>(Resources.Lease, CERTGATE_NS, 'certgate-worker');
    await client.replace(Resources.Lease, { ...current, spec: { ...current.spec, renewTime: microIso(Date.now() - 600_000) } });
    const r = await runCli(cluster.kubeconfigPath, [...CHECK_API]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`FAIL {2}worker-lease: Lease ${CERTGATE_NS}/certgate-worker held by "certgate-worker-abc" expired \\d+s ago`));
    await client.replace(Resources.Lease, { ...(await client.get<any>(Resources.Lease, CERTGATE_NS, 'certgate-worker')), spec: lease(Date.now()).spec });
  });

  test('fails when the webhook is down', async () => {
    await webhook!.stop();
    webhook = undefined;
    const r = await runCli(cluster.kubeconfigPath, [...CHECK_API]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL {2}webhook: the certgate webhook is not answering: .*failed calling webhook/);
    assert.match(r.stdout, /OK {4}worker-lease/);
  });

  test('in warn mode the mutating webhook is the evidence that the webhook answers', async () => {
    webhook = await runLocalWebhook(cluster.kubeconfigPath, { configName: WEBHOOK_CONFIG, port, namespace: CERTGATE_NS, client, config: { mode: 'warn' } });
    const r = await runCli(cluster.kubeconfigPath, [...CHECK_API, '--wait', '20s', '--interval', '300ms']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /OK {4}webhook: the certgate mutating webhook answered a dry-run create/);
  });
});
