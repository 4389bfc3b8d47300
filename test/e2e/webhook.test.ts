// The admission webhook end to end: kubectl -> API server -> certgate webhook over HTTPS with the
// caBundle the webhook patched itself. Runs against the embedded API server, or a real cluster
// through CERTGATE_E2E_KUBECONFIG (the webhook must then be reachable at 127.0.0.1 from the API
// server, e.g. kind with host networking).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../api/resources.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import type { RunningWebhook } from '../../webhook/main.ts';
import { freePort } from '../services/ports.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { createCsr, generatePrivateKey } from '../../lib/pki/index.ts';
import { clientFor, ingress, ingressRule, kubectlFor, type Kubectl } from '../fixtures.ts';
import { CERT_MANAGER_AND_INGRESS_RULES, createAcmeClusterIssuer, LETSENCRYPT_ACME_SPEC, registerLocalWebhook, runLocalWebhook } from './local-webhook.ts';

// Per run, so a real cluster can be reused; TestCluster.stop() deletes them there.
const NS = { plain: runName('wh-plain'), lenient: runName('wh-warn'), auto: runName('wh-auto') };
const CERTGATE_NS = runName('certgate'); // the webhook's own namespace (its TLS Secret)
const LE_ISSUER = runName('wh-le'); // ClusterIssuer, Ready
const PENDING_ISSUER = runName('wh-pending'); // ClusterIssuer, not Ready yet
const acmeSpec = LETSENCRYPT_ACME_SPEC;

describe('admission webhook through the API server', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  let webhook: RunningWebhook;
  let cacheDir: string;
  const configName = runName('wh-certgate-webhook');

  let apply: Kubectl['apply'];

  before(async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'certgate-kubectl-'));
    cluster = await getTestCluster();
    ({ apply } = kubectlFor(cluster.kubeconfigPath, cacheDir));
    client = clientFor(cluster.kubeconfigPath);
    const ns = (name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) =>
      cluster.createNamespace(name, { labels, annotations });
    await ns(CERTGATE_NS);
    await ns(NS.plain);
    await ns(NS.lenient, { 'certgate.io/tls': 'warn' });
    await ns(NS.auto, { 'certgate.io/tls': 'enforce' }, { 'certgate.io/default-issuer': `ClusterIssuer.${LE_ISSUER}` });
    await createAcmeClusterIssuer(cluster, LE_ISSUER, true);
    await createAcmeClusterIssuer(cluster, PENDING_ISSUER, false);
    const port = await freePort();
    await registerLocalWebhook(cluster, {
      name: configName,
      port,
      namespaces: Object.values(NS),
      ...CERT_MANAGER_AND_INGRESS_RULES,
    });
    webhook = await runLocalWebhook(cluster.kubeconfigPath, { configName, port, namespace: CERTGATE_NS, client });
  });

  after(async () => {
    await webhook?.stop();
    await cluster?.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  test('the webhook put its CA into both configurations', async () => {
    const secret = await client.get<any>(Resources.Secret, CERTGATE_NS, `${configName}-tls`);
    for (const r of [Resources.ValidatingWebhookConfiguration, Resources.MutatingWebhookConfiguration]) {
      const cfg = await client.get<any>(r, undefined, configName);
      assert.equal(cfg.webhooks[0].clientConfig.caBundle, secret.data['ca.crt']);
    }
  });

  const refusals: Array<{ name: string; obj: unknown; text: RegExp }> = [
    {
      name: 'Ingress with a tls host no rule serves',
      obj: ingress(NS.plain, 'typo', {
        rules: [ingressRule('shop.example.com')],
        tls: [{ hosts: ['shop.example.com', 'shpo.example.com'], secretName: 'shop-tls' }],
      }),
      text: /admission webhook "validate\.certgate\.io" denied the request: certgate: \[tls-host-not-in-rules\] spec\.tls\[0\]\.hosts\[1\] "shpo\.example\.com": no rule in spec\.rules has this host/,
    },
    {
      name: 'Certificate whose secretName is not a Secret name (cert-manager refuses it too)',
      obj: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'badname', namespace: NS.plain },
        spec: { secretName: 'testFoo', dnsNames: ['a.example.com'], issuerRef: { name: LE_ISSUER, kind: 'ClusterIssuer' } },
      },
      text: /\[secret-name-invalid\] spec\.secretName "testFoo": is not a valid Secret name/,
    },
    {
      name: 'Ingress asking for a wildcard from an HTTP-01 issuer',
      obj: ingress(
        NS.plain,
        'wild',
        { rules: [ingressRule('a.example.com')], tls: [{ hosts: ['*.example.com'], secretName: 'w-tls' }] },
        { 'cert-manager.io/cluster-issuer': LE_ISSUER },
      ),
      text: /\[wildcard-needs-dns01\] spec\.tls\[0\]\.hosts\[0\] "\*\.example\.com"/,
    },
    {
      name: 'Certificate with a 30m duration',
      obj: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'short', namespace: NS.plain },
        spec: { secretName: 'short-tls', dnsNames: ['a.example.com'], duration: '30m', issuerRef: { name: LE_ISSUER, kind: 'ClusterIssuer' } },
      },
      text: /\[duration-too-short\] spec\.duration "30m": must be at least 1h0m0s/,
    },
    {
      name: 'Certificate using an unsupported keystore',
      obj: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'jks', namespace: NS.plain },
        spec: {
          secretName: 'jks-tls',
          dnsNames: ['a.example.com'],
          issuerRef: { name: LE_ISSUER, kind: 'ClusterIssuer' },
          keystores: { jks: { create: true, passwordSecretRef: { name: 'p', key: 'k' } } },
        },
      },
      text: /\[unsupported-field\] spec\.keystores: certgate does not support this field/,
    },
    {
      name: "Issuer with a Let's Encrypt URL missing /directory",
      obj: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Issuer',
        metadata: { name: 'le', namespace: NS.plain },
        spec: { acme: { ...acmeSpec.acme, server: 'https://acme-v02.api.letsencrypt.org/' } },
      },
      text: /\[acme-server-invalid\] spec\.acme\.server "https:\/\/acme-v02\.api\.letsencrypt\.org\/": is not a Let's Encrypt directory URL; did you mean https:\/\/acme-v02\.api\.letsencrypt\.org\/directory/,
    },
    {
      name: 'ClusterIssuer with two issuer types',
      obj: { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: runName('wh-two') }, spec: { ...acmeSpec, selfSigned: {} } },
      text: /\[issuer-type-count\] spec \["acme","selfSigned"\]: sets acme and selfSigned/,
    },
  ];

  for (const r of refusals) {
    test(`kubectl apply is refused: ${r.name} (also with --dry-run=server)`, async () => {
      const real = await apply(r.obj);
      assert.notEqual(real.code, 0, real.stdout);
      assert.match(real.stderr, r.text);
      const dry = await apply(r.obj, '--dry-run=server');
      assert.notEqual(dry.code, 0);
      assert.match(dry.stderr, r.text);
      const o = r.obj as any;
      const kind =
        o.kind === 'Ingress'
          ? Resources.Ingress
          : o.kind === 'Certificate'
            ? Resources.Certificate
            : o.kind === 'Issuer'
              ? Resources.Issuer
              : Resources.ClusterIssuer;
      assert.equal(await client.get(kind, o.metadata.namespace, o.metadata.name), undefined, 'nothing stored');
    });
  }

  test('a good Ingress is stored; a not-Ready issuer only warns', async () => {
    const ok = await apply(
      ingress(
        NS.plain,
        'good',
        { rules: [ingressRule('good.example.com')], tls: [{ hosts: ['good.example.com'], secretName: 'good-tls' }] },
        { 'cert-manager.io/cluster-issuer': LE_ISSUER },
      ),
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, '');
    const pending = await apply(
      ingress(
        NS.plain,
        'pending',
        { rules: [ingressRule('p.example.com')], tls: [{ hosts: ['p.example.com'], secretName: 'p-tls' }] },
        { 'cert-manager.io/cluster-issuer': PENDING_ISSUER },
      ),
    );
    assert.equal(pending.code, 0, pending.stderr);
    assert.match(pending.stderr, new RegExp(`Warning: \\[issuer-not-ready\\] .*ClusterIssuer "${PENDING_ISSUER}" is not Ready`));
    // GitOps tools often apply the Ingress before its Issuer: stored, with a warning (as cert-manager stores it).
    const early = await apply(
      ingress(
        NS.plain,
        'noissuer',
        { rules: [ingressRule('early.example.com')], tls: [{ hosts: ['early.example.com'], secretName: 'early-tls' }] },
        { 'cert-manager.io/cluster-issuer': 'letsencrypt-prd' },
      ),
    );
    assert.equal(early.code, 0, early.stderr);
    assert.match(
      early.stderr,
      /Warning: \[issuer-not-found\] metadata\.annotations\["cert-manager\.io\/cluster-issuer"\] "letsencrypt-prd": no ClusterIssuer named "letsencrypt-prd" exists yet/,
    );
  });

  test('a second Ingress writing the same Secret is refused once the cache has the first', async () => {
    const second = ingress(
      NS.plain,
      'copy',
      { rules: [ingressRule('copy.example.com')], tls: [{ hosts: ['copy.example.com'], secretName: 'good-tls' }] },
      { 'cert-manager.io/cluster-issuer': LE_ISSUER },
    );
    const deadline = Date.now() + 10_000;
    let last;
    do {
      last = await apply(second, '--dry-run=server');
      if (last.code !== 0) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    assert.match(last.stderr, /\[secret-name-conflict\] spec\.tls\[0\]\.secretName "good-tls": Ingress "good" also requests a certificate into this Secret/);
  });

  test('warn mode (namespace label) stores the object and kubectl prints the warnings', async () => {
    const bad = ingress(NS.lenient, 'typo', {
      rules: [ingressRule('shop.example.com')],
      tls: [{ hosts: ['shop.example.com', 'shpo.example.com'], secretName: 'shop-tls' }],
    });
    const r = await apply(bad);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: \[tls-host-not-in-rules\] spec\.tls\[0\]\.hosts\[1\] "shpo\.example\.com"/);
    assert.ok(await client.get(Resources.Ingress, NS.lenient, 'typo'));
  });

  test('transparent TLS: a plain Ingress in a namespace labelled enforce is stored with a tls block and the issuer', async () => {
    const r = await apply(ingress(NS.auto, 'shop', { rules: [ingressRule('shop.example.com'), ingressRule('www.shop.example.com')] }));
    assert.equal(r.code, 0, r.stderr);
    const stored = await client.get<any>(Resources.Ingress, NS.auto, 'shop');
    assert.deepEqual(stored.spec.tls, [{ hosts: ['shop.example.com', 'www.shop.example.com'], secretName: 'shop-tls' }]);
    assert.equal(stored.metadata.annotations['cert-manager.io/cluster-issuer'], LE_ISSUER);
    // The user's own tls block is kept as written.
    const own = ingress(
      NS.auto,
      'own',
      { rules: [ingressRule('own.example.com')], tls: [{ hosts: ['own.example.com'], secretName: 'mine' }] },
      { 'cert-manager.io/cluster-issuer': LE_ISSUER },
    );
    assert.equal((await apply(own)).code, 0);
    assert.deepEqual((await client.get<any>(Resources.Ingress, NS.auto, 'own')).spec.tls, [{ hosts: ['own.example.com'], secretName: 'mine' }]);
  });

  test('spec.renewal.policy Disabled (cert-manager v1) is admitted and stored; renewal windows are refused as unsupported', async () => {
    const cert = (name: string, renewal: Record<string, unknown>) => ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name, namespace: NS.plain },
      spec: { secretName: `${name}-tls`, dnsNames: [`${name}.example.com`], issuerRef: { name: LE_ISSUER, kind: 'ClusterIssuer' }, renewal },
    });
    const r = await apply(cert('no-renewal', { policy: 'Disabled' }));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await client.get<any>(Resources.Certificate, NS.plain, 'no-renewal')).spec.renewal, { policy: 'Disabled' });
    const windows = await apply(cert('windows', { policy: 'RenewBefore', windows: [{ cron: '0 2 * * 1-5', windowDuration: '2h' }] }));
    assert.notEqual(windows.code, 0);
    assert.match(windows.stderr, /\[unsupported-field\] spec\.renewal\.windows: certgate does not support this field/);
  });

  test('Certificate defaults are stored explicitly', async () => {
    const cert = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'web', namespace: NS.plain },
      spec: { secretName: 'web-cert', dnsNames: ['web.example.com'], issuerRef: { name: LE_ISSUER, kind: 'ClusterIssuer' } },
    };
    const r = await apply(cert);
    assert.equal(r.code, 0, r.stderr);
    const stored = await client.get<any>(Resources.Certificate, NS.plain, 'web');
    assert.deepEqual(stored.spec.privateKey, { algorithm: 'RSA', size: 2048, encoding: 'PKCS1', rotationPolicy: 'Always' });
    assert.deepEqual(stored.spec.usages, ['digital signature', 'key encipherment']);
  });

  test("server-side apply (GitOps) over the webhook's defaults: re-applying is a no-op without conflicts; the defaults belong to no manager", async () => {
    const cert = (privateKey?: Record<string, unknown>) => ({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'gitops', namespace: NS.plain },
      spec: {
        secretName: 'gitops-cert',
        dnsNames: ['gitops.example.com'],
        issuerRef: { name: LE_ISSUER, kind: 'ClusterIssuer' },
        ...(privateKey ? { privateKey } : {}),
      },
    });
    const ssa = (obj: unknown) => apply(obj, '--server-side', '--field-manager=argocd-controller');
    const first = await ssa(cert());
    assert.equal(first.code, 0, first.stderr);
    const stored = await client.get<any>(Resources.Certificate, NS.plain, 'gitops');
    assert.deepEqual(stored.spec.privateKey, { algorithm: 'RSA', size: 2048, encoding: 'PKCS1', rotationPolicy: 'Always' }, 'defaulted by the webhook');
    const argo = stored.metadata.managedFields.find((m: any) => m.manager === 'argocd-controller');
    assert.equal(argo.operation, 'Apply');
    assert.equal(argo.fieldsV1['f:spec']['f:privateKey'], undefined, "the webhook's defaults are not the applier's");
    const again = await ssa(cert());
    assert.equal(again.code, 0, again.stderr);
    assert.equal(
      (await client.get<any>(Resources.Certificate, NS.plain, 'gitops')).metadata.resourceVersion,
      stored.metadata.resourceVersion,
      'nothing changed',
    );
    // applying a value over a default is no conflict either: nobody owns the default
    const ecdsa = await ssa(cert({ algorithm: 'ECDSA', size: 256 }));
    assert.equal(ecdsa.code, 0, ecdsa.stderr);
    const changed = await client.get<any>(Resources.Certificate, NS.plain, 'gitops');
    assert.equal(changed.spec.privateKey.algorithm, 'ECDSA');
    assert.equal(changed.spec.privateKey.size, 256);
  });

  test('CertificateRequests: a non-CSR is refused; Approved (status subresource) and the spec cannot change once set', async () => {
    const notCsr = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'CertificateRequest',
      metadata: { name: 'notcsr', namespace: NS.plain },
      spec: { request: Buffer.from('hello').toString('base64'), issuerRef: { name: LE_ISSUER, kind: 'ClusterIssuer' } },
    };
    const refused = await apply(notCsr);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /\[certificate-request-invalid\] spec\.request: is not a PEM certificate request/);
    const csr = await createCsr(await generatePrivateKey({ algorithm: 'ECDSA', size: 256 }), { dnsNames: ['cr.example.com'] });
    const good = { ...notCsr, metadata: { name: 'good', namespace: NS.plain }, spec: { ...notCsr.spec, request: Buffer.from(csr).toString('base64') } };
    const stored = await apply(good);
    assert.equal(stored.code, 0, stored.stderr);
    let cr = await client.get<any>(Resources.CertificateRequest, NS.plain, 'good');
    const approvedCondition = {
      type: 'Approved',
      status: 'True',
      reason: 'cert-manager.io',
      message: 'approved',
      lastTransitionTime: new Date().toISOString(),
    };
    cr = await client.replaceStatus(Resources.CertificateRequest, { ...cr, status: { conditions: [approvedCondition] } });
    await assert.rejects(
      client.replaceStatus(Resources.CertificateRequest, { ...cr, status: { conditions: [{ ...approvedCondition, type: 'Denied', reason: 'Nope' }] } }),
      /\[approval-condition-invalid\]/,
    );
    const edited = await apply({ ...good, spec: { ...good.spec, isCA: true } });
    assert.notEqual(edited.code, 0);
    assert.match(edited.stderr, /\[certificate-request-immutable\] spec: the spec of a CertificateRequest cannot change after creation/);
  });

  test('metrics count the denials by rule', async () => {
    const text = await webhook.server.metrics.registry.getSingleMetricAsString('certgate_webhook_admission_requests_total');
    assert.match(text, /kind="Ingress",operation="CREATE",rule="tls-host-not-in-rules",result="denied"\} [1-9]/);
    assert.match(text, /kind="Ingress",operation="CREATE",rule="tls-host-not-in-rules",result="warned"\} [1-9]/);
  });
});
