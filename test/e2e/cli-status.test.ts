// `certgate status certificate` against the embedded API server, with the objects the worker
// creates (Certificate status, Secret with a real certificate, CertificateRequest -> Order ->
// Challenges) for three situations users ask about: Ready, stuck on HTTP-01, rate-limited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { createEvent, createIssuanceChain, createWithStatus, makeCa, makeLeaf, runCli, tlsSecret, LETSENCRYPT } from '../cli/harness.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { certificate, clientFor } from '../fixtures.ts';

// Per run, so a real cluster can be reused; the CLI gets -n NS. EMPTY is never created.
const NS = runName('status');
const EMPTY = runName('status-empty');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

describe('certgate status certificate', { timeout: 240_000 }, () => {
  let api: TestCluster;
  let client: KubeClient;
  let readySerial: string;

  before(async () => {
    api = await getTestCluster();
    client = clientFor(api.kubeconfigPath);
    await api.createNamespace(NS);
    const now = Date.now();

    // Ready: issued certificate in the Secret, request and order done, a success Event.
    const ca = await makeCa('Fake LE Intermediate X1');
    const leaf = await makeLeaf({ issuer: ca, dnsNames: ['web.example.test'] });
    readySerial = new X509Certificate(leaf.certPem).serialNumber.toLowerCase();
    const web = await createWithStatus<Certificate>(client, Resources.Certificate, {
      ...certificate(NS, 'web', { dnsNames: ['web.example.test'], issuerRef: LETSENCRYPT }),
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: iso(now) },
        ],
        notBefore: iso(now - 60_000),
        notAfter: iso(now + 12 * 3600_000),
        renewalTime: iso(now + 8 * 3600_000),
        revision: 1,
        renewalTimeSource: 'ARIWindow',
        renewalInfo: {
          certID: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
          suggestedWindowStart: iso(now + 7 * 3600_000),
          suggestedWindowEnd: iso(now + 9 * 3600_000),
          explanationURL: 'https://ca.example.test/incidents/7',
          nextCheckTime: iso(now + 3600_000),
        },
      },
    });
    await client.create(
      Resources.Secret,
      tlsSecret(NS, 'web-tls', leaf.certPem + ca.certPem, leaf.keyPem, undefined, { 'cert-manager.io/certificate-name': 'web' }),
    );
    await createIssuanceChain(client, web, {
      revision: 1,
      cr: {
        conditions: [
          { type: 'Approved', status: 'True', reason: 'cert-manager.io' },
          { type: 'Ready', status: 'True', reason: 'Issued', message: 'Certificate fetched from issuer successfully' },
        ],
      },
      order: { state: 'valid', url: 'https://acme.test/order/1' },
      challenges: [],
    });
    await createEvent(client, web, 'Normal', 'Issuing', 'The certificate has been successfully issued');

    // Broken Secret: someone replaced tls.key by hand.
    const other = await makeLeaf({ issuer: ca, dnsNames: ['bad.example.test'] });
    const badLeaf = await makeLeaf({ issuer: ca, dnsNames: ['bad.example.test'] });
    await createWithStatus<Certificate>(client, Resources.Certificate, {
      ...certificate(NS, 'bad', { dnsNames: ['bad.example.test'], issuerRef: LETSENCRYPT }),
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'InvalidKeyPair',
            message: 'Issuing certificate as Secret contains a private key that does not match the certificate',
            lastTransitionTime: iso(now),
          },
        ],
        revision: 1,
      },
    });
    await client.create(Resources.Secret, tlsSecret(NS, 'bad-tls', badLeaf.certPem, other.keyPem));

    // Stuck: the HTTP-01 route answers 404, the challenge keeps its reason.
    const shop = await createWithStatus<Certificate>(client, Resources.Certificate, {
      ...certificate(NS, 'shop', { dnsNames: ['shop.example.test', 'www.shop.example.test'], issuerRef: LETSENCRYPT }),
      status: {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist', lastTransitionTime: iso(now) },
          { type: 'Issuing', status: 'True', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist', lastTransitionTime: iso(now) },
        ],
      },
    });
    await createIssuanceChain(client, shop, {
      revision: 1,
      cr: {
        conditions: [
          { type: 'Approved', status: 'True', reason: 'cert-manager.io' },
          { type: 'Ready', status: 'False', reason: 'Pending', message: `Waiting on certificate issuance from order ${NS}/shop-1-1234567: "pending"` },
        ],
      },
      order: { state: 'pending', url: 'https://acme.test/order/2' },
      challenges: [
        {
          dnsName: 'shop.example.test',
          status: {
            state: 'pending',
            presented: true,
            processing: true,
            reason: "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'",
          },
        },
        { dnsName: 'www.shop.example.test', status: { state: 'valid', presented: false, processing: false, reason: 'Successfully authorized domain' } },
      ],
    });
    await createEvent(client, shop, 'Normal', 'Requested', 'Created new CertificateRequest resource "shop-1"');

    // Rate-limited: the order failed with the ACME rateLimited problem, the issuance backs off.
    const api2 = await createWithStatus<Certificate>(client, Resources.Certificate, {
      ...certificate(NS, 'api', { dnsNames: ['api.example.test'], issuerRef: LETSENCRYPT }),
      status: {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist', lastTransitionTime: iso(now) },
          {
            type: 'Issuing',
            status: 'False',
            reason: 'Failed',
            message:
              'The certificate request has failed to complete and will be retried: Failed to wait for order resource "api-1-1234567" to become ready: order is in "errored" state: 429 urn:ietf:params:acme:error:rateLimited: too many certificates already issued for this exact set of domains',
            lastTransitionTime: iso(now),
          },
        ],
        failedIssuanceAttempts: 1,
        lastFailureTime: iso(now),
      },
    });
    await createIssuanceChain(client, api2, {
      revision: 1,
      cr: {
        conditions: [
          { type: 'Approved', status: 'True', reason: 'cert-manager.io' },
          {
            type: 'Ready',
            status: 'False',
            reason: 'Failed',
            message: 'Failed to wait for order resource "api-1-1234567" to become ready: order is in "errored" state',
          },
        ],
        failureTime: iso(now),
      },
      order: {
        state: 'errored',
        reason:
          '429 urn:ietf:params:acme:error:rateLimited: too many certificates already issued for this exact set of domains, retry after 2026-12-01T00:00:00Z',
        failureTime: iso(now),
      },
      challenges: [],
    });
  });

  after(async () => api?.stop());

  test('a Ready certificate: exit 0, the Secret certificate, the request and the last events', async () => {
    const r = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Ready:\s+True/);
    assert.match(r.stdout, /Ready: True, Reason: Ready, Message: Certificate is up to date and has not expired/);
    assert.match(r.stdout, /DNS Names:\s+web\.example\.test/);
    assert.match(r.stdout, /Issuer:\s+CN=Fake LE Intermediate X1/);
    assert.ok(r.stdout.includes(`Serial:       ${readySerial}`), r.stdout);
    assert.match(r.stdout, /Renewal Time: \d{4}-\d\d-\d\dT/);
    assert.match(r.stdout, /Renewal From: a random time inside the window the CA suggests \(ARI\): \d{4}-\S+ to \d{4}-\S+\n/);
    assert.match(r.stdout, /ARI Window: +\d{4}-\S+ to \d{4}-\S+\n/);
    assert.match(r.stdout, /ARI Explanation: https:\/\/ca\.example\.test\/incidents\/7\n/);
    assert.match(r.stdout, /Name: web-1, Revision: 1/);
    assert.match(r.stdout, /Order:\n {2}Name: web-1-1234567, State: valid/);
    assert.match(r.stdout, /Issuing\s+The certificate has been successfully issued/);
  });

  test('stuck on a broken HTTP-01 route: exit 1 and the challenge reason', async () => {
    const r = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'shop']);
    if (process.env.CLI_TEST_SHOW) console.log(r.stdout);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Ready:\s+False/);
    assert.match(r.stdout, /Secret:\n {2}Name: shop-tls\n {2}Not found/);
    assert.match(r.stdout, /Reason: Pending, Message: Waiting on certificate issuance from order/);
    assert.match(r.stdout, /Order:\n {2}Name: shop-1-1234567, State: pending/);
    assert.match(
      r.stdout,
      /Type: HTTP-01, Domain: shop\.example\.test, State: pending, Presented: true, Processing: true\n {4}Reason: Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'/,
    );
    assert.match(r.stdout, /Domain: www\.shop\.example\.test, State: valid/);
  });

  test('rate-limited: exit 1, the ACME error text on the order and the failed issuance', async () => {
    const r = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'api']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Issuing: False, Reason: Failed/);
    assert.match(r.stdout, /Failed issuance attempts: 1/);
    assert.match(r.stdout, /State: errored\n {2}Reason: 429 urn:ietf:params:acme:error:rateLimited: too many certificates already issued/);
    assert.match(r.stdout, /Failure Time: /);
  });

  test('a Secret whose key does not match: exit 1 and the problem under the Secret', async () => {
    const r = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'bad']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Ready: False, Reason: InvalidKeyPair/);
    assert.match(r.stdout, / {2}Problems:\n {4}- the private key does not match the certificate/);
    const good = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'web']);
    assert.doesNotMatch(good.stdout, /Problems:/);
  });

  test('-o json and -o yaml carry the same data for scripts', async () => {
    const j = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'shop', '-o', 'json']);
    assert.equal(j.code, 1);
    const data = JSON.parse(j.stdout);
    assert.equal(data.ready, false);
    assert.equal(data.challenges.length, 2);
    assert.equal(data.order.state, 'pending');
    const y = await runCli(api.kubeconfigPath, ['-n', NS, '-o', 'yaml', 'status', 'certificate', 'web']);
    assert.equal(y.code, 0);
    const doc = parseYaml(y.stdout);
    assert.equal(doc.secret.certificate.serialNumber, readySerial);
    assert.deepEqual(doc.secret.certificate.dnsNames, ['web.example.test']);
  });

  test('status certificates lists every Certificate, soonest expiry first, with why each is not Ready', async () => {
    const r = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certificates']);
    assert.equal(r.code, 1, 'some Certificates are not Ready');
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAME\s+READY\s+EXPIRES\s+RENEWS\s+ISSUER\s+SECRET\s+STATUS$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? assert.fail(`no row for ${name} in:\n${r.stdout}`);
    assert.match(row('web'), /^web\s+True\s+in 1[12]h\s+in [78]h \(ARI\)\s+ClusterIssuer\/letsencrypt\s+web-tls\s+Up to date$/);
    assert.match(row('shop'), /False\s+<none>\s+<none>.*Issuing \(DoesNotExist: Issuing certificate as Secret does not exist\)$/);
    assert.match(row('bad'), /InvalidKeyPair: Issuing certificate as Secret contains a private key that does not match/);
    assert.ok(
      lines.findIndex((l) => l.startsWith('web ')) > lines.findIndex((l) => l.startsWith('shop ')),
      'never-issued Certificates come before issued ones',
    );
    const all = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certs', '-A', '-o', 'json']);
    const entries = JSON.parse(all.stdout) as Array<{ namespace: string; name: string; ready: boolean }>;
    assert.equal(entries.find((e) => e.namespace === NS && e.name === 'web')?.ready, true, all.stdout);
    const empty = await runCli(api.kubeconfigPath, ['-n', EMPTY, 'status', 'certificates']);
    assert.equal(empty.code, 0);
    assert.match(empty.stdout, /No Certificates found/);
  });

  test('a missing Certificate, a wrong namespace and a bad -o value are clear errors', async () => {
    const missing = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`certificate "nope" not found in namespace "${NS}"`));
    const otherNs = await runCli(api.kubeconfigPath, ['-n', EMPTY, 'status', 'certificate', 'web']);
    assert.match(otherNs.stderr, new RegExp(`not found in namespace "${EMPTY}"`));
    const badOutput = await runCli(api.kubeconfigPath, ['-n', NS, 'status', 'certificate', 'web', '-o', 'xml']);
    assert.equal(badOutput.code, 1);
    assert.match(badOutput.stderr, /unsupported output format "xml"/);
  });
});
