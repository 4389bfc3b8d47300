// Gateway API end to end, through the whole worker against pebble: an annotated Gateway gets its
// Secret (the gateway shim makes the Certificate; HTTP-01 is answered through an HTTPRoute the test's
// Gateway controller reads and routes to the solver), listeners left out get Events saying why, and
// the HTTPRoute goes away with the challenge. Runs unchanged on a real cluster (KUBECONFIG) with
// the upstream Gateway API CRDs (installed when missing).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Gateway, HTTPRoute } from '../../api/gateway-api.generated.ts';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { startSolver, type SolverHandle } from '../../solver/main.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { installGatewayApiCrds } from '../gateway-api/install.ts';
import { freePort, type AcmeStack } from '../services/index.ts';
import { acmeWorkerFlags, chainVerifiesTo, createIssuer, dnsSans, pebbleAcmeSpec, startStackAndCluster } from './acme-harness.ts';
import { runName, type TestCluster } from './cluster.ts';
import { CLUSTER_RESOURCE_NAMESPACE, launchWorker, readPair } from './issuance-helpers.ts';
import { startTestGateway, type TestGateway } from './test-gateway.ts';
import { clientFor, isReady, secretWithCertificate, waitFor } from '../fixtures.ts';

const NS = runName('gateway-api');
const GATEWAY = 'public';
let stack: AcmeStack;
let cluster: TestCluster;
let client: KubeClient;
let solver: SolverHandle;
let gatewayController: TestGateway;
let worker: RunningWorker;

before(
  async () => {
    [stack, cluster] = await startStackAndCluster();
    client = clientFor(cluster.kubeconfigPath);
    await installGatewayApiCrds(client);
    await cluster.createNamespace(NS);
    await cluster.createNamespace(CLUSTER_RESOURCE_NAMESPACE);
    // The solver behind the per-challenge Service; pebble dials the test's Gateway, which routes to it.
    solver = await startSolver({ client: clientFor(cluster.kubeconfigPath), listen: `127.0.0.1:${await freePort()}`, namespace: NS });
    gatewayController = await startTestGateway({ client, namespace: NS, gateway: GATEWAY, port: stack.pebble.httpPort, backendPort: solver.server.port });
    worker = await launchWorker(cluster.kubeconfigPath, NS, acmeWorkerFlags(stack, '--gateway-api-discovery-interval', '500ms'));
    // No parentRefs in the issuer: the gateway shim's Certificate names its Gateway.
    await createIssuer(client, NS, 'letsencrypt', pebbleAcmeSpec(stack, { solvers: [{ http01: { gatewayHTTPRoute: { labels: { team: 'web' } } } }] }));
  },
  { timeout: 120_000 },
);

after(
  async () => {
    await worker?.stop();
    await gatewayController?.stop();
    await solver?.stop();
    await cluster?.stop();
    await stack?.stop();
  },
  { timeout: 60_000 },
);

const eventsAbout = async (name: string) =>
  (
    await client.list<KubernetesObject & { involvedObject?: { name?: string; kind?: string }; reason?: string; message?: string }>(Resources.Event, {
      namespace: NS,
    })
  ).items
    .filter((e) => e.involvedObject?.name === name && e.involvedObject?.kind === 'Gateway')
    .map((e) => `${e.reason}: ${e.message}`);

test('an annotated Gateway gets its Secret; HTTP-01 is answered through an HTTPRoute attached to it', { timeout: 150_000 }, async () => {
  const hosts = ['shop.example.test', 'www.shop.example.test'];
  const terminate = (name: string, hostname: string | undefined, secret: string) => ({
    name,
    port: 443,
    protocol: 'HTTPS',
    ...(hostname ? { hostname } : {}),
    tls: { mode: 'Terminate', certificateRefs: [{ name: secret }] },
  });
  // A solver HTTPRoute lives only while its challenge is open (tens of ms against pebble): a watch
  // started before the Gateway records each one as it is created.
  const solverRoutes: HTTPRoute[] = [];
  const routeWatch = client.cache<HTTPRoute>(Resources.HTTPRoute, { namespace: NS });
  routeWatch.on('add', (r: HTTPRoute) => {
    if (r.metadata.labels?.['acme.cert-manager.io/http01-solver'] === 'true') solverRoutes.push(r);
  });
  await routeWatch.start();
  after(() => routeWatch.stop());
  const gateway = await client.create<Gateway>(Resources.Gateway, {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: GATEWAY, namespace: NS, annotations: { 'cert-manager.io/issuer': 'letsencrypt' } },
    spec: {
      gatewayClassName: 'test',
      listeners: [
        { name: 'http', port: 80, protocol: 'HTTP' },
        terminate('shop', hosts[0], 'shop-tls'),
        terminate('www', hosts[1], 'shop-tls'),
        terminate('no-host', undefined, 'other-tls'),
        { name: 'passthrough', port: 8443, protocol: 'TLS', hostname: 'db.example.test', tls: { mode: 'Passthrough' } },
      ],
    },
  } as Gateway);

  // One Certificate for the Secret both listeners name, covering both hostnames, controlled by the Gateway.
  const cert = await waitFor('Certificate shop-tls', () => client.get<Certificate>(Resources.Certificate, NS, 'shop-tls'), 30_000);
  assert.deepEqual(cert.spec.dnsNames, hosts);
  assert.deepEqual(
    cert.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]),
    [['Gateway', GATEWAY, gateway.metadata.uid, true]],
  );
  assert.equal(await client.get(Resources.Certificate, NS, 'other-tls'), undefined, 'no Certificate for the listener without hostname');

  // While the challenges are open, the HTTPRoutes certgate made are attached to this Gateway.
  const route = await waitFor('a solver HTTPRoute', () => solverRoutes[0], 60_000);
  assert.deepEqual(
    route.spec.parentRefs?.map((p) => [p.kind, p.name, p.namespace]),
    [['Gateway', GATEWAY, NS]],
  );
  assert.equal(route.metadata.labels?.team, 'web', "the solver's labels");
  assert.ok(hosts.includes(route.spec.hostnames![0]));
  assert.match(route.spec.rules![0].matches![0].path!.value!, /^\/\.well-known\/acme-challenge\/[\w-]+$/);

  const secret = await secretWithCertificate(client, NS, 'shop-tls', 90_000);
  const pair = readPair(secret);
  assert.deepEqual(dnsSans(pair.chain[0]), [...hosts].sort());
  assert.ok(chainVerifiesTo(pair.chain, await stack.pebble.issuingRootsPem()), 'chain verifies to pebble root');
  await waitFor('Certificate Ready', async () => isReady(await client.get<Certificate>(Resources.Certificate, NS, 'shop-tls')), 30_000);

  // pebble reached the solver only through the routes: every host was routed, by an HTTPRoute.
  for (const host of hosts)
    assert.ok(
      gatewayController.routed.some((r) => r.host === host),
      `pebble's request for ${host} was routed by an HTTPRoute`,
    );
  await waitFor(
    'solver HTTPRoutes removed',
    async () => (await client.list(Resources.HTTPRoute, { namespace: NS, labelSelector: 'acme.cert-manager.io/http01-solver=true' })).items.length === 0,
    30_000,
  );

  // The listeners left out, each with an Event saying why.
  const events = await waitFor(
    'Events on the Gateway',
    async () => {
      const e = await eventsAbout(GATEWAY);
      return e.some((x) => x.startsWith('SkippedListener')) && e.some((x) => x.startsWith('BadConfig')) ? e : undefined;
    },
    30_000,
  );
  assert.ok(
    events.some((e) => /^BadConfig: Skipped a listener block: spec\.listeners\[3\]\.hostname: Required value/.test(e)),
    events.join('\n'),
  );
  assert.ok(
    events.some((e) => /^SkippedListener: Skipped listener "passthrough" \(spec\.listeners\[4\]\): tls\.mode is Passthrough/.test(e)),
    events.join('\n'),
  );
  assert.ok(events.includes('CreateCertificate: Successfully created Certificate "shop-tls"'), events.join('\n'));
});

test(
  'a listener naming a Secret in another namespace gets no Certificate and a BadConfig Event; removing a listener deletes its Certificate',
  { timeout: 60_000 },
  async () => {
    const name = 'partner';
    await client.create<Gateway>(Resources.Gateway, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace: NS, annotations: { 'cert-manager.io/issuer': 'letsencrypt' } },
      spec: {
        gatewayClassName: 'test',
        listeners: [
          {
            name: 'elsewhere',
            port: 443,
            protocol: 'HTTPS',
            hostname: 'partner.example.test',
            tls: { mode: 'Terminate', certificateRefs: [{ name: 'partner-tls', namespace: 'kube-system' }] },
          },
          { name: 'own', port: 443, protocol: 'HTTPS', hostname: 'own.example.test', tls: { mode: 'Terminate', certificateRefs: [{ name: 'own-tls' }] } },
        ],
      },
    } as Gateway);
    await waitFor('Certificate own-tls', () => client.get<Certificate>(Resources.Certificate, NS, 'own-tls'), 30_000);
    const events = await waitFor(
      'BadConfig Event',
      async () => {
        const e = await eventsAbout(name);
        return e.some((x) => x.startsWith('BadConfig')) ? e : undefined;
      },
      30_000,
    );
    assert.ok(
      events.some((e) =>
        e.includes(
          'spec.listeners[0].tls.certificateRef[0].namespace: Invalid value: "kube-system": cross-namespace secret references are not allowed in listeners',
        ),
      ),
      events.join('\n'),
    );
    assert.equal(await client.get(Resources.Certificate, 'kube-system', 'partner-tls'), undefined);

    // The Gateway stops asking for own-tls: its Certificate goes (the Secret, if any, stays).
    await client.patch(Resources.Gateway, NS, name, { spec: { listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } });
    await waitFor('Certificate own-tls deleted', async () => (await client.get(Resources.Certificate, NS, 'own-tls')) === undefined, 30_000);
  },
);
