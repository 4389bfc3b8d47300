// The user's view, through the whole worker (worker/main.ts): an ACME Issuer and an Ingress
// annotated cert-manager.io/issuer, or a Certificate, give a TLS Secret whose chain verifies to
// pebble's root for exactly the requested names, and a Ready Certificate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import { type AcmeStack } from '../services/index.ts';
import { runName, type TestCluster } from './cluster.ts';
import {
  acmeWorkerFlags,
  chainVerifiesTo,
  createIssuer,
  dnsSans,
  pebbleAcmeSpec,
  startTestSolver,
  prepareAcmeNamespaces,
  startStackAndCluster,
} from './acme-harness.ts';
import { launchWorker, readPair } from './issuance-helpers.ts';
import type { SolverHandle } from '../../solver/main.ts';
import type { RunningWorker } from '../../worker/main.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { clientFor, waitFor, certificate, isReady, secretWithCertificate } from '../fixtures.ts';

const NS = runName('acme-certs');
let stack: AcmeStack;
let cluster: TestCluster;
let solver: SolverHandle;
let worker: RunningWorker;
let client: KubeClient;

before(async () => {
  [stack, cluster] = await startStackAndCluster();
  client = clientFor(cluster.kubeconfigPath);
  await prepareAcmeNamespaces(cluster, NS);
  solver = await startTestSolver(cluster.kubeconfigPath, stack, NS);
  worker = await launchWorker(cluster.kubeconfigPath, NS, acmeWorkerFlags(stack));
  await createIssuer(client, NS, 'letsencrypt', pebbleAcmeSpec(stack));
});

after(async () => {
  await worker?.stop();
  await solver?.stop();
  await cluster?.stop();
  await stack?.stop();
});

test('README walk-through: an annotated Ingress gets a Secret that verifies to pebble for exactly its hosts', async () => {
  const hosts = ['shop.example.test', 'www.shop.example.test'];
  await client.create(Resources.Ingress, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', namespace: NS, annotations: { 'cert-manager.io/issuer': 'letsencrypt' } },
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts, secretName: 'shop-tls' }],
      rules: hosts.map((host) => ({
        host,
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] },
      })),
    },
  } as any);
  const secret = await secretWithCertificate(client, NS, 'shop-tls');
  const pair = readPair(secret);
  assert.deepEqual(dnsSans(pair.chain[0]), [...hosts].sort());
  assert.ok(chainVerifiesTo(pair.chain, await stack.pebble.issuingRootsPem()), 'chain verifies to pebble root');
  assert.ok(pair.keyPem.includes('PRIVATE KEY'));
  await waitFor('Certificate Ready', async () => isReady(await client.get<Certificate>(Resources.Certificate, NS, 'shop-tls')), 30_000);
});

test('a Certificate with an RSA key, no Ingress', async () => {
  await client.create(Resources.Certificate, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'api', namespace: NS },
    spec: { secretName: 'api-tls', dnsNames: ['api.example.test'], issuerRef: { name: 'letsencrypt' }, privateKey: { algorithm: 'RSA', size: 2048 } },
  } as Certificate);
  const cert = await waitFor(
    'Certificate api Ready',
    async () => {
      const c = await client.get<Certificate>(Resources.Certificate, NS, 'api');
      return isReady(c) ? c : undefined;
    },
    60_000,
  );
  assert.ok(cert.status?.notAfter);
  const pair = readPair((await client.get<V1Secret>(Resources.Secret, NS, 'api-tls'))!);
  assert.deepEqual(dnsSans(pair.chain[0]), ['api.example.test']);
  assert.equal(pair.chain[0].publicKey.asymmetricKeyType, 'rsa');
  assert.ok(chainVerifiesTo(pair.chain, await stack.pebble.issuingRootsPem()));
});

test('a solver class that does not exist: the Certificate stays not Ready and the cause is visible', async () => {
  await createIssuer(client, NS, 'wrong-class', pebbleAcmeSpec(stack, { solvers: [{ http01: { ingress: { ingressClassName: 'missing-class' } } }] }));
  await client.create(Resources.Certificate, certificate(NS, 'blocked', { dnsNames: ['blocked.example.test'], issuerRef: { name: 'wrong-class' } }));
  const cause = /IngressClass "missing-class" not found/;
  const ch = await waitFor(
    'Challenge names the missing class',
    async () =>
      (await client.list<any>(Resources.Challenge, { namespace: NS })).items.find(
        (c: any) => c.spec.dnsName === 'blocked.example.test' && cause.test(c.status?.reason ?? ''),
      ),
    30_000,
  );
  assert.notEqual(ch.status.state, 'valid');
  const cr = await waitFor(
    'CertificateRequest condition names the cause',
    async () =>
      (await client.list<any>(Resources.CertificateRequest, { namespace: NS })).items.find(
        (r: any) =>
          r.metadata.annotations?.['cert-manager.io/certificate-name'] === 'blocked' && r.status?.conditions?.some((c: any) => cause.test(c.message ?? '')),
      ),
    30_000,
  );
  assert.ok(cr);
  const cert = await client.get<Certificate>(Resources.Certificate, NS, 'blocked');
  assert.equal(isReady(cert), false);
  assert.equal(await client.get(Resources.Secret, NS, 'blocked-tls'), undefined);
});
