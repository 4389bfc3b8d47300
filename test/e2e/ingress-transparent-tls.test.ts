// Transparent TLS by the worker, without the webhook: plain Ingresses that already exist when their
// namespace is labelled certgate.io/tls=enforce get a tls block and the default issuer annotation
// from the ingress shim, then a certificate in "<name>-tls". Ingresses with their own tls block or
// the opt-out annotation are left alone. The worker talks to the API server through a small proxy
// that holds its first PATCH of two Ingresses while the "user" edits them, so the race between the
// worker's read and its write happens every run: the user's edit must survive it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { KubernetesObject, V1Ingress } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import { loadKubeConfig, type KubeClient } from '../../lib/kube/client.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { getTestCluster, type TestCluster } from './cluster.ts';
import { launchWorker } from './issuance-helpers.ts';
import { ingress, ingressRule, secretWithCertificate, waitFor } from '../fixtures.ts';

interface HeldRequest {
  method: string;
  path: string;
  body: string;
}

/**
 * A plain-HTTP reverse proxy to the cluster that adds the kubeconfig's credentials. `hold` may
 * return a promise to delay one request before it is forwarded (watch streams pass through).
 */
async function startKubeProxy(kubeconfigPath: string, hold: (r: HeldRequest) => Promise<void> | undefined, answered: (r: HeldRequest, status: number) => void) {
  const kc = loadKubeConfig({ kubeconfig: kubeconfigPath });
  const target = new URL(kc.getCurrentCluster()!.server);
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const seen = { method: req.method!, path: req.url!, body: body.toString('utf8') };
    await hold(seen);
    const headers: Record<string, string> = {};
    for (const k of ['accept', 'content-type', 'user-agent']) if (typeof req.headers[k] === 'string') headers[k] = req.headers[k] as string;
    if (body.length > 0) headers['content-length'] = String(body.length);
    const opts: https.RequestOptions = { method: req.method, headers };
    await kc.applyToHTTPSOptions(opts);
    const upstream = (target.protocol === 'http:' ? http : https).request(new URL(req.url!, target), opts, (up) => {
      answered(seen, up.statusCode ?? 502);
      res.writeHead(up.statusCode ?? 502, up.headers);
      res.flushHeaders(); // a watch answers its headers long before its first event
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function proxyKubeconfig(dir: string, url: string): string {
  const path = join(dir, 'kubeconfig-proxy');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node's Watch only speaks plain HTTP when told to skip TLS verification.
      clusters: [{ name: 'proxy', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'proxy', user: {} }],
      contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy' } }],
      'current-context': 'proxy',
    }),
  );
  return path;
}

describe('the worker adds transparent TLS to Ingresses that exist', { timeout: 240_000 }, () => {
  let ns = '';
  let issuerName = '';
  let cluster: TestCluster;
  let client: KubeClient;
  let worker: RunningWorker | undefined;
  let proxy: Awaited<ReturnType<typeof startKubeProxy>> | undefined;
  let dir: string;
  /** Ingress name -> the user's edit, made while the worker's first PATCH of it is held. */
  const racedEdits = new Map<string, () => Promise<unknown>>();
  /** Ingress name -> the status the API server gave the held PATCH. */
  const heldAnswers = new Map<string, number>();
  let ingressPath: RegExp;

  const getIngress = (name: string) => client.get<V1Ingress>(Resources.Ingress, ns, name);
  const stored = new Map<string, V1Ingress>();

  before(
    async () => {
      cluster = await getTestCluster();
      client = cluster.client;
      dir = mkdtempSync(join(tmpdir(), 'certgate-itt-'));
      ns = await cluster.createNamespace(cluster.name('itt-apps'));
      ingressPath = new RegExp(`^/apis/networking\\.k8s\\.io/v1/namespaces/${ns}/ingresses/([^/?]+)`);
      issuerName = cluster.name('itt-selfsigned');
      await cluster.createClusterObject(Resources.ClusterIssuer, {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: issuerName },
        spec: { selfSigned: {} },
      } as KubernetesObject);
      // Created while nothing gives them TLS (no webhook, namespace not labelled yet).
      const ingresses = [
        ingress(ns, 'shop', { rules: [ingressRule('shop.example.test'), ingressRule('www.shop.example.test')] }),
        ingress(ns, 'own', { tls: [{ hosts: ['own.example.test'], secretName: 'own-cert' }], rules: [ingressRule('own.example.test')] }),
        ingress(ns, 'optout', { rules: [ingressRule('optout.example.test')] }, { 'certgate.io/transparent-tls': 'false' }),
        ingress(ns, 'busy', { rules: [ingressRule('busy.example.test')] }),
        ingress(ns, 'taken', { rules: [ingressRule('taken.example.test')] }),
      ];
      for (const i of ingresses) stored.set(i.metadata!.name!, await client.create(Resources.Ingress, i));

      // busy: the user adds a label meanwhile (kept, and the worker still adds TLS on the new version).
      racedEdits.set('busy', () => client.patch(Resources.Ingress, ns, 'busy', { metadata: { labels: { team: 'blue' } } }));
      // taken: the user adds their own tls block meanwhile (kept; the worker then leaves it alone).
      racedEdits.set('taken', () =>
        client.patch(Resources.Ingress, ns, 'taken', { spec: { tls: [{ hosts: ['taken.example.test'], secretName: 'taken-own' }] } }),
      );
      const held = new WeakSet<HeldRequest>();
      proxy = await startKubeProxy(
        cluster.kubeconfigPath,
        (r) => {
          const m = ingressPath.exec(r.path);
          const edit = r.method === 'PATCH' && m ? racedEdits.get(m[1]) : undefined;
          if (!edit) return undefined;
          racedEdits.delete(m![1]);
          held.add(r);
          return edit().then(() => undefined);
        },
        (r, status) => {
          if (held.has(r)) heldAnswers.set(ingressPath.exec(r.path)![1], status);
        },
      );
      worker = await launchWorker(proxyKubeconfig(dir, proxy.url), ns, ['--no-leader-elect']);
    },
    { timeout: 30_000 },
  );

  after(
    async () => {
      await worker?.stop();
      await proxy?.stop();
      await cluster?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    { timeout: 30_000 },
  );

  test('nothing happens while the namespace is not labelled', async () => {
    await worker!.whenIdle(); // the worker has listed and reconciled every Ingress
    for (const name of ['shop', 'busy', 'taken']) assert.equal((await getIngress(name))!.spec!.tls, undefined, name);
  });

  test('labelling the namespace enforce patches the plain Ingress, and its Secret is issued', async () => {
    await client.patch(Resources.Namespace, undefined, ns, {
      metadata: { labels: { 'certgate.io/tls': 'enforce' }, annotations: { 'certgate.io/default-issuer': `ClusterIssuer.${issuerName}` } },
    });
    const hosts = ['shop.example.test', 'www.shop.example.test'];
    const shop = await waitFor('tls block on Ingress shop', async () => ((await getIngress('shop'))?.spec?.tls ? getIngress('shop') : undefined), 60_000);
    assert.deepEqual(shop!.spec!.tls, [{ hosts, secretName: 'shop-tls' }]);
    assert.equal(shop!.metadata!.annotations!['cert-manager.io/cluster-issuer'], issuerName);
    const secret = await secretWithCertificate(client, ns, 'shop-tls', 90_000);
    const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    assert.deepEqual(cert.subjectAltName?.split(', ').sort(), hosts.map((h) => `DNS:${h}`).sort());
    const events = await waitFor('TransparentTLS event on Ingress shop', async () => {
      const list = await client.list<any>(Resources.Event, { namespace: ns });
      const found = list.items.filter((e) => e.involvedObject?.name === 'shop' && e.reason === 'TransparentTLS');
      return found.length > 0 ? found : undefined;
    });
    assert.equal(events[0].type, 'Normal');
    assert.match(
      events[0].message,
      /^Added tls for Secret "shop-tls" \(hosts shop\.example\.test, www\.shop\.example\.test\) and annotation cert-manager\.io\/cluster-issuer=.*: namespace ".*" is labelled certgate\.io\/tls=enforce$/,
    );
  });

  test('an Ingress with its own tls block, and one that opted out, are not touched', async () => {
    for (const name of ['own', 'optout']) {
      const now = await getIngress(name);
      assert.equal(now!.metadata!.resourceVersion, stored.get(name)!.metadata!.resourceVersion, `${name} unchanged`);
      assert.equal(now!.metadata!.annotations?.['cert-manager.io/cluster-issuer'], undefined, name);
    }
    assert.equal(await client.get(Resources.Certificate, ns, 'optout-tls'), undefined);
    assert.equal(await client.get(Resources.Certificate, ns, 'own-cert'), undefined, 'no issuer annotation, so no Certificate');
  });

  test('a concurrent edit is not lost', async () => {
    // The worker's PATCH of each, sent before the user's edit landed, was refused as stale.
    await waitFor('the held PATCHes answered', async () => heldAnswers.size === 2, 45_000);
    for (const [name, status] of heldAnswers) assert.ok(status === 409 || status === 422, `${name}: ${status}`);
    const busy = await waitFor('tls block on Ingress busy', async () => ((await getIngress('busy'))?.spec?.tls ? getIngress('busy') : undefined), 45_000);
    assert.equal(busy!.metadata!.labels?.team, 'blue', 'the label added meanwhile is kept');
    assert.deepEqual(busy!.spec!.tls, [{ hosts: ['busy.example.test'], secretName: 'busy-tls' }]);
    await waitFor('Certificate busy-tls', () => client.get(Resources.Certificate, ns, 'busy-tls'));

    const taken = await getIngress('taken');
    assert.deepEqual(taken!.spec!.tls, [{ hosts: ['taken.example.test'], secretName: 'taken-own' }], "the user's own tls block is kept");
    assert.equal(taken!.metadata!.annotations?.['cert-manager.io/cluster-issuer'], undefined, 'nothing added to an Ingress that has its own tls');
    assert.equal(await client.get(Resources.Certificate, ns, 'taken-tls'), undefined);
  });
});
