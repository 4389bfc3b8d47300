// The whole of certgate with only the chart's permissions: deploy/certgate.yaml applied to the
// embedded API server with RBAC enforced, then the worker, the HTTP-01 solver and the webhook run
// with the arguments the chart gives their containers and their own ServiceAccounts' tokens,
// against real pebble and BIND. A Certificate and an annotated Ingress get their Secrets through
// admission, leader election, ACME account registration, HTTP-01 solver objects and events.
// Without its leader election Role the worker never starts issuing. With watchNamespace, the
// chart's Roles in that namespace (plus a ClusterRole for cluster-scoped kinds only) suffice to
// issue there, and the worker's ServiceAccount cannot read Secrets anywhere else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand, type CommandResult } from '../run-command.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import { freePort, startAcmeStack, type AcmeStack } from '../services/index.ts';
import { deployManifestPath, renderAlertRules, renderChart } from '../../scripts/render-manifests.ts';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import {
  acmeStackWorkerFlags,
  chartContainerArgs,
  chartWebhookServiceResolver,
  kubectlBin,
  parseManifests,
  testWorkerFlags,
  type K8sObject,
} from './render.ts';
import { KubeApiError, KubeClient, loadKubeConfig } from '../../lib/kube/client.ts';
import { Resources } from '../../api/resources.ts';
import { runWebhook } from '../../webhook/main.ts';
import { parseWebhookConfig } from '../../webhook/config.ts';
import { startSolver } from '../../solver/main.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { parseWorkerArgs } from '../../worker/flags.ts';
import { waitFor } from '../fixtures.ts';

const NS = 'certgate';
const USER_NS = 'shop';

type Run = CommandResult;

describe("worker, solver and webhook with only the chart's RBAC", { timeout: 180_000 }, () => {
  let server: EmbeddedApiServer;
  let stack: AcmeStack;
  let workDir: string;
  let objects: K8sObject[];
  let admin: KubeClient;
  let worker: RunningWorker | undefined;
  let webhookUrl = '';
  const running: { stop(): Promise<void> }[] = [];
  /** Requests to Leases seen by the API server: the elector's attempts, one at a time. */
  let leaseRequests = 0;

  const kubectl = (args: string[], input = ''): Promise<Run> =>
    runCommand(kubectlBin, ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(workDir, 'kube-cache'), ...args], { input });
  const apply = async (obj: unknown) => {
    const r = await kubectl(['apply', '-f', '-'], stringify(obj));
    assert.equal(r.code, 0, r.stderr);
  };
  const rendered = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'certgate-rbac-'));
    const webhookPort = await freePort();
    [stack, server] = await Promise.all([
      startAcmeStack(),
      startApiServer({
        rbac: true,
        crdDir: null,
        dir: join(workDir, 'apiserver'),
        serviceResolver: chartWebhookServiceResolver(webhookPort),
        onRequest: (_method, url) => {
          if (url.includes('/leases')) leaseRequests++;
        },
      }),
    ]);
    admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }), 'test-admin');
    objects = parseManifests(readFileSync(deployManifestPath, 'utf8'));
    const r = await kubectl(['apply', '-f', deployManifestPath]);
    assert.equal(r.code, 0, r.stderr);

    // The webhook and the solver, each as its own ServiceAccount, with the chart's arguments.
    const webhookKubeconfig = await server.kubeconfigFor(NS, 'certgate-webhook');
    const webhookArgs = chartContainerArgs(objects, 'certgate-webhook', 'webhook');
    webhookUrl = `https://127.0.0.1:${webhookPort}`;
    running.push(
      await runWebhook(
        parseWebhookConfig([...webhookArgs, `--listen=127.0.0.1:${webhookPort}`, '--tls-extra-san=127.0.0.1', `--kubeconfig=${webhookKubeconfig}`]),
        {
          client: new KubeClient(loadKubeConfig({ kubeconfig: webhookKubeconfig }), 'certgate-webhook'),
        },
      ),
    );
    const controllerKubeconfig = await server.kubeconfigFor(NS, 'certgate-controller');
    assert.deepEqual(chartContainerArgs(objects, 'certgate-controller', 'solver'), []);
    running.push(
      await startSolver({
        client: new KubeClient(loadKubeConfig({ kubeconfig: controllerKubeconfig }), 'certgate-solver'),
        listen: `127.0.0.1:${stack.pebble.httpPort}`,
      }),
    );

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
    const kubeconfig = await server.kubeconfigFor(NS, 'certgate-controller');
    const config = parseWorkerArgs([
      ...chartContainerArgs(objects, 'certgate-controller', 'worker'),
      ...testWorkerFlags(kubeconfig),
      ...acmeStackWorkerFlags(stack),
    ]);
    assert.equal(config.leaderElect, true);
    return startWorker(config, loadKubeConfig({ kubeconfig }));
  }

  const tlsSecret = (name: string) => admin.get<any>(Resources.Secret, USER_NS, name).then((s) => (s?.data?.['tls.crt'] ? s : undefined));

  test("the chart does not let the worker request ServiceAccount tokens; the README's Role grants it for one ServiceAccount (Route53 serviceAccountRef)", async () => {
    const canCreateToken = async (name: string) =>
      (
        await kubectl([
          'auth',
          'can-i',
          'create',
          `serviceaccounts/${name}`,
          '--subresource=token',
          '-n',
          USER_NS,
          `--as=system:serviceaccount:${NS}:certgate-controller`,
        ])
      ).stdout.trim();
    assert.equal(await canCreateToken('route53-dns'), 'no', 'not granted by the chart, as with cert-manager');
    const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'certgate-route53-token' };
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'certgate-route53-token', namespace: USER_NS },
      rules: [{ apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['route53-dns'], verbs: ['create'] }],
    });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'certgate-route53-token', namespace: USER_NS },
      roleRef,
      subjects: [{ kind: 'ServiceAccount', name: 'certgate-controller', namespace: NS }],
    });
    assert.equal(await canCreateToken('route53-dns'), 'yes');
    assert.equal(await canCreateToken('other'), 'no', 'only the ServiceAccount the Role names');
  });

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
    // The elector tries again after each refusal: a third attempt means two were answered (403).
    const attemptsBefore = leaseRequests;
    await waitFor('the worker to try for the Lease three times', () => leaseRequests - attemptsBefore >= 3);
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
    assert.ok(
      events.items.some((e: any) => e.reason === 'Presented'),
      'HTTP-01 challenge presented',
    );
    await waitFor(
      'solver objects removed',
      async () =>
        (await admin.list(Resources.Ingress, { namespace: USER_NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' })).items.length === 0 &&
        (await admin.list(Resources.Service, { namespace: USER_NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' })).items.length === 0,
    );
  });

  test('the ingress shim turns an annotated Ingress into a Certificate it owns, and it is issued', async () => {
    await apply({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: USER_NS, annotations: { 'cert-manager.io/cluster-issuer': 'pebble' } },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['web.example.test'], secretName: 'web-tls' }],
        rules: [
          { host: 'web.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
        ],
      },
    });
    const cert = await waitFor('Certificate web-tls', () => admin.get<any>(Resources.Certificate, USER_NS, 'web-tls'));
    assert.deepEqual(cert.spec.dnsNames, ['web.example.test']);
    assert.equal(cert.metadata.ownerReferences?.[0]?.kind, 'Ingress');
    assert.equal(cert.metadata.ownerReferences?.[0]?.name, 'web');
    // The shim and the mutating webhook (which makes Certificate defaults explicit) settle: no write loop.
    await waitFor('Secret web-tls', () => tlsSecret('web-tls'));
    await worker!.whenIdle(); // every change so far has been reconciled, the shim's answers to them too
    const later = await admin.get<any>(Resources.Certificate, USER_NS, 'web-tls');
    assert.ok(later.metadata.generation <= 2, `Certificate rewritten ${later.metadata.generation} times`);
  });

  test('the series the alerts query are the ones the worker and webhook export, shaped as the alert tests assume', async () => {
    const workerMetrics = await (await fetch(`http://127.0.0.1:${worker!.metricsPort}/metrics`)).text();
    const webhookMetrics = await new Promise<string>((resolve, reject) => {
      // Loopback, the webhook's own self-made CA: only the scrape matters here.
      https
        .get(`${webhookUrl}/metrics`, { rejectUnauthorized: false }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
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
    assert.match(
      line('certgate_issuer_ready_status', 'name="pebble",namespace="",kind="ClusterIssuer",condition="True"') ?? '',
      / 1$/,
      'ClusterIssuer readiness with the labels CertgateIssuerNotReady groups by',
    );
    assert.ok(
      workerMetrics
        .split('\n')
        .some((l) => l.startsWith('certmanager_http_acme_client_request_count{') && l.includes('host="127.0.0.1') && /status="2\d\d"/.test(l)),
      'ACME requests counted by host and status',
    );
  });
});

describe("with watchNamespace, the worker runs on Roles in that namespace and reads no other namespace's Secrets", { timeout: 240_000 }, () => {
  const WATCHED = 'team-a';
  const OTHER = 'team-b';
  let server: EmbeddedApiServer;
  let workDir: string;
  let admin: KubeClient;
  let workerClient: KubeClient;
  let worker: RunningWorker | undefined;

  const kubectl = (args: string[], input = ''): Promise<Run> =>
    runCommand(kubectlBin, ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(workDir, 'kube-cache'), ...args], { input });
  const apply = async (...objs: unknown[]) => {
    const r = await kubectl(['apply', '-f', '-'], objs.map((o) => stringify(o)).join('---\n'));
    assert.equal(r.code, 0, r.stderr);
  };
  const secretWithCert = (ns: string, name: string) => admin.get<any>(Resources.Secret, ns, name).then((s) => (s?.data?.['tls.crt'] ? s : undefined));

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'certgate-rbac-watch-'));
    server = await startApiServer({ rbac: true, crdDir: null, dir: join(workDir, 'apiserver') });
    admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }), 'test-admin');
    const objects = parseManifests(renderChart({ watchNamespace: WATCHED }, { release: 'certgate', namespace: NS }));
    // The CRDs, ServiceAccounts and RBAC as rendered; no webhook runs here, so no webhook configurations.
    const wanted = ['CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
    await apply(...[NS, WATCHED, OTHER].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
    await apply(...objects.filter((o) => wanted.includes(o.kind)));
    // Nothing namespaced is granted cluster-wide: the only cluster-wide rules are on cluster-scoped kinds.
    const clusterRole = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'certgate-controller')!;
    assert.deepEqual(clusterRole.rules.flatMap((r: any) => r.resources).sort(), ['clusterissuers', 'clusterissuers/status', 'ingressclasses', 'namespaces']);

    const args = chartContainerArgs(objects, 'certgate-controller', 'worker');
    assert.ok(args.includes(`--namespace=${WATCHED}`));
    const kubeconfig = await server.kubeconfigFor(NS, 'certgate-controller');
    workerClient = new KubeClient(loadKubeConfig({ kubeconfig }), 'certgate-controller');
    worker = await startWorker(parseWorkerArgs([...args, ...testWorkerFlags(kubeconfig)]), loadKubeConfig({ kubeconfig }));
  });

  after(async () => {
    await worker?.stop().catch(() => {});
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('a SelfSigned Issuer and a CA ClusterIssuer (key pair in the cluster resource namespace) issue in the watched namespace', async () => {
    await apply(
      { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'selfsigned', namespace: WATCHED }, spec: { selfSigned: {} } },
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'team-ca', namespace: WATCHED },
        spec: { isCA: true, commonName: 'team-a CA', secretName: 'team-ca', issuerRef: { name: 'selfsigned' } },
      },
    );
    const caSecret = await waitFor('SelfSigned CA Secret', () => secretWithCert(WATCHED, 'team-ca'), 20_000);
    // The platform team keeps the CA key pair in the cluster resource namespace, out of the team's reach.
    await apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: { name: 'team-ca', namespace: NS },
        data: { 'tls.crt': caSecret.data['tls.crt'], 'tls.key': caSecret.data['tls.key'] },
      },
      { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'team-ca' }, spec: { ca: { secretName: 'team-ca' } } },
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'www', namespace: WATCHED },
        spec: { dnsNames: ['www.team-a.test'], secretName: 'www-tls', issuerRef: { name: 'team-ca', kind: 'ClusterIssuer' } },
      },
    );
    const leaf = await waitFor('Secret www-tls', () => secretWithCert(WATCHED, 'www-tls'), 20_000);
    const ca = new X509Certificate(Buffer.from(caSecret.data['tls.crt'], 'base64'));
    const cert = new X509Certificate(Buffer.from(leaf.data['tls.crt'], 'base64'));
    assert.match(cert.subjectAltName ?? '', /DNS:www\.team-a\.test/);
    assert.ok(cert.verify(ca.publicKey), 'signed by the CA key pair from the cluster resource namespace');
    const ready = (c: any) => c?.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True');
    await waitFor('Certificate www Ready', async () => ready(await admin.get<any>(Resources.Certificate, WATCHED, 'www')), 45_000);
    await waitFor(
      'ClusterIssuer team-ca Ready (status written cluster-wide)',
      async () => ready(await admin.get<any>(Resources.ClusterIssuer, undefined, 'team-ca')),
      45_000,
    );
    // Events about the ClusterIssuer land in default, where kubectl describe looks.
    await waitFor(
      'ClusterIssuer event in default',
      async () =>
        (await admin.list<any>(Resources.Event, { namespace: 'default' })).items.some(
          (e: any) => e.involvedObject?.kind === 'ClusterIssuer' && e.involvedObject?.name === 'team-ca',
        ),
      10_000,
    );
  });

  test("the worker's ServiceAccount is forbidden to read Secrets outside the watched namespace", async () => {
    await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-password', namespace: OTHER }, stringData: { password: 'not for certgate' } });
    const forbidden = (e: unknown) => e instanceof KubeApiError && e.statusCode === 403;
    await assert.rejects(workerClient.get(Resources.Secret, OTHER, 'db-password'), forbidden, 'get in another namespace');
    await assert.rejects(workerClient.list(Resources.Secret, { namespace: OTHER }), forbidden, 'list in another namespace');
    await assert.rejects(workerClient.list(Resources.Secret, {}), forbidden, 'list cluster-wide');
    // In the cluster resource namespace only by name: no listing what else is kept there.
    await assert.rejects(workerClient.list(Resources.Secret, { namespace: NS }), forbidden, 'list in the cluster resource namespace');
    await assert.rejects(workerClient.list(Resources.Certificate, {}), forbidden, 'Certificates cluster-wide');
    // What it needs stays allowed.
    assert.ok(await workerClient.get(Resources.Secret, WATCHED, 'www-tls'));
    assert.ok(await workerClient.get(Resources.Secret, NS, 'team-ca'));
    // The same answer from the authorizer, as an administrator would ask it.
    const r = await kubectl(['auth', 'can-i', 'get', 'secrets', '-n', OTHER, `--as=system:serviceaccount:${NS}:certgate-controller`]);
    assert.equal(r.stdout.trim(), 'no', r.stderr);
  });
});
