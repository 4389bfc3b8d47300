// Private keys and key authorizations never leave the Secrets (and the Challenge spec, where
// cert-manager keeps the key authorization too). The real `certgate worker` and `certgate solver`
// processes run at debug log level while an ACME (HTTP-01), an ACME DNS-01 (RFC 2136, wildcard)
// and a SelfSigned certificate are issued, and a DNS-01 issuer with a refused TSIG key fails; then
// their logs, every Event, every status and the metrics are searched for key material and for
// the DNS provider credentials (both TSIG secrets).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate, Challenge } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { freePort, type AcmeStack } from '../services/index.ts';
import { runName, type TestCluster } from './cluster.ts';
import { createIssuer, pebbleAcmeSpec, prepareAcmeNamespaces, createTsigSecret, rfc2136Solver, startStackAndCluster } from './acme-harness.ts';
import { CertgateProcesses } from './certgate-processes.ts';
import { placesToSearch } from './secrecy-places.ts';
import { certificate, clientFor, waitFor } from '../fixtures.ts';

const NS = runName('secrecy-e2e');

let stack: AcmeStack;
let cluster: TestCluster;
let client: KubeClient;
let metricsPort: number;
const certgate = new CertgateProcesses();

before(async () => {
  [stack, cluster] = await startStackAndCluster();
  client = clientFor(cluster.kubeconfigPath);
  await prepareAcmeNamespaces(cluster, NS);
  metricsPort = await freePort();
  certgate.startSolver(cluster.kubeconfigPath, NS, stack);
  await certgate.startWorker(cluster.kubeconfigPath, NS, stack, { metricsPort });
  await createIssuer(client, NS, 'pebble', pebbleAcmeSpec(stack));
  // DNS-01 credentials: the granted TSIG key, and one BIND refuses (its error lands in statuses and Events)
  for (const [name, key] of [
    ['tsig', stack.bind.tsig],
    ['tsig-denied', stack.bind.deniedTsig],
  ] as const) {
    await createTsigSecret(client, NS, name, key);
    await createIssuer(
      client,
      NS,
      `pebble-${name}`,
      pebbleAcmeSpec(stack, { privateKeySecretRef: { name: 'acme-account-key' }, solvers: [rfc2136Solver(stack, key, name)] }),
    );
  }
  await createIssuer(client, NS, 'selfsigned', { selfSigned: {} });
});

after(async () => {
  certgate.killAll();
  await cluster?.stop();
  await stack?.stop();
});

/** The base64 body of a PEM key, in slices long enough to be unmistakable in any text. */
function keyFingerprints(pem: string): string[] {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return [body.slice(0, 40), body.slice(body.length / 2, body.length / 2 + 40)];
}

test('no private key or key authorization in logs, Events, statuses or metrics', { timeout: 120_000 }, async () => {
  // Challenges are deleted once their Order completes: remember each key authorization as it appears.
  const keyAuthorizations = new Set<string>();
  const challenges = client.cache<Challenge>(Resources.Challenge, { namespace: NS });
  const remember = (c: Challenge) => c.spec?.key && keyAuthorizations.add(c.spec.key);
  challenges.on('add', remember);
  challenges.on('update', remember);
  await challenges.start();
  await client.create(Resources.Certificate, certificate(NS, 'acme', { dnsNames: ['secrecy.example.test'], issuerRef: { name: 'pebble' } }));
  await client.create(Resources.Certificate, certificate(NS, 'local', { dnsNames: ['local.secrecy.test'], issuerRef: { name: 'selfsigned' } }));
  await client.create(
    Resources.Certificate,
    certificate(NS, 'dns', { dnsNames: ['dns.example.test', '*.dns.example.test'], issuerRef: { name: 'pebble-tsig' } }),
  );
  await client.create(Resources.Certificate, certificate(NS, 'refused', { dnsNames: ['refused.example.test'], issuerRef: { name: 'pebble-tsig-denied' } }));
  for (const name of ['acme', 'local', 'dns']) {
    await waitFor(
      `Certificate ${name} Ready`,
      async () => {
        const c = await client.get<Certificate>(Resources.Certificate, NS, name);
        return c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
      },
      90_000,
    );
  }
  await waitFor(
    'the refused DNS-01 update reported on its Certificate',
    async () =>
      (await client.list<any>(Resources.Event, { namespace: NS })).items.some((e) => e.involvedObject?.name === 'refused' && e.reason === 'DNS01ProviderError'),
    60_000,
  );
  await challenges.stop();
  assert.ok(keyAuthorizations.size >= 4, 'the HTTP-01 and DNS-01 challenges were seen, with their keys');

  const secrets: V1Secret[] = [
    (await client.get<V1Secret>(Resources.Secret, NS, 'acme-tls'))!,
    (await client.get<V1Secret>(Resources.Secret, NS, 'local-tls'))!,
    (await client.get<V1Secret>(Resources.Secret, NS, 'dns-tls'))!,
    (await client.get<V1Secret>(Resources.Secret, NS, 'acme-account-key'))!,
  ];
  const keys = secrets.map((s) => Buffer.from(s.data?.['tls.key'] ?? '', 'base64').toString());
  for (const k of keys) assert.match(k, /PRIVATE KEY/, 'each Secret holds a key to look for');

  // Metrics while the worker runs; then the logs, once every line the processes will print has arrived.
  const places = await placesToSearch(client, NS, { label: 'worker and solver logs', text: '' }, `http://127.0.0.1:${metricsPort}/metrics`);
  await certgate.stopAll();
  places['worker and solver logs'] = certgate.output();
  assert.match(places['worker and solver logs'], /"msg":"controllers started"/, "the worker's log was captured");
  for (const [where, text] of Object.entries(places)) {
    assert.doesNotMatch(text, /PRIVATE KEY/, `a PEM private key in ${where}`);
    for (const key of keys) for (const fp of keyFingerprints(key)) assert.ok(!text.includes(fp), `private key material in ${where}`);
    for (const ka of keyAuthorizations) assert.ok(!text.includes(ka), `a key authorization in ${where}`);
    for (const tsig of [stack.bind.tsig, stack.bind.deniedTsig]) assert.ok(!text.includes(tsig.secret), `the TSIG secret of ${tsig.name} in ${where}`);
  }
  assert.match(places['Challenge status'] + places.Events, /REFUSED/, 'the refused update was reported (and searched)');
});
