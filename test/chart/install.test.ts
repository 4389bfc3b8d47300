// deploy/certgate.yaml applied with kubectl to the embedded API server with RBAC enforced, then
// certgate's processes run with nothing but the chart's ServiceAccounts and permissions: the
// webhook (its own TLS Secret, caBundle patch, admission of user objects) and the HTTP-01 solver.
// Taking one rule out of the chart's RBAC makes the component fail, so the rules are not decoration.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand, type CommandResult } from '../run-command.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import { freePort } from '../services/index.ts';
import { deployManifestPath } from '../../scripts/render-manifests.ts';
import { kubectlBin, parseManifests, type K8sObject } from './render.ts';
import { KubeClient, loadKubeConfig } from '../../lib/kube/client.ts';
import { Resources } from '../../api/resources.ts';
import { runWebhook, type RunningWebhook } from '../../webhook/main.ts';
import { parseWebhookConfig } from '../../webhook/config.ts';
import { startSolver, type SolverHandle } from '../../solver/main.ts';

const NS = 'certgate';
const USER_NS = 'shop';

type Run = CommandResult;

describe("install with kubectl apply, run with the chart's RBAC", { timeout: 240_000 }, () => {
  let server: EmbeddedApiServer;
  let workDir: string;
  let webhookPort: number;
  let objects: K8sObject[];
  let admin: KubeClient;
  const running: { stop(): Promise<void> }[] = [];

  const kubectl = (args: string[], input?: string, kubeconfig = server.kubeconfigPath): Promise<Run> =>
    runCommand(kubectlBin, ['--kubeconfig', kubeconfig, '--cache-dir', join(workDir, 'kube-cache'), ...args], { input });

  const clientAs = async (sa: string) => new KubeClient(loadKubeConfig({ kubeconfig: await server.kubeconfigFor(NS, sa) }), `certgate-${sa}`);

  /** The webhook with exactly the arguments the chart gives its container, bound to loopback. */
  async function startChartWebhook(port: number): Promise<RunningWebhook> {
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'certgate-webhook')!;
    const args: string[] = deployment.spec.template.spec.containers[0].args;
    assert.equal(args[0], 'webhook');
    const flags = args.slice(1).filter((a) => !a.startsWith('--listen=') && !a.startsWith('--metrics-listen='));
    const kubeconfig = await server.kubeconfigFor(NS, deployment.spec.template.spec.serviceAccountName);
    const config = parseWebhookConfig([...flags, `--listen=127.0.0.1:${port}`, '--tls-extra-san=127.0.0.1', `--kubeconfig=${kubeconfig}`]);
    const webhook = await runWebhook(config, { client: new KubeClient(loadKubeConfig({ kubeconfig }), 'certgate-webhook') });
    running.push(webhook);
    return webhook;
  }

  /** Replaces a rendered ClusterRole/Role in the server (as admin) with `rules`. */
  async function setRules(kind: 'ClusterRole' | 'Role', name: string, rules: unknown[]): Promise<void> {
    const original = objects.find((o) => o.kind === kind && o.metadata.name === name)!;
    const r = await kubectl(['apply', '-f', '-'], stringify({ ...original, rules }));
    assert.equal(r.code, 0, r.stderr);
  }

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'certgate-install-'));
    webhookPort = await freePort();
    server = await startApiServer({
      rbac: true,
      crdDir: null, // the CRDs come from deploy/certgate.yaml
      dir: join(workDir, 'apiserver'),
      serviceResolver: (namespace, name, port) => {
        if (namespace === NS && name === 'certgate-webhook' && port === 443) return `https://127.0.0.1:${webhookPort}`;
        throw new Error(`no such service ${namespace}/${name}:${port}`);
      },
    });
    admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }), 'test-admin');
    objects = parseManifests(readFileSync(deployManifestPath, 'utf8'));
  });

  after(async () => {
    for (const r of running.reverse()) await r.stop().catch(() => {});
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('kubectl apply -f deploy/certgate.yaml creates every object, and is idempotent', async () => {
    const file = join(workDir, 'certgate.yaml');
    writeFileSync(file, readFileSync(deployManifestPath, 'utf8'));

    const first = await kubectl(['apply', '-f', file]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /customresourcedefinition.apiextensions.k8s.io\/certificates.cert-manager.io created/);
    assert.match(first.stdout, /validatingwebhookconfiguration.admissionregistration.k8s.io\/certgate-webhook created/);
    assert.match(first.stdout, /clusterrole.rbac.authorization.k8s.io\/certgate-controller created/);
    assert.match(first.stdout, /deployment.apps\/certgate-webhook created/);
    assert.match(first.stdout, /poddisruptionbudget.policy\/certgate-webhook created/);
    const created = first.stdout.split('\n').filter((l) => / created$/.test(l));
    assert.equal(created.length, objects.length, `every object created:\n${first.stdout}`);

    const crds = await kubectl(['get', 'crd', '-o', 'name']);
    for (const plural of ['certificates', 'certificaterequests', 'issuers', 'clusterissuers'])
      assert.match(crds.stdout, new RegExp(`${plural}.cert-manager.io`));
    for (const plural of ['orders', 'challenges']) assert.match(crds.stdout, new RegExp(`${plural}.acme.cert-manager.io`));
    const listed = await kubectl(['get', 'certificates', '-A']);
    assert.equal(listed.code, 0, listed.stderr);

    const again = await kubectl(['apply', '-f', file]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, / created$/m);
  });

  test('the webhook starts with only its ServiceAccount: TLS Secret, caBundle, and it admits and rejects', async () => {
    const webhook = await startChartWebhook(webhookPort);
    assert.ok(webhook.rotator.bundle, 'serving certificate in place');
    const secret = await admin.get<any>(Resources.Secret, NS, 'certgate-webhook-tls');
    assert.ok(secret.data, 'TLS Secret created by the webhook');
    for (const r of [Resources.ValidatingWebhookConfiguration, Resources.MutatingWebhookConfiguration]) {
      const cfg = await admin.get<any>(r, undefined, 'certgate-webhook');
      assert.ok(cfg.webhooks[0].clientConfig.caBundle, `${cfg.kind} caBundle filled in`);
    }

    // Re-applying the manifest keeps the caBundle the webhook wrote.
    const reapplied = await kubectl(['apply', '-f', join(workDir, 'certgate.yaml')]);
    assert.equal(reapplied.code, 0, reapplied.stderr);
    const cfg = await admin.get<any>(Resources.ValidatingWebhookConfiguration, undefined, 'certgate-webhook');
    assert.ok(cfg.webhooks[0].clientConfig.caBundle, 'caBundle survives kubectl apply');

    // The API server now sends user objects through the webhook.
    assert.equal((await kubectl(['create', 'namespace', USER_NS])).code, 0);
    const badIngress = stringify({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', namespace: USER_NS, annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt-staging' } },
      spec: {
        tls: [{ hosts: ['www.example.com'], secretName: 'shop-tls' }],
        rules: [
          { host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] } },
        ],
      },
    });
    const denied = await kubectl(['apply', '-f', '-'], badIngress);
    assert.notEqual(denied.code, 0, 'a tls host without a rule is refused');
    assert.match(denied.stderr, /validate\.certgate\.io/);
    assert.match(denied.stderr, /\[tls-host-not-in-rules\]/);
  });

  test("the HTTP-01 solver answers challenges with only the controller's ServiceAccount", async () => {
    const solver: SolverHandle = await startSolver({ client: await clientAs('certgate-controller'), listen: '127.0.0.1:0' });
    running.push(solver);
    const challenge = {
      apiVersion: 'acme.cert-manager.io/v1',
      kind: 'Challenge',
      metadata: { name: 'shop-1', namespace: USER_NS },
      spec: {
        authorizationURL: 'https://acme.example/authz/1',
        url: 'https://acme.example/chall/1',
        dnsName: 'shop.example.com',
        type: 'HTTP-01',
        token: 'tok-123',
        key: 'tok-123.thumbprint',
        issuerRef: { name: 'letsencrypt-staging', kind: 'ClusterIssuer', group: 'cert-manager.io' },
        solver: { http01: { ingress: { ingressClassName: 'nginx' } } },
      },
    };
    await admin.create(Resources.Challenge, challenge as any);
    const url = `${solver.server.url.replace(/\/$/, '')}/.well-known/acme-challenge/tok-123`;
    const deadline = Date.now() + 10_000;
    let body = '';
    while (Date.now() < deadline) {
      const res = await fetch(url);
      body = await res.text();
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body, 'tok-123.thumbprint');
  });

  test("taking a rule out of the chart's RBAC breaks the component that needs it", async () => {
    // Solver without list/watch on Challenges: it could not see any token, so it refuses to start.
    const controllerRole = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'certgate-controller')!;
    const withoutChallenges = controllerRole.rules.filter(
      (r: any) => !(r.apiGroups.includes('acme.cert-manager.io') && r.resources.includes('challenges') && r.verbs.includes('list')),
    );
    assert.equal(withoutChallenges.length, controllerRole.rules.length - 1);
    await setRules('ClusterRole', 'certgate-controller', withoutChallenges);
    await assert.rejects(
      startSolver({ client: await clientAs('certgate-controller'), listen: '127.0.0.1:0' }),
      /cannot list Challenges: .*forbidden/,
      'a solver that may not list Challenges does not start',
    );
    await setRules('ClusterRole', 'certgate-controller', controllerRole.rules);

    // Webhook without update on its configurations: it cannot publish its CA, so it does not start.
    const webhookRole = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'certgate-webhook')!;
    const withoutPatch = webhookRole.rules.filter((r: any) => !r.resources.includes('validatingwebhookconfigurations'));
    await setRules('ClusterRole', 'certgate-webhook', withoutPatch);
    await admin.delete(Resources.Secret, NS, 'certgate-webhook-tls'); // force a new CA that must be published
    await assert.rejects(startChartWebhook(await freePort()), /forbidden|403/i);
    await setRules('ClusterRole', 'certgate-webhook', webhookRole.rules);

    // Webhook without its TLS Secret Role: it cannot create or read the Secret.
    const tlsRole = objects.find((o) => o.kind === 'Role' && o.metadata.name === 'certgate-webhook-tls')!;
    await setRules(
      'Role',
      'certgate-webhook-tls',
      tlsRole.rules.filter((r: any) => !r.verbs.includes('create')),
    );
    await admin.delete(Resources.Secret, NS, 'certgate-webhook-tls'); // the first replica of a fresh install creates it
    await assert.rejects(startChartWebhook(await freePort()), /forbidden|403/i);
    await setRules('Role', 'certgate-webhook-tls', tlsRole.rules);
  });
});
