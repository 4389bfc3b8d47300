// A wrong TSIG secret on an RFC 2136 (DNS-01) issuer, as a user sees it, against the real BIND and
// pebble of test/services: the Issuer is not Ready and says the DNS server refused the key's
// signature; once the Secret holds the right secret the Issuer turns Ready and the Certificate is
// issued. A secret that goes wrong after the Issuer was checked shows on the Challenge (its status
// reason, what `kubectl describe challenge` prints) and as a Warning on the Certificate. The secret
// itself appears in none of these. Embedded API server, or a real cluster via CERTGATE_E2E_KUBECONFIG.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate, Challenge, Issuer } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { startAcmeStack, type AcmeStack } from '../services/index.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { challengesIn, pebbleAcmeSpec } from './acme-harness.ts';
import { CLUSTER_RESOURCE_NAMESPACE, launchWorker } from './issuance-helpers.ts';
import { clientFor, waitFor } from '../fixtures.ts';

const NS = runName('failures-tsig');
const WAIT_MS = 120_000; // generous: a busy 2-core machine, issuer re-checks every 10 s
let stack: AcmeStack;
let cluster: TestCluster;
let client: KubeClient;
let worker: RunningWorker;

before(async () => {
  // One at a time, so after() stops whichever started even when the other failed.
  cluster = await getTestCluster();
  stack = await startAcmeStack();
  client = clientFor(cluster.kubeconfigPath);
  await cluster.createNamespace(NS);
  await cluster.createNamespace(CLUSTER_RESOURCE_NAMESPACE);
  const bind = stack.bind.address;
  worker = await launchWorker(cluster.kubeconfigPath, NS, [
    '--no-leader-elect',
    '--acme-dns-nameserver',
    bind,
    '--dns01-recursive-nameservers',
    bind,
    '--dns01-authoritative-port',
    String(stack.bind.port),
    '--acme-backoff-min-ms',
    '20',
  ]);
});

after(async () => {
  await worker?.stop();
  await cluster?.stop();
  await stack?.stop();
});

const ready = (o: { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } } | undefined) =>
  o?.status?.conditions?.find((c) => c.type === 'Ready');
const warnings = async (kind: string, name: string) =>
  (await client.list<CoreV1Event>(Resources.Event, { namespace: NS })).items.filter(
    (e) => e.type === 'Warning' && e.involvedObject.kind === kind && e.involvedObject.name === name,
  );
const tsigSecret = (name: string, secret: string) =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, data: { secret: Buffer.from(secret).toString('base64') } }) as KubernetesObject;
const setSecret = (name: string, secret: string) => client.patch(Resources.Secret, NS, name, { data: { secret: Buffer.from(secret).toString('base64') } });
const wrongSecret = () => randomBytes(32).toString('base64');

async function rfc2136Issuer(name: string, secretName: string): Promise<void> {
  await client.create(Resources.Issuer, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Issuer',
    metadata: { name, namespace: NS },
    spec: pebbleAcmeSpec(stack, {
      privateKeySecretRef: { name: `${name}-account` },
      solvers: [
        {
          dns01: {
            rfc2136: {
              nameserver: stack.bind.address,
              tsigKeyName: stack.bind.tsig.name,
              tsigAlgorithm: 'HMACSHA256',
              tsigSecretSecretRef: { name: secretName, key: 'secret' },
            },
          },
        },
      ],
    }),
  } as Issuer);
}

async function certificate(name: string, issuer: string): Promise<void> {
  await client.create(Resources.Certificate, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: NS },
    spec: { secretName: `${name}-tls`, dnsNames: [`${name}.${stack.bind.zone}`], issuerRef: { name: issuer, kind: 'Issuer' } },
  } as Certificate);
}

/** No trace of the secret in what users and tools read: statuses and Events of the namespace. */
async function assertNowhere(secret: string): Promise<void> {
  const seen = JSON.stringify([
    ...(await client.list<Issuer>(Resources.Issuer, { namespace: NS })).items.map((o) => o.status),
    ...(await client.list<Challenge>(Resources.Challenge, { namespace: NS })).items.map((o) => o.status),
    ...(await client.list<Certificate>(Resources.Certificate, { namespace: NS })).items.map((o) => o.status),
    ...(await client.list(Resources.Event, { namespace: NS })).items,
  ]);
  assert.ok(!seen.includes(secret), 'the TSIG secret appears in a status or Event');
}

test(
  'a wrong TSIG secret from the start: the Issuer is not Ready and says the server refused the signature; the right secret makes it Ready and the Certificate is issued',
  { timeout: 300_000 },
  async () => {
    const wrong = wrongSecret();
    await client.create(Resources.Secret, tsigSecret('tsig-wrong', wrong));
    await rfc2136Issuer('tsig-wrong', 'tsig-wrong');
    const condition = await waitFor(
      'the Issuer not Ready with the reason',
      async () => {
        const c = ready(await client.get<Issuer>(Resources.Issuer, NS, 'tsig-wrong'));
        return c?.status === 'False' && /BADSIG/.test(c.message ?? '') ? c : undefined;
      },
      WAIT_MS,
    );
    assert.equal(condition.reason, 'ErrInitIssuer');
    assert.match(
      condition.message!,
      new RegExp(
        `spec\\.acme\\.solvers\\[0\\]\\.dns01\\.rfc2136: DNS server ${stack.bind.address.replace(/\./g, '\\.')} rejected the signature of TSIG key "${stack.bind.tsig.name}" .*the secret does not match the server's copy of the key`,
      ),
    );
    const event = await waitFor(
      'a Warning Event on the Issuer',
      async () => (await warnings('Issuer', 'tsig-wrong')).find((e) => /BADSIG/.test(e.message ?? '')),
      WAIT_MS,
    );
    assert.equal(event.reason, 'ErrInitIssuer');

    await certificate('tsig-wrong', 'tsig-wrong');
    await setSecret('tsig-wrong', stack.bind.tsig.secret); // the fix the message asks for
    await waitFor(
      'the Issuer Ready once the Secret is right',
      async () => ready(await client.get<Issuer>(Resources.Issuer, NS, 'tsig-wrong'))?.status === 'True',
      WAIT_MS,
    );
    await waitFor(
      'the Certificate issued',
      async () => ready(await client.get<Certificate>(Resources.Certificate, NS, 'tsig-wrong'))?.status === 'True',
      WAIT_MS,
    );
    await assertNowhere(wrong);
  },
);

test(
  'a TSIG secret that goes wrong after the Issuer was checked: the Challenge says why, with a Warning on the Certificate',
  { timeout: 300_000 },
  async () => {
    await client.create(Resources.Secret, tsigSecret('tsig-later', stack.bind.tsig.secret));
    await rfc2136Issuer('tsig-later', 'tsig-later');
    await waitFor('the Issuer Ready', async () => ready(await client.get<Issuer>(Resources.Issuer, NS, 'tsig-later'))?.status === 'True', WAIT_MS);
    const wrong = wrongSecret();
    await setSecret('tsig-later', wrong); // e.g. the key was rotated on the DNS server side only
    await certificate('tsig-later', 'tsig-later');
    // The Issuer's own status write makes the controller check it once more: when that check reads the
    // changed Secret, the Issuer says it (as in the test above) and no Challenge is made. Either way
    // the reason is on an object the user looks at.
    const seen = await waitFor(
      'the reason on the Challenge or the Issuer',
      async () => {
        const challenge = (await challengesIn(client, NS)).find(
          (c: Challenge) => c.spec.dnsName === `tsig-later.${stack.bind.zone}` && /BADSIG/.test(c.status?.reason ?? ''),
        );
        if (challenge) return { challenge };
        const issuer = ready(await client.get<Issuer>(Resources.Issuer, NS, 'tsig-later'));
        return issuer?.status === 'False' && /BADSIG/.test(issuer.message ?? '') ? { issuer } : undefined;
      },
      WAIT_MS,
    );
    if (seen.challenge) {
      assert.match(
        seen.challenge.status!.reason!,
        new RegExp(
          `rejected the signature of TSIG key "${stack.bind.tsig.name}" .*updating zone ${stack.bind.zone.replace(/\./g, '\\.')} \\(BADSIG\\): the secret does not match`,
        ),
      );
      assert.notEqual(seen.challenge.status?.presented, true, 'nothing was presented');
      const event = await waitFor(
        'a Warning Event on the Certificate',
        async () => (await warnings('Certificate', 'tsig-later')).find((e) => /BADSIG/.test(e.message ?? '')),
        WAIT_MS,
      );
      assert.equal(event.reason, 'DNS01ProviderError');
    }
    await assertNowhere(wrong);
  },
);
