// The CLI against the real system: embedded API server, pebble + BIND, the HTTP-01 solver, the
// worker (with leader election) and the webhook, all in-process. `status` on a certificate the
// worker issued, `renew --wait` producing a new serial from pebble, `create certificaterequest
// --fetch-certificate` signed by the worker, and a fully green `check api`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Resources } from '../../api/resources.ts';
import { loadKubeConfig, type KubeClient } from '../../lib/kube/client.ts';
import { parsePrivateKeyPem, certificateMatchesKey, inspectCertificate } from '../../lib/pki/index.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import type { RunningWebhook } from '../../webhook/main.ts';
import { freePort, type AcmeStack } from '../services/index.ts';
import { runName, type TestCluster } from './cluster.ts';
import {
  CLUSTER_RESOURCE_NAMESPACE,
  createClusterIssuer,
  pebbleAcmeSpec,
  startTestSolver,
  workerConfig,
  prepareAcmeNamespaces,
  startStackAndCluster,
} from './acme-harness.ts';
import type { SolverHandle } from '../../solver/main.ts';
import { makeCa, makeLeaf, runCli } from '../cli/harness.ts';
import type { Certificate, CertificateRequest } from '../../api/types.generated.ts';
import { certificate, clientFor, waitFor } from '../fixtures.ts';
import { workerCaughtUp } from './issuance-helpers.ts';
import { registerLocalWebhook, runLocalWebhook } from './local-webhook.ts';

// Per run, so a real cluster can be reused; the CLI gets -n NS (its default is the context's namespace).
const NS = runName('cli-worker');
const PEBBLE = runName('pebble'); // ClusterIssuer
const WEBHOOK_CONFIG = runName('certgate-webhook');

describe('CLI against the running worker and pebble', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let stack: AcmeStack;
  let solver: SolverHandle;
  let worker: RunningWorker;
  let webhook: RunningWebhook;
  let client: KubeClient;
  let dir: string;

  before(async () => {
    [stack, cluster] = await startStackAndCluster();
    client = clientFor(cluster.kubeconfigPath);
    dir = mkdtempSync(join(tmpdir(), 'certgate-cli-worker-'));
    await prepareAcmeNamespaces(cluster, NS);
    solver = await startTestSolver(cluster.kubeconfigPath, stack, NS);
    await createClusterIssuer(cluster, PEBBLE, pebbleAcmeSpec(stack));
    const config = { ...workerConfig(stack, NS), leaderElect: true, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 1_000 };
    worker = await startWorker(Object.freeze(config), loadKubeConfig({ kubeconfig: cluster.kubeconfigPath }), { identity: 'cli-test-worker' });
    const port = await freePort();
    // only this run's namespace: on a real cluster a failing-closed webhook must not reach anyone else's
    const certificates = [{ apiGroups: ['cert-manager.io'], resources: ['certificates'] }];
    await registerLocalWebhook(cluster, { name: WEBHOOK_CONFIG, port, namespaces: [NS], validate: certificates, mutate: certificates });
    webhook = await runLocalWebhook(cluster.kubeconfigPath, { configName: WEBHOOK_CONFIG, port, namespace: CLUSTER_RESOURCE_NAMESPACE, client });
    await client.create(
      Resources.Certificate,
      certificate(NS, 'web', { dnsNames: ['web.example.test'], issuerRef: { name: PEBBLE, kind: 'ClusterIssuer' }, privateKey: { algorithm: 'ECDSA' } }),
    );
  });

  after(async () => {
    await webhook?.stop();
    await worker?.stop();
    await solver?.stop();
    await stack?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('status of a certificate issued by the worker: exit 0 once Ready, the pebble certificate and the valid order', async () => {
    const r = await waitFor('web to be Ready', async () => {
      const s = await runCli(cluster.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'web']);
      return s.code === 0 && s;
    });
    assert.match(r.stdout, /Ready: True/);
    assert.match(r.stdout, /DNS Names:\s+web\.example\.test/);
    assert.match(r.stdout, /Issuer:\s+CN=Pebble Intermediate/);
    assert.match(r.stdout, /Renewal Time: \d{4}-/);
    assert.match(r.stdout, /Order:\n {2}Name: \S+, State: valid/);
  });

  test('check api is green with the webhook running and the worker holding its lease', async () => {
    const r = await runCli(cluster.kubeconfigPath, [
      '-n',
      NS,
      'check',
      'api',
      '--wait',
      '20s',
      '--interval',
      '500ms',
      '--certgate-namespace',
      CLUSTER_RESOURCE_NAMESPACE,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`worker "cli-test-worker" holds Lease ${CLUSTER_RESOURCE_NAMESPACE}/certgate-worker`));
    assert.match(r.stdout, /The certgate API is ready/);
  });

  test('renew --wait gets a new certificate from pebble with a new serial', async () => {
    const before = JSON.parse((await runCli(cluster.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'web', '-o', 'json'])).stdout);
    const r = await runCli(cluster.kubeconfigPath, ['-n', NS, 'renew', 'web', '--wait', '--timeout', '60s', '-o', 'json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [o] = JSON.parse(r.stdout);
    assert.equal(o.result, 'ready');
    assert.equal(o.previousSerial, before.secret.certificate.serialNumber);
    assert.ok(o.serial && o.serial !== o.previousSerial, `new serial ${o.serial}`);
    assert.equal(o.revision, (before.revision ?? 1) + 1);
    const after = JSON.parse((await runCli(cluster.kubeconfigPath, ['-n', NS, 'inspect', 'secret', 'web-tls', '-o', 'json'])).stdout);
    assert.equal(after.certificate.serialNumber, o.serial);
    assert.deepEqual(after.problems, []);
  });

  test('create certificaterequest --fetch-certificate: the worker signs it, the files hold a matching pair', async () => {
    const manifest = join(dir, 'manual.yaml');
    writeFileSync(manifest, stringify(certificate(NS, 'manual', { dnsNames: ['manual.example.test'], issuerRef: { name: PEBBLE, kind: 'ClusterIssuer' } })));
    const keyFile = join(dir, 'manual.key');
    const certFile = join(dir, 'manual.crt');
    const r = await runCli(cluster.kubeconfigPath, [
      '-n',
      NS,
      'create',
      'certificaterequest',
      'manual-1',
      '--from-certificate-file',
      manifest,
      '--fetch-certificate',
      '--timeout',
      '60s',
      '--output-key-file',
      keyFile,
      '--output-certificate-file',
      certFile,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /issued; certificate written to/);
    const leaf = new X509Certificate(readFileSync(certFile, 'utf8'));
    assert.ok(certificateMatchesKey(leaf, parsePrivateKeyPem(readFileSync(keyFile, 'utf8'))));
    assert.deepEqual(inspectCertificate(leaf).names.dnsNames, ['manual.example.test']);
  });

  test('import: the worker keeps a hand-loaded certificate that matches the spec and does not issue another', async () => {
    const ca = await makeCa('Emergency CA');
    const manual = await makeLeaf({ issuer: ca, dnsNames: ['web.example.test'] });
    const manualSerial = new X509Certificate(manual.certPem).serialNumber.toLowerCase();
    const before = await client.get<Certificate>(Resources.Certificate, NS, 'web');
    const requestsBefore = (await client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS })).items.length;
    writeFileSync(join(dir, 'web.pem'), manual.certPem);
    writeFileSync(join(dir, 'web.key'), manual.keyPem);
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    const r = await runCli(cluster.kubeconfigPath, [
      '-n',
      NS,
      'import',
      '--secret',
      'web-tls',
      '--cert',
      join(dir, 'web.pem'),
      '--key',
      join(dir, 'web.key'),
      '--ca',
      join(dir, 'ca.pem'),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // The worker has seen the imported certificate once its status carries that certificate's notAfter.
    const notAfter = new Date(new X509Certificate(manual.certPem).validTo).toISOString().replace(/\.\d+Z$/, 'Z');
    const seen = await waitFor('the worker to read the imported certificate', async () => {
      const c = await client.get<Certificate>(Resources.Certificate, NS, 'web');
      return c?.status?.notAfter === notAfter && c;
    });
    assert.equal(seen.status?.revision, before?.status?.revision, 'no new revision');
    await workerCaughtUp(worker, client, NS, 'web'); // a wrong re-issuance would have started by now: Issuing=True, a new request
    const status = JSON.parse((await runCli(cluster.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'web', '-o', 'json'])).stdout);
    assert.equal(status.ready, true);
    assert.equal(status.secret.certificate.serialNumber, manualSerial);
    assert.ok(!status.conditions.some((c: any) => c.type === 'Issuing' && c.status === 'True'), JSON.stringify(status.conditions));
    assert.equal(
      (await client.list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS })).items.length,
      requestsBefore,
      'no new CertificateRequest',
    );
  });
});
