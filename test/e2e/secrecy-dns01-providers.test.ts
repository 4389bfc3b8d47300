// Credentials of every cloud DNS-01 provider stay in their Secrets. The real `certgate worker`
// process runs at debug log level with each provider's API pointed at its local fake (the fakes of
// the contract tests, reached through --dns01-api-endpoint, or the issuer's own host for acmeDNS
// and akamai) and trusting their CAs through NODE_EXTRA_CA_CERTS. Per provider, one Issuer has the
// right credentials (the fake receives the TXT record) and one has wrong ones (the fake refuses
// them and the error reaches the Certificate's Events). Then the worker's logs, every Event, the
// statuses and the metrics are searched for each credential, and for the access tokens the
// providers obtained with them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { ACMEChallengeSolverDNS01 } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { freePort, type AcmeStack } from '../services/index.ts';
import { startFakeApi, type FakeApi, type FakeRequest, type FakeResponse } from '../services/fake-api.ts';
import * as acmeDnsFake from '../services/dns01-fakes/acmedns.ts';
import * as akamaiFake from '../services/dns01-fakes/akamai.ts';
import * as azureFake from '../services/dns01-fakes/azuredns.ts';
import * as cloudDnsFake from '../services/dns01-fakes/clouddns.ts';
import * as cloudflareFake from '../services/dns01-fakes/cloudflare.ts';
import * as digitaloceanFake from '../services/dns01-fakes/digitalocean.ts';
import * as route53Fake from '../services/dns01-fakes/route53.ts';
import { runName, type TestCluster } from './cluster.ts';
import { createIssuer, pebbleAcmeSpec, startStackAndCluster } from './acme-harness.ts';
import { CLUSTER_RESOURCE_NAMESPACE } from './issuance-helpers.ts';
import { certificate, clientFor, eventsAbout, waitFor } from '../fixtures.ts';
import { CertgateProcesses } from './certgate-processes.ts';
import { placesToSearch } from './secrecy-places.ts';

const NS = runName('dns01-secrecy-e2e');
const ZONE = 'example.com'; // the zone every fake serves; BIND answers its SOA

interface ProviderCase {
  /** dns01 field, also the name of the Issuers, Secrets and Certificates of this provider. */
  field: string;
  handle: (req: FakeRequest, api: FakeApi) => FakeResponse | Promise<FakeResponse>;
  reset: () => void;
  /** The solver, given the fake's URL and the Secret holding the credentials. */
  solver: (url: string, secret: string) => ACMEChallengeSolverDNS01;
  good: Record<string, string>;
  wrong: Record<string, string>;
  /** True once the fake holds this provider's TXT record for `<field>.example.com`. */
  written: () => boolean;
  /** What the provider got in exchange for the credentials, which must not show either. */
  derived?: string[];
}

const ref = (name: string, key: string) => ({ name, key });
const cloudDnsKeyWrong = cloudDnsFake.serviceAccountKey(cloudDnsFake.other.privateKey);

const PROVIDERS: ProviderCase[] = [
  {
    field: 'cloudflare',
    handle: cloudflareFake.cloudflare,
    reset: cloudflareFake.reset,
    solver: (_url, s) => ({ cloudflare: { apiTokenSecretRef: ref(s, 'api-token') } }),
    good: { 'api-token': cloudflareFake.TOKEN },
    wrong: { 'api-token': 'cf-token-wrong-9876543210fedcba' },
    written: () => cloudflareFake.records.some((r) => r.name === '_acme-challenge.cloudflare.example.com'),
  },
  {
    field: 'route53',
    handle: route53Fake.aws,
    reset: route53Fake.reset,
    solver: (_url, s) => ({ route53: { region: 'eu-west-1', accessKeyIDSecretRef: ref(s, 'id'), secretAccessKeySecretRef: ref(s, 'secret') } }),
    good: { id: route53Fake.KEY_ID, secret: route53Fake.SECRET },
    wrong: { id: route53Fake.KEY_ID, secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGSECRET' },
    written: () => route53Fake.rrsets.has('_acme-challenge.route53.example.com.'),
  },
  {
    field: 'digitalocean',
    handle: digitaloceanFake.digitalocean,
    reset: digitaloceanFake.reset,
    solver: (_url, s) => ({ digitalocean: { tokenSecretRef: ref(s, 'token') } }),
    good: { token: digitaloceanFake.TOKEN },
    wrong: { token: 'dop_v1_wrongwrongwrongwrongwrongwrong00' },
    written: () => digitaloceanFake.records.some((r) => r.name === '_acme-challenge.digitalocean'),
  },
  {
    field: 'acmeDNS',
    handle: acmeDnsFake.acmeDns,
    reset: acmeDnsFake.reset,
    solver: (url, s) => ({ acmeDNS: { host: url, accountSecretRef: ref(s, 'acmedns.json') } }),
    good: { 'acmedns.json': JSON.stringify({ [`acmedns.${ZONE}`]: acmeDnsFake.ACCOUNT }) },
    wrong: {
      'acmedns.json': JSON.stringify({ [`refused-acmedns.${ZONE}`]: { ...acmeDnsFake.ACCOUNT, password: 'wrong-acme-dns-password-0123456789abcdef' } }),
    },
    written: () => acmeDnsFake.txt.length > 0,
  },
  {
    field: 'akamai',
    handle: akamaiFake.akamai,
    reset: akamaiFake.reset,
    solver: (url, s) => ({
      akamai: {
        serviceConsumerDomain: url.replace('https://', ''),
        clientTokenSecretRef: ref(s, 'client-token'),
        clientSecretSecretRef: ref(s, 'client-secret'),
        accessTokenSecretRef: ref(s, 'access-token'),
      },
    }),
    good: { 'client-token': akamaiFake.CLIENT_TOKEN, 'client-secret': akamaiFake.CLIENT_SECRET, 'access-token': akamaiFake.ACCESS_TOKEN },
    wrong: { 'client-token': akamaiFake.CLIENT_TOKEN, 'client-secret': 'WR0NG53KR3TN6N90yVuAgICxIRwsObLi0E67/N8eRN=', 'access-token': akamaiFake.ACCESS_TOKEN },
    written: () => akamaiFake.recordSets.has(`${ZONE}/_acme-challenge.akamai.${ZONE}`),
  },
  {
    field: 'azureDNS',
    handle: (req, api) => azureFake.azure(req, api.url),
    reset: azureFake.reset,
    solver: (_url, s) => ({
      azureDNS: {
        clientID: azureFake.CLIENT_ID,
        clientSecretSecretRef: ref(s, 'client-secret'),
        tenantID: azureFake.TENANT,
        subscriptionID: azureFake.SUBSCRIPTION,
        resourceGroupName: 'dns-rg',
      },
    }),
    good: { 'client-secret': azureFake.CLIENT_SECRET },
    wrong: { 'client-secret': 'Qm18Q~wrong.client-secret_value000000000' },
    written: () => azureFake.recordSets.has(`${ZONE}/_acme-challenge.azuredns`),
    derived: [azureFake.ACCESS_TOKEN],
  },
  {
    field: 'cloudDNS',
    handle: cloudDnsFake.google,
    reset: cloudDnsFake.reset,
    solver: (_url, s) => ({ cloudDNS: { project: 'my-project', serviceAccountSecretRef: ref(s, 'key.json') } }),
    good: { 'key.json': cloudDnsFake.serviceAccountKey() },
    wrong: { 'key.json': cloudDnsKeyWrong },
    written: () => cloudDnsFake.rrsets.has(`example-com/_acme-challenge.clouddns.${ZONE}.`),
    derived: [cloudDnsFake.ACCESS_TOKEN],
  },
];

let stack: AcmeStack;
let cluster: TestCluster;
let client: KubeClient;
let metricsPort: number;
let caDir: string;
const fakes = new Map<string, FakeApi>();
const certgate = new CertgateProcesses();

before(async () => {
  [stack, cluster] = await startStackAndCluster({ bind: { zone: ZONE } });
  client = clientFor(cluster.kubeconfigPath);
  await cluster.createNamespace(NS);
  await cluster.createNamespace(CLUSTER_RESOURCE_NAMESPACE);
  for (const p of PROVIDERS) {
    p.reset();
    const api: FakeApi = await startFakeApi((req) => p.handle(req, api));
    fakes.set(p.field, api);
  }
  caDir = mkdtempSync(join(tmpdir(), 'certgate-dns01-secrecy-'));
  const caFile = join(caDir, 'fake-apis-ca.pem');
  writeFileSync(caFile, [...fakes.values()].map((f) => f.caPem).join('\n'));
  metricsPort = await freePort();
  const endpoints = ['cloudflare', 'route53', 'digitalocean', 'azureDNS', 'cloudDNS'].flatMap((f) => ['--dns01-api-endpoint', `${f}=${fakes.get(f)!.url}`]);
  await certgate.startWorker(cluster.kubeconfigPath, NS, stack, { metricsPort, extraArgs: endpoints, env: { NODE_EXTRA_CA_CERTS: caFile } });
  for (const p of PROVIDERS) {
    for (const [suffix, data] of [
      ['', p.good],
      ['-wrong', p.wrong],
    ] as const) {
      const name = `${p.field.toLowerCase()}${suffix}`;
      await client.create(Resources.Secret, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: NS },
        data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      } as KubernetesObject);
      await createIssuer(client, NS, name, pebbleAcmeSpec(stack, { solvers: [{ dns01: p.solver(fakes.get(p.field)!.url, name) }] }));
    }
  }
});

after(async () => {
  certgate.killAll();
  await Promise.all([...fakes.values()].map((f) => f.stop()));
  if (caDir) rmSync(caDir, { recursive: true, force: true });
  await cluster?.stop();
  await stack?.stop();
});

/** Long enough slices of a credential to be unmistakable: the whole value, and for a PEM key two slices of its body. */
function fingerprints(value: string): string[] {
  const pem = /-----BEGIN [^-]+-----([\s\S]+?)-----END/.exec(value.replace(/\\n/g, '\n'));
  if (!pem) return [value];
  const body = pem[1].replace(/\s+/g, '');
  return [body.slice(0, 40), body.slice(body.length / 2, body.length / 2 + 40)];
}

test('no DNS provider credential or access token in logs, Events, statuses or metrics', { timeout: 240_000 }, async () => {
  for (const p of PROVIDERS) {
    const host = `${p.field.toLowerCase()}.${ZONE}`;
    await client.create(Resources.Certificate, certificate(NS, p.field.toLowerCase(), { dnsNames: [host], issuerRef: { name: p.field.toLowerCase() } }));
    await client.create(
      Resources.Certificate,
      certificate(NS, `${p.field.toLowerCase()}-refused`, { dnsNames: [`refused-${host}`], issuerRef: { name: `${p.field.toLowerCase()}-wrong` } }),
    );
  }
  for (const p of PROVIDERS) {
    await waitFor(`${p.field}: the TXT record written with the right credentials`, async () => p.written(), 120_000);
    await waitFor(
      `${p.field}: the refused credentials reported on their Certificate`,
      async () => (await eventsAbout(client, NS, `${p.field.toLowerCase()}-refused`, 'Certificate')).some((e) => e.reason === 'DNS01ProviderError'),
      120_000,
    );
  }

  await new Promise((r) => setTimeout(r, 500)); // let the last log lines arrive
  const places = await placesToSearch(client, NS, { label: 'worker logs', text: certgate.output() }, `http://127.0.0.1:${metricsPort}/metrics`);
  assert.ok(places['worker logs'].includes('"level":20'), 'the worker really logged at debug level');
  for (const p of PROVIDERS) {
    const secrets = [...Object.entries(p.good), ...Object.entries(p.wrong)]
      .filter(([key]) => key !== 'id' && key !== 'client-token' && key !== 'access-token' && key !== 'acmedns.json')
      .flatMap(([, v]) => fingerprints(v));
    if (p.field === 'akamai') secrets.push(akamaiFake.CLIENT_TOKEN, akamaiFake.ACCESS_TOKEN);
    if (p.field === 'acmeDNS') secrets.push(acmeDnsFake.ACCOUNT.password, 'wrong-acme-dns-password-0123456789abcdef');
    for (const [where, text] of Object.entries(places)) {
      for (const s of [...secrets, ...(p.derived ?? [])]) assert.ok(!text.includes(s), `${p.field}: a credential (${s.slice(0, 6)}…) in ${where}`);
    }
    assert.match(places.Events, new RegExp(`dns01\\.${p.field}: [^"]*refused`), `${p.field}: its refusal was reported (and searched)`);
  }
});
