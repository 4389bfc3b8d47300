// Rotating the webhook's own CA without a gap, against the embedded API server and a manual clock:
// caBundle trusts both CAs while replicas may still serve a certificate from the old one, then only
// the new one; replicas racing converge; expired or foreign CAs are never kept in caBundle.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import tls from 'node:tls';
import { pino } from 'pino';
import { Resources } from '../../api/resources.ts';
import { ManualClock } from '../../lib/clock.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { splitPemCertificates } from '../../lib/pki/index.ts';
import { caBundleFor, patchCaBundles } from './ca-bundle.ts';
import { CA_VALIDITY_MS, certFacts, createCa, createServingCert, servingNames, type ServingBundle } from './certs.ts';
import { ServingCertRotator } from './rotation.ts';
import { caOverlapMs, ensureServingBundle, PREVIOUS_CA_RETIRE_AT_ANNOTATION, SECRET_KEYS, type ServingCertPolicy } from './secret-store.ts';
import { startTlsTestApi } from '../../test/webhook/tls-api.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const SERVICE_NAME = 'certgate-webhook.certgate.svc';
const quiet = pino({ level: 'silent' });

let api: Awaited<ReturnType<typeof startTlsTestApi>>;
let client: KubeClient;
before(async () => {
  api = await startTlsTestApi();
  client = api.client;
});
after(() => api.stop());

const policy = (secretName: string, validityMs = HOUR): ServingCertPolicy => ({
  namespace: 'certgate',
  secretName,
  names: servingNames('certgate-webhook', 'certgate'),
  validityMs,
});

async function createWebhookConfigs(name: string, caBundle?: string): Promise<void> {
  const clientConfig = { url: 'https://127.0.0.1:1/x', ...(caBundle ? { caBundle } : {}) };
  const hooks = (prefix: string) => [{ name: `${prefix}.certgate.io`, admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig }];
  await client.create(Resources.MutatingWebhookConfiguration, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: hooks('mutate'),
  } as any);
  await client.create(Resources.ValidatingWebhookConfiguration, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: hooks('validate'),
  } as any);
}

/** The caBundle of every webhook of both configurations; asserts they agree and returns the PEM text. */
async function publishedCaBundle(name: string): Promise<string> {
  const values = new Set<string>();
  for (const r of [Resources.MutatingWebhookConfiguration, Resources.ValidatingWebhookConfiguration]) {
    const cfg = await client.get<any>(r, undefined, name);
    for (const w of cfg.webhooks) values.add(w.clientConfig.caBundle);
  }
  assert.equal(values.size, 1, 'every webhook has the same caBundle');
  return Buffer.from([...values][0], 'base64').toString('utf8');
}

/** A real TLS handshake: a server presenting `leaf`, a client trusting only `caBundlePem` (as the API server does). */
async function handshake(leaf: { certPem: string; keyPem: string }, caBundlePem: string): Promise<'ok' | string> {
  const server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem, minVersion: 'TLSv1.2' }, (s) => s.end());
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: SERVICE_NAME, ca: caBundlePem, timeout: 5_000 });
      socket.once('secureConnect', () => (socket.destroy(), resolve('ok')));
      socket.once('error', (err: NodeJS.ErrnoException) => (socket.destroy(), resolve(err.code ?? err.message)));
      socket.once('timeout', () => (socket.destroy(), resolve('timeout')));
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const signedBy = (leafPem: string, caPem: string) => new X509Certificate(leafPem).verify(new X509Certificate(caPem).publicKey);
const bundleTrusts = (caBundlePem: string, leafPem: string) => splitPemCertificates(caBundlePem).some((ca) => signedBy(leafPem, ca));
const same = (a: string, b: string) => a.trim() === b.trim();

function replica(clock: ManualClock, p: ServingCertPolicy, configName: string) {
  const installed: ServingBundle[] = [];
  const rotator = new ServingCertRotator({
    policy: p,
    ensure: (now) => ensureServingBundle(client, p, now),
    publishCa: async (pem) => void (await patchCaBundles(client, configName, pem, quiet)),
    install: (b) => installed.push(b),
    logger: quiet,
    clock,
  });
  return { rotator, installed };
}

test(
  'CA rotation: caBundle trusts both CAs during the overlap, two racing replicas converge, the old CA goes after the overlap',
  { timeout: 60_000 },
  async () => {
    const p = policy('rotate');
    const realNow = Date.now();
    // Times are chosen so every certificate checked with a real handshake is valid at real time:
    // the old CA A is due for replacement (less than 2 validities left) from realNow - 20 min, so the
    // renewal at tR keeps A and the one at tC (its certificate is due then) brings a new CA B.
    const t0 = realNow - CA_VALIDITY_MS + 2 * HOUR - 20 * MIN;
    const tR = realNow - 42 * MIN;
    const tC = tR + 40 * MIN;
    const clock = new ManualClock(t0);
    const advanceTo = async (t: number) => {
      clock.advance(t - clock.now());
      await Promise.all(replicas.map((r) => r.rotator.settled()));
    };
    await createWebhookConfigs('rotate');
    const replicas = [replica(clock, p, 'rotate'), replica(clock, p, 'rotate')];
    try {
      await Promise.all(replicas.map((r) => r.rotator.start()));
      const caA = replicas[0].rotator.bundle!.caCertPem;
      assert.ok(same(await publishedCaBundle('rotate'), caA));

      await advanceTo(tR); // serving certificate renewed, CA kept
      const leafA = replicas[0].rotator.bundle!;
      assert.equal(leafA.caCertPem, caA);
      assert.equal(replicas[1].rotator.bundle!.certPem, leafA.certPem);
      assert.ok(same(await publishedCaBundle('rotate'), caA), 'no previous CA yet');

      await advanceTo(tC); // both replicas find the certificate due and the CA near its end, at once
      const [b1, b2] = replicas.map((r) => r.rotator.bundle!);
      assert.notEqual(b1.caCertPem, caA, 'new CA');
      assert.equal(b2.caCertPem, b1.caCertPem, 'replicas agree on the new CA');
      assert.equal(b2.certPem, b1.certPem, 'and on the serving certificate');
      for (const r of replicas) assert.equal(r.installed.at(-1)?.certPem, b1.certPem, 'each replica serves it');
      const leafB = b1;
      const caB = b1.caCertPem;

      const during = await publishedCaBundle('rotate');
      assert.equal(splitPemCertificates(during).length, 2);
      assert.ok(same(splitPemCertificates(during)[0], caB) && same(splitPemCertificates(during)[1], caA), 'new CA first, then the old one');
      assert.ok(bundleTrusts(during, leafA.certPem) && bundleTrusts(during, leafB.certPem));
      assert.equal(await handshake(leafA, during), 'ok', 'a replica still serving the old certificate keeps working');
      assert.equal(await handshake(leafB, during), 'ok');

      // What the Secret records: the previous CA's certificate and retire time, never its key.
      const secret = await client.get<any>(Resources.Secret, 'certgate', 'rotate');
      assert.deepEqual(Object.keys(secret.data).sort(), ['ca.crt', 'ca.key', 'previous-ca.crt', 'tls.crt', 'tls.key']);
      assert.ok(same(Buffer.from(secret.data[SECRET_KEYS.previousCaCert], 'base64').toString(), caA));
      assert.ok(
        new X509Certificate(caB).checkPrivateKey(createPrivateKey(Buffer.from(secret.data[SECRET_KEYS.caKey], 'base64').toString())),
        'ca.key is the new CA key',
      );
      const retireAt = new Date(secret.metadata.annotations[PREVIOUS_CA_RETIRE_AT_ANNOTATION]).getTime();
      assert.equal(retireAt, tC + caOverlapMs(p));
      assert.ok(retireAt - tC >= p.validityMs + MIN, 'overlap covers a serving certificate lifetime plus the re-read interval');

      // A replica starting during the overlap publishes the same pair.
      const late = await ensureServingBundle(client, p, new Date(tC + 5 * MIN));
      assert.equal(caBundleFor(late, new Date(tC + 5 * MIN)), during);

      await advanceTo(tC + 41 * MIN); // serving certificate renewed again from B: the overlap continues
      assert.equal(replicas[0].rotator.bundle!.caCertPem, caB);
      assert.notEqual(replicas[0].rotator.bundle!.certPem, leafB.certPem);
      assert.equal(await publishedCaBundle('rotate'), during);

      await advanceTo(retireAt - MIN);
      assert.equal(await publishedCaBundle('rotate'), during, 'old CA still trusted just before the end of the overlap');

      await advanceTo(retireAt + 1); // the rotators woke at the retire time
      const afterOverlap = await publishedCaBundle('rotate');
      assert.ok(same(afterOverlap, caB), 'only the new CA');
      assert.equal(await handshake(leafB, afterOverlap), 'ok');
      assert.notEqual(await handshake(leafA, afterOverlap), 'ok', 'the old CA is no longer trusted');
      const cleaned = await client.get<any>(Resources.Secret, 'certgate', 'rotate');
      assert.deepEqual(Object.keys(cleaned.data).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
      assert.equal(cleaned.metadata.annotations?.[PREVIOUS_CA_RETIRE_AT_ANNOTATION], undefined);
      assert.ok(clock.pending >= replicas.length, 'rotators keep checking');
    } finally {
      for (const r of replicas) r.rotator.stop();
    }
  },
);

test('an expired CA is never published, and a late CA rotation retires the old CA when it expires', async () => {
  const p = policy('expired');
  const now = Date.now();
  // The stored CA has 30 min left (the webhook was not running when it should have rotated).
  const oldCa = await createCa(new Date(now - CA_VALIDITY_MS + 30 * MIN));
  const oldLeaf = await createServingCert(oldCa, p.names, new Date(now - 2 * HOUR), HOUR);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await client.create(Resources.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'expired', namespace: 'certgate' },
    type: 'kubernetes.io/tls',
    data: { 'ca.crt': b64(oldCa.caCertPem), 'ca.key': b64(oldCa.caKeyPem), 'tls.crt': b64(oldLeaf.certPem), 'tls.key': b64(oldLeaf.keyPem) },
  } as any);
  const rotated = await ensureServingBundle(client, p, new Date(now));
  assert.notEqual(rotated.caCertPem, oldCa.caCertPem);
  assert.equal(rotated.previousCa?.retireAt.getTime(), certFacts(oldCa.caCertPem).notAfter.getTime(), 'retired when it expires, not after the full overlap');
  assert.equal(splitPemCertificates(caBundleFor(rotated, new Date(now))).length, 2);
  const later = new Date(now + 31 * MIN);
  assert.ok(same(caBundleFor(rotated, later), rotated.caCertPem), 'expired previous CA left out');
  const cleaned = await ensureServingBundle(client, p, later);
  assert.equal(cleaned.previousCa, undefined);
  const secret = await client.get<any>(Resources.Secret, 'certgate', 'expired');
  assert.equal(secret.data[SECRET_KEYS.previousCaCert], undefined, 'removed from the Secret');

  // Even with a retire time in the future, an expired previous CA is not published.
  const stale = { ...rotated, previousCa: { certPem: (await createCa(new Date(now - CA_VALIDITY_MS - HOUR))).caCertPem, retireAt: new Date(now + HOUR) } };
  assert.ok(same(caBundleFor(stale, new Date(now)), rotated.caCertPem));
});

test('a foreign CA in caBundle is replaced, with a warning that names it', async () => {
  const ours = await ensureServingBundle(client, policy('foreign'));
  const foreign = await createCa(new Date(), 'someone-elses-ca');
  await createWebhookConfigs('foreign', Buffer.from(ours.caCertPem + foreign.caCertPem).toString('base64'));
  const lines: any[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const changed = await patchCaBundles(client, 'foreign', caBundleFor(ours, new Date()), logger);
  assert.equal(changed.length, 2);
  assert.ok(same(await publishedCaBundle('foreign'), ours.caCertPem));
  const warnings = lines.filter((l) => l.level === 40);
  assert.equal(warnings.length, 2, 'one per configuration');
  const replaced = warnings[0].replaced.join(' ');
  assert.match(replaced, /CN=someone-elses-ca \(sha256 [0-9A-F:]+\)/);
  assert.doesNotMatch(replaced, /certgate-webhook-ca/, 'our own CA is not reported');
  assert.doesNotMatch(JSON.stringify(lines), /PRIVATE KEY/);

  // Dropping our own retired CA is routine and logs no warning.
  lines.length = 0;
  const retired = await createCa(new Date());
  await patchCaBundles(client, 'foreign', ours.caCertPem + retired.caCertPem, logger);
  await patchCaBundles(client, 'foreign', ours.caCertPem, logger);
  assert.equal(lines.filter((l) => l.level === 40).length, 0);
});
