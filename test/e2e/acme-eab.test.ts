// External account binding (as ZeroSSL, Google Trust Services and Sectigo require) against a
// real pebble that requires EAB with known MAC keys. The real `certgate worker` and `certgate
// solver` processes run at debug level; the user's view is the Issuer's Ready condition, its
// Events and the issued Secret. The MAC keys must never show in logs, Events or statuses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreV1Event, V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate, Issuer } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { newEabMacKey, type AcmeStack } from '../services/index.ts';
import { runName, type TestCluster } from './cluster.ts';
import { chainVerifiesTo, createIssuer, dnsSans, pebbleAcmeSpec, splitPemChain, prepareAcmeNamespaces, startStackAndCluster } from './acme-harness.ts';
import { CertgateProcesses } from './certgate-processes.ts';
import { clientFor, waitFor } from '../fixtures.ts';

const NS = runName('acme-eab');
const KID = 'kid-1';
const macKey = newEabMacKey();
const wrongMacKey = newEabMacKey();

let stack: AcmeStack;
let cluster: TestCluster;
let client: KubeClient;
const certgate = new CertgateProcesses();

async function createMacSecret(name: string, key: string): Promise<void> {
  // A trailing newline, as `kubectl create secret generic --from-file` leaves it.
  await client.create(Resources.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS },
    type: 'Opaque',
    data: { 'mac-key': Buffer.from(`${key}\n`).toString('base64') },
  } as V1Secret);
}

/** An ACME Issuer on the EAB pebble with its own account key, so no two share an account. */
async function eabIssuer(name: string, eab?: { secret: string }): Promise<Issuer> {
  const binding = eab ? { externalAccountBinding: { keyID: KID, keySecretRef: { name: eab.secret, key: 'mac-key' }, keyAlgorithm: 'HS256' } } : {};
  return createIssuer(client, NS, name, pebbleAcmeSpec(stack, { privateKeySecretRef: { name: `${name}-account-key` }, ...binding }));
}

const readyCondition = async (name: string) => (await client.get<Issuer>(Resources.Issuer, NS, name))?.status?.conditions?.find((c) => c.type === 'Ready');

async function notReadyMessage(name: string, re: RegExp): Promise<string> {
  const cond = await waitFor(`Issuer ${name} not Ready with a message matching ${re}`, async () => {
    const c = await readyCondition(name);
    return c?.status === 'False' && re.test(c.message ?? '') ? c : undefined;
  });
  assert.equal(cond.reason, 'ErrRegisterACMEAccount');
  return cond.message!;
}

before(async () => {
  [stack, cluster] = await startStackAndCluster({ externalAccountBinding: { macKeys: { [KID]: macKey } } });
  client = clientFor(cluster.kubeconfigPath);
  await prepareAcmeNamespaces(cluster, NS);
  certgate.startSolver(cluster.kubeconfigPath, NS, stack);
  await certgate.startWorker(cluster.kubeconfigPath, NS, stack);
});

after(async () => {
  certgate.killAll();
  await cluster?.stop();
  await stack?.stop();
});

test('the right keyID and MAC key: the Issuer becomes Ready and issues an HTTP-01 certificate', { timeout: 240_000 }, async () => {
  await createMacSecret('eab-mac', macKey);
  await eabIssuer('eab', { secret: 'eab-mac' });
  const cond = await waitFor('Issuer eab Ready', async () => ((await readyCondition('eab'))?.status === 'True' ? readyCondition('eab') : undefined), 90_000); // a busy 2-core machine may take a while to start the worker
  assert.equal(cond!.reason, 'ACMEAccountRegistered');
  const issuer = await client.get<Issuer>(Resources.Issuer, NS, 'eab');
  assert.match(String(issuer?.status?.acme?.uri), /^https:\/\/127\.0\.0\.1:\d+\/my-account\//);

  await client.create(Resources.Certificate, {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'eab-web', namespace: NS },
    spec: { secretName: 'eab-web-tls', dnsNames: ['eab.example.test'], issuerRef: { name: 'eab' } },
  } as Certificate);
  await waitFor(
    'Certificate eab-web Ready',
    async () =>
      (await client.get<Certificate>(Resources.Certificate, NS, 'eab-web'))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    90_000,
  );
  const secret = await client.get<V1Secret>(Resources.Secret, NS, 'eab-web-tls');
  const chain = splitPemChain(Buffer.from(secret?.data?.['tls.crt'] ?? '', 'base64').toString());
  assert.deepEqual(dnsSans(chain[0]), ['eab.example.test']);
  assert.ok(chainVerifiesTo(chain, await stack.pebble.issuingRootsPem()), 'the chain verifies to pebble’s root');
});

test('a wrong MAC key: not Ready, the binding was rejected, and the message names the Secret but not the key', async () => {
  await createMacSecret('eab-wrong-mac', wrongMacKey);
  await eabIssuer('eab-wrong', { secret: 'eab-wrong-mac' });
  const message = await notReadyMessage('eab-wrong', /rejected the external account binding/);
  assert.match(message, new RegExp(`key ID "${KID}": check keyID and the MAC key in Secret ${NS}/eab-wrong-mac`));
  assert.ok(!message.includes(wrongMacKey) && !message.includes(macKey), 'no MAC key in the condition');
});

test('a keySecretRef Secret that does not exist: not Ready with a clear message, Ready once it is created', { timeout: 120_000 }, async () => {
  await eabIssuer('eab-late', { secret: 'eab-late-mac' });
  const message = await notReadyMessage('eab-late', /Secret/);
  assert.equal(message, `Failed to register ACME account: externalAccountBinding: Secret ${NS}/eab-late-mac (keySecretRef) not found`);
  await createMacSecret('eab-late-mac', macKey);
  // Not-ready Issuers are checked again every 10 s (their Secrets are not watched).
  await waitFor('Issuer eab-late Ready once its Secret exists', async () => (await readyCondition('eab-late'))?.status === 'True', 30_000, 200);
});

test('no externalAccountBinding against a CA that requires one: not Ready, saying so', async () => {
  await eabIssuer('no-eab');
  const message = await notReadyMessage('no-eab', /requires external account binding/);
  assert.match(message, /set spec\.acme\.externalAccountBinding \(keyID and keySecretRef\)/);
  // A Warning Event says the same to `kubectl describe issuer`.
  await waitFor('a Warning Event on Issuer no-eab', async () =>
    (await client.list<CoreV1Event>(Resources.Event, { namespace: NS })).items.some(
      (e) => e.involvedObject.name === 'no-eab' && e.type === 'Warning' && /requires external account binding/.test(e.message ?? ''),
    ),
  );
});

test('no MAC key in worker or solver logs, Events or Issuer statuses', async () => {
  await certgate.stopAll(); // every line they will ever print has arrived
  const places: Record<string, string> = {
    'worker and solver logs': certgate.output(),
    Events: JSON.stringify((await client.list(Resources.Event, { namespace: NS })).items),
    'Issuer status': JSON.stringify((await client.list<Issuer>(Resources.Issuer, { namespace: NS })).items.map((i) => i.status)),
  };
  assert.match(places['worker and solver logs'], /"msg":"controllers started"/, "the worker's log was captured");
  assert.match(places['Issuer status'], /rejected the external account binding/, 'the statuses searched are the ones with EAB failures');
  for (const [where, text] of Object.entries(places)) {
    for (const key of [macKey, wrongMacKey]) {
      assert.ok(!text.includes(key), `a MAC key in ${where}`);
      // Also as the bytes' standard base64 form, or as the Secret's data value.
      assert.ok(!text.includes(Buffer.from(key, 'base64url').toString('base64').slice(0, 40)), `a MAC key (base64) in ${where}`);
      assert.ok(!text.includes(Buffer.from(`${key}\n`).toString('base64').slice(0, 40)), `a MAC key Secret value in ${where}`);
    }
  }
});
