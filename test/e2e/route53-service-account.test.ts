// Route53 with auth.kubernetes.serviceAccountRef through the real `certgate worker` (debug logs),
// its API calls sent to the AWS fake (--dns01-api-endpoint): the worker requests a token of the
// issuer's ServiceAccount from the API server (the embedded one, or a real cluster through
// KUBECONFIG), the fake STS accepts it only when that API server's TokenReview says it is the
// trusted ServiceAccount's for sts.amazonaws.com, and the TXT record is then written with the
// temporary keys. An Issuer naming a missing ServiceAccount and one the role does not trust each
// show why in their Challenge's status and a PresentError Event; no token the worker obtained
// appears in its logs, the Events, the statuses or the metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Challenge } from '../../api/types.generated.ts';
import { Resources } from '../../api/resources.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { freePort, type AcmeStack } from '../services/index.ts';
import { startFakeApi, type FakeApi } from '../services/fake-api.ts';
import * as route53Fake from '../services/dns01-fakes/route53.ts';
import { runName, type TestCluster } from './cluster.ts';
import { createIssuer, pebbleAcmeSpec, startStackAndCluster } from './acme-harness.ts';
import { certificate, clientFor, eventsAbout, waitFor } from '../fixtures.ts';
import { CertgateProcesses } from './certgate-processes.ts';
import { placesToSearch } from './secrecy-places.ts';

const NS = runName('route53-sa-e2e');
const ZONE = 'example.com'; // the zone the fake serves; BIND answers its SOA

let stack: AcmeStack;
let cluster: TestCluster;
let client: KubeClient;
let aws: FakeApi;
let metricsPort: number;
let caDir: string;
const certgate = new CertgateProcesses();

const issuerFor = (serviceAccount: string) =>
  pebbleAcmeSpec(stack, {
    solvers: [
      {
        dns01: { route53: { region: 'eu-west-1', role: route53Fake.WEB_IDENTITY_ROLE, auth: { kubernetes: { serviceAccountRef: { name: serviceAccount } } } } },
      },
    ],
  });

before(async () => {
  [stack, cluster] = await startStackAndCluster({ bind: { zone: ZONE } });
  client = clientFor(cluster.kubeconfigPath);
  await cluster.createNamespace(NS);
  route53Fake.reset();
  route53Fake.trustedSubjects.add(`system:serviceaccount:${NS}:route53-dns`);
  route53Fake.trustIdentityProvider(async (token, audience) => {
    const review = await client.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [audience] } },
    });
    return review.status?.authenticated ? review.status.user.username : undefined;
  });
  aws = await startFakeApi(route53Fake.aws);
  caDir = mkdtempSync(join(tmpdir(), 'certgate-route53-sa-'));
  const caFile = join(caDir, 'aws-ca.pem');
  writeFileSync(caFile, aws.caPem);
  metricsPort = await freePort();
  await certgate.startWorker(cluster.kubeconfigPath, NS, stack, {
    metricsPort,
    extraArgs: ['--dns01-api-endpoint', `route53=${aws.url}`],
    env: { NODE_EXTRA_CA_CERTS: caFile },
  });
  for (const sa of ['route53-dns', 'untrusted'])
    await client.request('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } } });
  await createIssuer(client, NS, 'route53-sa', issuerFor('route53-dns'));
  await createIssuer(client, NS, 'route53-missing-sa', issuerFor('missing'));
  await createIssuer(client, NS, 'route53-untrusted-sa', issuerFor('untrusted'));
});

after(async () => {
  certgate.killAll();
  route53Fake.trustIdentityProvider(undefined);
  await aws?.stop();
  if (caDir) rmSync(caDir, { recursive: true, force: true });
  await cluster?.stop();
  await stack?.stop();
});

/** The Challenge for `host` once its status gives a reason matching `reason`, with its Events. */
async function refusedChallenge(host: string, reason: RegExp) {
  const challenge = await waitFor(
    `the Challenge for ${host} says why`,
    async () =>
      (await client.list<Challenge>(Resources.Challenge, { namespace: NS })).items.find((c) => c.spec.dnsName === host && reason.test(c.status?.reason ?? '')),
    120_000,
  );
  const events = await waitFor(
    `a PresentError Event on the Challenge for ${host}`,
    async () => {
      const found = (await eventsAbout(client, NS, challenge.metadata!.name!, 'Challenge')).filter(
        (e) => e.reason === 'PresentError' && reason.test(e.message ?? ''),
      );
      return found.length ? found : undefined;
    },
    60_000,
  );
  return { challenge, events };
}

test(
  'a ServiceAccount token exchanged for the role writes the TXT record; a missing or untrusted ServiceAccount is reported; no token anywhere',
  { timeout: 240_000 },
  async () => {
    for (const [name, issuer] of [
      ['sa', 'route53-sa'],
      ['missing', 'route53-missing-sa'],
      ['untrusted', 'route53-untrusted-sa'],
    ])
      await client.create(Resources.Certificate, certificate(NS, `route53-${name}`, { dnsNames: [`${name}.${ZONE}`], issuerRef: { name: issuer } }));

    await waitFor('the TXT record written with the temporary credentials', async () => route53Fake.rrsets.has(`_acme-challenge.sa.${ZONE}.`), 120_000);
    const accepted = route53Fake.webIdentityCalls.find((c) => c.subject === `system:serviceaccount:${NS}:route53-dns`);
    assert.ok(accepted, 'STS was given a token the API server vouches for as the ServiceAccount, for sts.amazonaws.com');
    assert.equal(accepted.roleArn, route53Fake.WEB_IDENTITY_ROLE);
    const writes = aws.requests.filter((r) => r.method === 'POST' && r.path.includes('/rrset'));
    assert.ok(writes.length > 0 && writes.every((r) => route53Fake.credentialOf(r) === 'ASIAWEBIDENTITY'), 'Route53 was called with the temporary keys');

    await refusedChallenge(`missing.${ZONE}`, new RegExp(`serviceAccountRef: ServiceAccount ${NS}/missing not found`));
    await refusedChallenge(`untrusted.${ZONE}`, /AWS STS refused the token of ServiceAccount .*\/untrusted for role .*AccessDenied/);

    await new Promise((r) => setTimeout(r, 500)); // let the last log lines arrive
    const places = await placesToSearch(client, NS, { label: 'worker logs', text: certgate.output() }, `http://127.0.0.1:${metricsPort}/metrics`);
    assert.ok(places['worker logs'].includes('"level":20'), 'the worker really logged at debug level');
    const tokens = route53Fake.webIdentityCalls.map((c) => c.token);
    assert.ok(tokens.length >= 2);
    for (const [where, text] of Object.entries(places))
      for (const token of [...tokens, 'web-identity-secret', 'session-token-web'])
        assert.ok(!text.includes(token), `a token or key (${token.slice(0, 6)}…) in ${where}`);
  },
);
