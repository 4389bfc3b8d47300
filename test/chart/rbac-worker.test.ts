// The whole of certgate with only the chart's permissions: deploy/certgate.yaml applied to the
// embedded API server with RBAC enforced, then the worker, the HTTP-01 solver and the webhook run
// with the arguments the chart gives their containers and their own ServiceAccounts' tokens,
// against real pebble and BIND. A Certificate and an annotated Ingress get their Secrets through
// admission, leader election, ACME account registration, HTTP-01 solver objects and events.
// Without its leader election Role the worker never starts issuing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand, type CommandResult } from '../run-command.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import { freePort, startAcmeStack, type AcmeStack } from '../services/index.ts';
import { deployManifestPath, renderAlertRules } from '../../scripts/render-manifests.ts';
import https from 'node:https';
import { kubectlBin, parseManifests, type K8sObject } from './render.ts';
import { KubeClient, loadKubeConfig } from '../../lib/kube/client.ts';
import { Resources } from '../../api/resources.ts';
import { runWebhook } from '../../webhook/main.ts';
import { parseWebhookConfig } from '../../webhook/config.ts';
import { startSolver } from '../../solver/main.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { parseWorkerArgs } from '../../worker/flags.ts';

const NS = 'certgate';
const USER_NS = 'shop';

type Run = CommandResult;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('worker, solver and webhook with only the chart\'s RBAC', { timeout: 180_000 }, () => {
  let server: EmbeddedApiServer;
  let stack: AcmeStack;
  let workDir: string;
  let objects: K8sObject[];
  let admin: KubeClient;
  let worker: RunningWorker | undefined;
  let webhookUrl = '';
  const running: { stop(): Promise<void> }[] = [];

  const kubectl = (args: string[], input = ''): Promise<Run> =>
    runCommand(kubectlBin, ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(workDir, 'kube-cache'), ...args], { input });
  const apply = async (obj: unknown) => {
    const r = await kubectl(['apply', '-f', '-'], stringify(obj));
    assert.equal(r.code, 0, r.stderr);
  };
  const rendered = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const containerArgs = (deployment: string, container: string): string[] =>
    rendered('Deployment', deployment).spec.template.spec.containers.find((c: any) => c.name === container).args;
  const withoutListen = (args: string[]) => args.filter((a) => !/^--(metrics-|health-)?listen=/.test(a));

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'certgate-rbac-'));
    const webhookPort = await freePort();
    [stack, server] = await Promise.all([
      startAcmeStack(),
      startApiServer({
        rbac: true,
        crdDir: null,
        dir: join(workDir, 'apiserver'),
        serviceResolver: (namespace, name, port) => {
          if (namespace === NS && name === 'certgate-webhook' && port === 443) return `https://127.0.0.1:${webhookPort}`;
          throw new Error(`no such service ${namespace}/${name}:${port}`);
        },
      }),
    ]);
    admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }), 'test-admin');
    objects = parseManifests(readFileSync(deployManifestPath, 'utf8'));
    const r = await kubectl(['apply', '-f', deployManifestPath]);
    assert.equal(r.code, 0, r.stderr);

    // The webhook and the solver, each as its own ServiceAccount, with the chart's arguments.
    const webhookKubeconfig = await server.kubeconfigFor(NS, 'certgate-webhook');
    const webhookArgs = withoutListen(containerArgs('certgate-webhook', 'webhook').slice(1));
    webhookUrl = `https://127.0.0.1:${webhookPort}`;
    running.push(await runWebhook(parseWebhookConfig([...webhookArgs, `--listen=127.0.0.1:${webhookPort}`, '--tls-extra-san=127.0.0.1', `--kubeconfig=${webhookKubeconfig}`]), {
      client: new KubeClient(loadKubeConfig({ kubeconfig: webhookKubeconfig }), 'certgate-webhook'),
    }));
    const controllerKubeconfig = await server.kubeconfigFor(NS, 'certgate-controller');
    assert.deepEqual(withoutListen(containerArgs('certgate-controller', 'solver').slice(1)), []);
    running.push(await startSolver({ client: new KubeClient(loadKubeConfig({ kubeconfig: controllerKubeconfig }), 'certgate-solver'), listen: `127.0.0.1:${stack.pebble.httpPort}` }));

    await apply({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: USER_NS } });
    await apply({
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: 'pebble' },
      spec: {
        acme: {
          server: stack.pebble.directoryUrl,
          email: 'ops@example.test',
          caBundle: Buffer.from(stack.pebble.caBundlePem).toString('base64'),
          privateKeySecretRef: { name: 'pebble-account' },
          solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }],
        },
      },
    });
  });

  after(async () => {
    await worker?.stop().catch(() => {});
    for (const r of running.reverse()) await r.stop().catch(() => {});
    await server?.stop();
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  async function startChartWorker(): Promise<RunningWorker> {
    const args = withoutListen(containerArgs('certgate-controller', 'worker').slice(1));
    const kubeconfig = await server.kubeconfigFor(NS, 'certgate-controller');
    const config = parseWorkerArgs([
      ...args,
      '--metrics-listen=127.0.0.1:0',
      '--health-listen=127.0.0.1:0',
      `--kubeconfig=${kubeconfig}`,
      // Test-only: where pebble and BIND are, and short waits.
      `--acme-http01-self-check-port=${stack.pebble.httpPort}`,
      `--acme-dns-nameserver=127.0.0.1:${stack.bind.port}`,
      '--acme-backoff-min-ms=20',
      '--leader-election-retry-period=500ms',
      '--leader-election-renew-deadline=2s',
      '--leader-election-lease-duration=3s',
    ]);
    assert.equal(config.leaderElect, true);
    return startWorker(config, loadKubeConfig({ kubeconfig }));
  }

  const tlsSecret = (name: string) => admin.get<any>(Resources.Secret, USER_NS, name).then((s) => (s?.data?.['tls.crt'] ? s : undefined));

  test('without its leader election Role the worker never leads; with it, a Certificate is issued', async () => {
    const leaseRole = rendered('Role', 'certgate-controller-leader-election');
    await apply({ ...leaseRole, rules: [] });
    worker = await startChartWorker();
    await apply({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'www', namespace: USER_NS },
      spec: { secretName: 'www-tls', dnsNames: ['www.example.test'], issuerRef: { name: 'pebble', kind: 'ClusterIssuer' } },
    });
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(worker.isLeader(), false, 'no lease without the Role');
    assert.equal(await tlsSecret('www-tls'), undefined, 'nothing issued without a leader');

    await apply(leaseRole);
    await waitFor('the worker to lead', async () => worker!.isLeader());
    const lease = await admin.get<any>(Resources.Lease, NS, 'certgate-worker');
    assert.equal(lease.spec.holderIdentity, worker.identity);
    const secret = await waitFor('Secret www-tls', () => tlsSecret('www-tls'));
    const pem = Buffer.from(secret.data['tls.crt'], 'base64').toString();
    const { X509Certificate } = await import('node:crypto');
    assert.match(new X509Certificate(pem).subjectAltName ?? '', /DNS:www\.example\.test/);
    const cert = await waitFor('Certificate Ready', async () => {
      const c = await admin.get<any>(Resources.Certificate, USER_NS, 'www');
      return c?.status?.conditions?.find((x: any) => x.type === 'Ready' && x.status === 'True') ? c : undefined;
    });
    assert.ok(cert.status.notAfter);
    // The ACME account key went to the cluster resource namespace the chart configures.
    assert.ok(await admin.get(Resources.Secret, NS, 'pebble-account'));
    const events = await admin.list<any>(Resources.Event, { namespace: USER_NS });
    assert.ok(events.items.length > 0, 'events recorded');
    // HTTP-01 solver Ingresses and Services were created and cleaned up with the worker's permissions.
    assert.ok(events.items.some((e: any) => e.reason === 'Presented'), 'HTTP-01 challenge presented');
    await waitFor('solver objects removed', async () =>
      (await admin.list(Resources.Ingress, { namespace: USER_NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' })).items.length === 0 &&
      (await admin.list(Resources.Service, { namespace: USER_NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' })).items.length === 0);
  });

  test('the ingress shim turns an annotated Ingress into a Certificate it owns, and it is issued', async () => {
    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: USER_NS, annotations: { 'cert-manager.io/cluster-issuer': 'pebble' } },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['web.example.test'], secretName: 'web-tls' }],
        rules: [{ host: 'web.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    });
    const cert = await waitFor('Certificate web-tls', () => admin.get<any>(Resources.Certificate, USER_NS, 'web-tls'));
    assert.deepEqual(cert.spec.dnsNames, ['web.example.test']);
    assert.equal(cert.metadata.ownerReferences?.[0]?.kind, 'Ingress');
    assert.equal(cert.metadata.ownerReferences?.[0]?.name, 'web');
    // The shim and the mutating webhook (which makes Certificate defaults explicit) settle: no write loop.
    await new Promise((r) => setTimeout(r, 2000));
    const later = await admin.get<any>(Resources.Certificate, USER_NS, 'web-tls');
    assert.ok(later.metadata.generation <= 2, `Certificate rewritten ${later.metadata.generation} times in 2 s`);
    await waitFor('Secret web-tls', () => tlsSecret('web-tls'));
  });

  test('the series the alerts query are the ones the worker and webhook export, shaped as the alert tests assume', async () => {
    const workerMetrics = await (await fetch(`http://127.0.0.1:${worker!.metricsPort}/metrics`)).text();
    const webhookMetrics = await new Promise<string>((resolve, reject) => {
      // Loopback, the webhook's own self-made CA: only the scrape matters here.
      https.get(`${webhookUrl}/metrics`, { rejectUnauthorized: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    const exported = new Set([...`${workerMetrics}\n${webhookMetrics}`.matchAll(/^([a-z_]+)(?:\{| )/gm)].map((m) => m[1]));
    const queried = new Set([...renderAlertRules().matchAll(/\b((?:certmanager|certgate)_[a-z_]+)\b/g)].map((m) => m[1]));
    for (const name of queried) assert.ok(exported.has(name), `alerts query ${name}, which nothing exports`);

    const line = (metric: string, labels: string) => workerMetrics.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(labels));
    const certLabels = 'name="www",namespace="shop",issuer_name="pebble",issuer_kind="ClusterIssuer",issuer_group="cert-manager.io"';
    const cert = await admin.get<any>(Resources.Certificate, USER_NS, 'www');
    const expiry = line('certmanager_certificate_expiration_timestamp_seconds', certLabels);
    assert.ok(expiry, `expiration series with labels ${certLabels}:\n${workerMetrics}`);
    assert.equal(Number(expiry!.split(' ').at(-1)), Date.parse(cert.status.notAfter) / 1000);
    const renewal = line('certmanager_certificate_renewal_timestamp_seconds', certLabels);
    assert.equal(Number(renewal!.split(' ').at(-1)), Date.parse(cert.status.renewalTime) / 1000);
    assert.match(line('certmanager_certificate_ready_status', 'condition="True"') ?? '', / 1$/);
    assert.match(line('certgate_issuer_ready_status', 'name="pebble",namespace="",kind="ClusterIssuer",condition="True"') ?? '', / 1$/, 'ClusterIssuer readiness with the labels CertgateIssuerNotReady groups by');
    assert.ok(workerMetrics.split('\n').some((l) => l.startsWith('certmanager_http_acme_client_request_count{') && l.includes('host="127.0.0.1') && /status="2\d\d"/.test(l)), 'ACME requests counted by host and status');
  });
});
