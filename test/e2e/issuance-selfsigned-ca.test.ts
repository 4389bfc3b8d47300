// End to end, as a user would: SelfSigned and CA issuers, a Certificate, an annotated Ingress,
// ClusterIssuer, RSA/ECDSA/Ed25519 keys, renewal by itself when due (new serial, new key), a
// manual renew, re-issuance for a changed subject (none for an edit asking for the same
// certificate), metrics (Certificate and Issuer readiness) and `kubectl get certificate`. Real
// worker (startWorker) on the embedded API server (or a real cluster via CERTGATE_E2E_KUBECONFIG).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createPrivateKey } from 'node:crypto';
import type { V1Ingress, V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate, CertificateRequest, ClusterIssuer, Issuer } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { chainVerifiesTo, inspectCertificate, describePrivateKey, privateKeyPemEncoding } from '../../lib/pki/index.ts';
import type { RunningWorker } from '../../worker/main.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { CLUSTER_RESOURCE_NAMESPACE, fetchText, launchWorker, readPair, type StoredPair } from './issuance-helpers.ts';
import { certificate, clientFor, waitFor } from '../fixtures.ts';

const NS = runName('issuance-e2e');
const CLUSTER_CA = runName('cluster-ca'); // ClusterIssuer

function issuer(name: string, spec: Issuer['spec']): Issuer {
  return { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name, namespace: NS }, spec };
}

describe('SelfSigned and CA issuance', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  let worker: RunningWorker;

  const getCert = (name: string) => client.get<Certificate>(Resources.Certificate, NS, name);
  const ready = (c: Certificate | undefined) => c?.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
  const secretOf = (name: string) => client.get<V1Secret>(Resources.Secret, NS, name);

  /** Waits until the Certificate is Ready at revision >= minRevision and returns its stored pair. */
  async function issued(certName: string, minRevision = 1, timeoutMs = 20_000): Promise<{ cert: Certificate; pair: StoredPair }> {
    // Ready at the revision, and status (notAfter) describing the certificate now in the Secret.
    return waitFor(
      `Certificate ${certName} Ready at revision ${minRevision}`,
      async () => {
        const cert = await getCert(certName);
        if (!ready(cert) || (cert!.status!.revision ?? 0) < minRevision) return undefined;
        const secret = await secretOf(cert!.spec.secretName);
        if (!secret) return undefined;
        const pair = readPair(secret);
        const leafNotAfter = pair.chain[0] && new Date(pair.chain[0].validTo).getTime();
        return leafNotAfter === Date.parse(cert!.status!.notAfter ?? '') ? { cert: cert!, pair } : undefined;
      },
      timeoutMs,
    );
  }

  function assertPair(pair: StoredPair, dnsNames: string[]) {
    const leaf = pair.chain[0];
    assert.ok(leaf.checkPrivateKey(createPrivateKey(pair.keyPem)), 'tls.key matches tls.crt');
    assert.ok(chainVerifiesTo(pair.chain, pair.caPem), 'tls.crt verifies to ca.crt');
    assert.deepEqual([...inspectCertificate(leaf).names.dnsNames].sort(), [...dnsNames].sort(), 'exactly the requested hosts');
    assert.equal(pair.secret.type, 'kubernetes.io/tls');
    assert.equal(pair.secret.metadata?.labels?.['controller.cert-manager.io/fao'], 'true');
  }

  before(async () => {
    cluster = await getTestCluster();
    client = clientFor(cluster.kubeconfigPath);
    await cluster.createNamespace(NS);
    await cluster.createNamespace(CLUSTER_RESOURCE_NAMESPACE);
    worker = await launchWorker(cluster.kubeconfigPath, NS, ['--no-leader-elect']);
  });

  after(async () => {
    await worker?.stop();
    await cluster?.stop();
  });

  test('SelfSigned issuer: an ECDSA Certificate becomes Ready with a Secret and annotations', async () => {
    await client.create(Resources.Issuer, issuer('selfsigned', { selfSigned: {} }));
    await client.create(
      Resources.Certificate,
      certificate(NS, 'self', {
        dnsNames: ['self.example.test'],
        commonName: 'self.example.test',
        issuerRef: { name: 'selfsigned' },
        privateKey: { algorithm: 'ECDSA', size: 384 },
        secretTemplate: { labels: { team: 'blue' }, annotations: { note: 'hi' } },
      }),
    );
    const { cert, pair } = await issued('self');
    assertPair(pair, ['self.example.test']);
    assert.deepEqual(describePrivateKey(createPrivateKey(pair.keyPem)), { algorithm: 'ECDSA', size: 384 });
    const a = pair.secret.metadata!.annotations!;
    assert.equal(a['cert-manager.io/certificate-name'], 'self');
    assert.equal(a['cert-manager.io/issuer-name'], 'selfsigned');
    assert.equal(a['cert-manager.io/issuer-kind'], 'Issuer');
    assert.equal(a['cert-manager.io/issuer-group'], 'cert-manager.io');
    assert.equal(a['cert-manager.io/common-name'], 'self.example.test');
    assert.equal(a['cert-manager.io/alt-names'], 'self.example.test');
    assert.equal(a.note, 'hi');
    assert.equal(pair.secret.metadata!.labels!.team, 'blue');
    assert.ok(cert.status?.notAfter && cert.status.notBefore && cert.status.renewalTime, 'notBefore, notAfter and renewalTime in status');
    assert.equal(
      cert.status?.conditions?.some((c) => c.type === 'Issuing'),
      false,
      'Issuing condition removed after success',
    );
    assert.equal(cert.status?.nextPrivateKeySecretName, undefined);

    const cr = await client.get<CertificateRequest>(Resources.CertificateRequest, NS, 'self-1');
    assert.ok(cr, 'CertificateRequest named after the revision');
    assert.equal(cr!.metadata.annotations!['cert-manager.io/certificate-revision'], '1');
    assert.equal(cr!.metadata.annotations!['cert-manager.io/certificate-name'], 'self');
    assert.ok(cr!.metadata.annotations!['cert-manager.io/private-key-secret-name'], 'private-key-secret-name annotation');
    assert.equal(cr!.status?.conditions?.find((c) => c.type === 'Approved')?.status, 'True');
    // the temporary key Secret is gone
    await waitFor('next-key Secret deleted', async () => !(await secretOf(cr!.metadata.annotations!['cert-manager.io/private-key-secret-name'])));

    const iss = await client.get<Issuer>(Resources.Issuer, NS, 'selfsigned');
    assert.equal(iss?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });

  test('CA issuer bootstrapped from a SelfSigned CA Certificate; an Ingress gets one Secret per tls entry', async () => {
    await client.create(
      Resources.Certificate,
      certificate(NS, 'root-ca', {
        dnsNames: undefined,
        isCA: true,
        commonName: 'certgate e2e root',
        issuerRef: { name: 'selfsigned' },
        privateKey: { algorithm: 'ECDSA' },
      }),
    );
    const { pair: caPair } = await issued('root-ca');
    assert.equal(caPair.chain[0].ca, true);
    await client.create(Resources.Issuer, issuer('ca', { ca: { secretName: 'root-ca-tls' } }));
    await waitFor('CA issuer Ready', async () =>
      (await client.get<Issuer>(Resources.Issuer, NS, 'ca'))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );

    const ingress: V1Ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'shop',
        namespace: NS,
        annotations: { 'cert-manager.io/issuer': 'ca', 'cert-manager.io/private-key-algorithm': 'Ed25519', 'cert-manager.io/duration': '2h' },
      },
      spec: {
        rules: [
          { host: 'shop.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] } },
        ],
        tls: [
          { hosts: ['shop.example.test', 'www.shop.example.test'], secretName: 'shop-tls' },
          { hosts: ['api.shop.example.test'], secretName: 'shop-api-tls' },
        ],
      },
    };
    const created = await client.create<V1Ingress>(Resources.Ingress, ingress);
    for (const [secretName, hosts] of [
      ['shop-tls', ['shop.example.test', 'www.shop.example.test']],
      ['shop-api-tls', ['api.shop.example.test']],
    ] as const) {
      const { cert, pair } = await issued(secretName);
      assert.equal(cert.metadata.ownerReferences?.[0]?.uid, created.metadata!.uid, 'Certificate owned by the Ingress');
      assertPair(pair, [...hosts]);
      assert.equal(pair.caPem.trim(), caPair.chain[0].toString().trim(), 'ca.crt is the CA certificate');
      assert.equal(pair.chain.length, 1, 'tls.crt is the leaf (the root goes to ca.crt)');
      assert.equal(describePrivateKey(createPrivateKey(pair.keyPem)).algorithm, 'Ed25519');
      const info = inspectCertificate(pair.chain[0]);
      assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 2 * 3_600_000);
    }

    // Changing the Ingress hosts updates the Certificate and re-issues for the new names.
    const live = (await client.get<V1Ingress>(Resources.Ingress, NS, 'shop'))!;
    live.spec!.tls![1].hosts = ['api.shop.example.test', 'api2.shop.example.test'];
    await client.replace(Resources.Ingress, live);
    const { pair: updated } = await issued('shop-api-tls', 2);
    assertPair(updated, ['api.shop.example.test', 'api2.shop.example.test']);

    // Removing the annotation stops management: Certificates go, Secrets stay.
    const again = (await client.get<V1Ingress>(Resources.Ingress, NS, 'shop'))!;
    delete again.metadata!.annotations!['cert-manager.io/issuer'];
    await client.replace(Resources.Ingress, again);
    await waitFor('Ingress Certificates deleted', async () => !(await getCert('shop-tls')) && !(await getCert('shop-api-tls')));
    assert.ok(await secretOf('shop-tls'), 'Secret kept');
    assert.ok(await secretOf('shop-api-tls'), 'Secret kept');
  });

  test('ClusterIssuer (CA in the cluster resource namespace) with an RSA PKCS8 key', async () => {
    const root = (await secretOf('root-ca-tls'))!;
    await client.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'cluster-ca', namespace: CLUSTER_RESOURCE_NAMESPACE },
      data: { 'tls.crt': root.data!['tls.crt'], 'tls.key': root.data!['tls.key'] },
    } as V1Secret);
    await cluster.createClusterObject(Resources.ClusterIssuer, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: CLUSTER_CA },
      spec: { ca: { secretName: 'cluster-ca' } },
    } as ClusterIssuer);
    await client.create(
      Resources.Certificate,
      certificate(NS, 'rsa', {
        dnsNames: ['rsa.example.test'],
        ipAddresses: ['10.1.2.3'],
        issuerRef: { name: CLUSTER_CA, kind: 'ClusterIssuer' },
        privateKey: { algorithm: 'RSA', size: 2048, encoding: 'PKCS8' },
      }),
    );
    const { pair } = await issued('rsa');
    assertPair(pair, ['rsa.example.test']);
    assert.equal(privateKeyPemEncoding(pair.keyPem), 'PKCS8', 'encoding: PKCS8 as the spec asks');
    assert.deepEqual(describePrivateKey(createPrivateKey(pair.keyPem)), { algorithm: 'RSA', size: 2048 });
    assert.deepEqual(inspectCertificate(pair.chain[0]).names.ipAddresses, ['10.1.2.3']);
    assert.equal(pair.secret.metadata!.annotations!['cert-manager.io/issuer-kind'], 'ClusterIssuer');
    assert.equal(pair.secret.metadata!.annotations!['cert-manager.io/ip-sans'], '10.1.2.3');
  });

  test('renews by itself when due: new serial and new key (rotationPolicy Always); Never keeps the key', async () => {
    // renewalTime = notAfter - renewBefore = notBefore + 2s
    const dueInTwoSeconds = (name: string, more: Partial<Certificate['spec']> = {}) =>
      client.create(
        Resources.Certificate,
        certificate(NS, name, { duration: '1h', renewBefore: '59m58s', issuerRef: { name: 'ca' }, privateKey: { algorithm: 'ECDSA' }, ...more }),
      );
    await dueInTwoSeconds('short');
    await dueInTwoSeconds('keep', { privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Never' } });
    // The same, with spec.renewal.policy Disabled (cert-manager v1): issued once, never renewed by time.
    await dueInTwoSeconds('no-renewal', { renewal: { policy: 'Disabled' } });
    const first = await issued('short');
    const keepFirst = await issued('keep');
    const disabledFirst = await issued('no-renewal');
    const second = await issued('short', 2, 15_000);
    const keepSecond = await issued('keep', 2, 15_000);
    // Both were due at the same moment; 'short' renewed, so 'no-renewal' would have by now.
    const disabledNow = (await getCert('no-renewal'))!;
    assert.equal(disabledNow.status?.revision, 1, 'renewal Disabled: not renewed');
    assert.equal(disabledNow.status?.renewalTime, undefined, 'renewal Disabled: no renewalTime');
    assert.equal(disabledFirst.cert.status?.renewalTime, undefined);
    assert.equal(readPair((await secretOf('no-renewal-tls'))!).chain[0].serialNumber, disabledFirst.pair.chain[0].serialNumber, 'the same certificate');
    assert.notEqual(second.pair.chain[0].serialNumber, first.pair.chain[0].serialNumber, 'new serial');
    assert.notEqual(second.pair.keyPem, first.pair.keyPem, 'new key under rotationPolicy Always');
    assertPair(second.pair, ['short.example.test']);
    assert.notEqual(keepSecond.pair.chain[0].serialNumber, keepFirst.pair.chain[0].serialNumber);
    assert.equal(keepSecond.pair.keyPem, keepFirst.pair.keyPem, 'same key under rotationPolicy Never');
    assert.ok(Date.parse(second.cert.status!.renewalTime!) > Date.parse(first.cert.status!.renewalTime!), 'renewalTime moved on');
    await client.delete(Resources.Certificate, NS, 'short');
    await client.delete(Resources.Certificate, NS, 'keep');
    await client.delete(Resources.Certificate, NS, 'no-renewal');
  });

  test('a manual renew (Issuing=True, ManuallyTriggered) issues a new revision', async () => {
    const before = (await getCert('self'))!;
    const rev = before.status!.revision!;
    const serial = readPair((await secretOf('self-tls'))!).chain[0].serialNumber;
    const conditions = [
      ...(before.status!.conditions ?? []),
      {
        type: 'Issuing',
        status: 'True' as const,
        reason: 'ManuallyTriggered',
        message: 'Certificate re-issuance manually triggered',
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        observedGeneration: before.metadata.generation,
      },
    ];
    await client.replaceStatus(Resources.Certificate, { ...before, status: { ...before.status, conditions } });
    const { pair } = await issued('self', rev + 1);
    assert.notEqual(pair.chain[0].serialNumber, serial);
  });

  test('a changed subject re-issues (RequestChanged) with the new subject; a spec edit that asks for the same certificate does not', async () => {
    await client.create(
      Resources.Certificate,
      certificate(NS, 'org', { issuerRef: { name: 'selfsigned' }, privateKey: { algorithm: 'ECDSA' }, subject: { organizations: ['Team A'] } }),
    );
    const first = await issued('org');
    assert.match(first.pair.chain[0].subject, /^O=Team A$/m);

    // The same certificate written another way: the duration in Go's long form, the usages reordered.
    const sameSpec = { ...first.cert.spec, duration: '2160h0m0s', usages: ['key encipherment' as const, 'digital signature' as const] };
    const edited = await client.replace(Resources.Certificate, { ...first.cert, spec: sameSpec });
    const seen = await waitFor('Ready for the edited spec', async () => {
      const c = await getCert('org');
      const readyFor = c?.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True')?.observedGeneration;
      return readyFor === edited.metadata.generation ? c : undefined;
    });
    assert.equal(seen.status?.revision, first.cert.status!.revision, 'not re-issued');
    assert.equal(readPair((await secretOf('org-tls'))!).chain[0].serialNumber, first.pair.chain[0].serialNumber);

    await client.replace(Resources.Certificate, { ...seen, spec: { ...seen.spec, subject: { organizations: ['Team B'] } } });
    const second = await issued('org', first.cert.status!.revision! + 1);
    assert.equal(second.cert.status?.revision, first.cert.status!.revision! + 1, 'one new revision');
    assert.match(second.pair.chain[0].subject, /^O=Team B$/m);
    assert.doesNotMatch(second.pair.chain[0].subject, /Team A/);
    const events = (await client.list<any>(Resources.Event, { namespace: NS })).items.filter((e) => e.involvedObject?.name === 'org');
    assert.ok(
      events.some((e) => e.reason === 'Issuing' && e.message === 'Fields on existing CertificateRequest resource not up to date: [spec.subject.organizations]'),
      'the Issuing Event names the changed field',
    );
    await client.delete(Resources.Certificate, NS, 'org');
  });

  test('a failing issuer: Issuing=False/Failed, attempts counted with backoff, recovery resets them', async () => {
    // A CA that expired an hour ago: the issuer's key pair is fine, but it cannot sign.
    const { createCsr, generatePrivateKey, signCertificate, encodePrivateKeyPem } = await import('../../lib/pki/index.ts');
    const oldKey = await generatePrivateKey({ algorithm: 'ECDSA' });
    const oldCa = await signCertificate({
      csr: await createCsr(oldKey, { commonName: 'expired CA' }),
      durationMs: 3_600_000,
      isCA: true,
      signerKey: oldKey,
      now: new Date(Date.now() - 2 * 3_600_000),
    });
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    await client.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'old-ca', namespace: NS },
      data: { 'tls.crt': b64(oldCa), 'tls.key': b64(encodePrivateKeyPem(oldKey)) },
    } as V1Secret);
    // The version that recorded the first failure, taken from the watch: with a 1 s backoff the retry can
    // set Issuing=True again before a poll on a busy machine would read it.
    let firstFailure: Certificate | undefined;
    const watched = client.cache<Certificate>(Resources.Certificate, { namespace: NS });
    const capture = (c: Certificate) => {
      if (!firstFailure && c.metadata.name === 'doomed' && (c.status?.failedIssuanceAttempts ?? 0) >= 1) firstFailure = structuredClone(c);
    };
    watched.on('add', capture);
    watched.on('update', capture);
    await watched.start();
    await client.create(Resources.Issuer, issuer('old-ca', { ca: { secretName: 'old-ca' } }));
    await client.create(
      Resources.Certificate,
      certificate(NS, 'doomed', { dnsNames: ['doomed.example.test'], issuerRef: { name: 'old-ca' }, privateKey: { algorithm: 'ECDSA' } }),
    );

    const failed = await waitFor('first failure recorded', async () => firstFailure).finally(() => watched.stop());
    const issuing = failed.status!.conditions!.find((c) => c.type === 'Issuing')!;
    assert.equal(issuing.status, 'False');
    assert.equal(issuing.reason, 'Failed');
    assert.match(issuing.message!, /the CA certificate expired at/);
    assert.ok(failed.status!.lastFailureTime, 'lastFailureTime set');
    // The message says when the next attempt comes: lastFailureTime + the 1 s base backoff.
    const retryAt = /failed attempt 1; next attempt after (\S+),/.exec(issuing.message!)?.[1];
    assert.equal(retryAt && Date.parse(retryAt) - Date.parse(failed.status!.lastFailureTime!), 1000, issuing.message);
    assert.equal(failed.status!.conditions!.find((c) => c.type === 'Ready')?.status, 'False');
    const cr = await client.get<CertificateRequest>(Resources.CertificateRequest, NS, 'doomed-1');
    assert.equal(cr?.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'Failed');
    assert.ok(cr?.status?.failureTime, 'failureTime on the request');

    // Retried after the backoff (1s base in this worker), with a new request name.
    const second = await waitFor(
      'second failure',
      async () => {
        const c = await getCert('doomed');
        return (c?.status?.failedIssuanceAttempts ?? 0) >= 2 ? c : undefined;
      },
      15_000,
    );
    assert.ok(Date.parse(second.status!.lastFailureTime!) - Date.parse(failed.status!.lastFailureTime!) >= 1000, 'waited for the backoff');
    assert.ok(await client.get(Resources.CertificateRequest, NS, 'doomed-1-retry1'));

    // Fix the CA: the next attempt succeeds and the failure bookkeeping is cleared.
    const root = (await secretOf('root-ca-tls'))!;
    const live = (await secretOf('old-ca'))!;
    await client.replace(Resources.Secret, { ...live, data: { 'tls.crt': root.data!['tls.crt'], 'tls.key': root.data!['tls.key'] } });
    const { cert, pair } = await issued('doomed', 1, 20_000);
    assertPair(pair, ['doomed.example.test']);
    assert.equal(cert.status?.failedIssuanceAttempts, undefined);
    assert.equal(cert.status?.lastFailureTime, undefined);

    const events = (await client.list<any>(Resources.Event, { namespace: NS })).items.filter((e) => e.involvedObject?.name === 'doomed');
    assert.ok(
      events.some((e) => e.type === 'Warning' && e.reason === 'Failed' && /expired/.test(e.message)),
      'Warning event for the failure',
    );
  });

  test("an existing Secret keeps its unrelated keys, loses cert-manager's output-format keys (they would hold the old pair); Events tell the story", async () => {
    await client.create(Resources.Secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'mixed-tls', namespace: NS, labels: { mine: 'yes' } },
      data: {
        'tls.crt': '',
        'tls.key': '',
        'extra.conf': Buffer.from('keep me').toString('base64'),
        // as cert-manager's additionalOutputFormats wrote them before a migration
        'tls-combined.pem': Buffer.from('old pair').toString('base64'),
        'key.der': Buffer.from('old key').toString('base64'),
      },
    } as V1Secret);
    await client.create(
      Resources.Certificate,
      certificate(NS, 'mixed', { dnsNames: ['mixed.example.test'], issuerRef: { name: 'ca' }, privateKey: { algorithm: 'ECDSA' } }),
    );
    const { pair } = await issued('mixed');
    assertPair(pair, ['mixed.example.test']);
    assert.equal(Buffer.from(pair.secret.data!['extra.conf'], 'base64').toString(), 'keep me');
    assert.deepEqual(Object.keys(pair.secret.data!).sort(), ['ca.crt', 'extra.conf', 'tls.crt', 'tls.key']);
    assert.equal(pair.secret.metadata!.labels!.mine, 'yes');

    const events = (await client.list<any>(Resources.Event, { namespace: NS })).items.filter(
      (e) => e.involvedObject?.kind === 'Certificate' && e.involvedObject?.name === 'mixed',
    );
    const reasons = events.map((e) => e.reason);
    for (const r of ['Issuing', 'Generated', 'Requested']) assert.ok(reasons.includes(r), `event ${r} in ${reasons.join(',')}`);
    assert.ok(
      events.some((e) => e.reason === 'Issuing' && e.message === 'The certificate has been successfully issued'),
      'success event',
    );
  });

  test('a deleted Secret is issued again', async () => {
    const before = (await getCert('mixed'))!;
    await client.delete(Resources.Secret, NS, 'mixed-tls');
    const { pair } = await issued('mixed', before.status!.revision! + 1);
    assertPair(pair, ['mixed.example.test']);
  });

  test('metrics: cert-manager series per Certificate, removed on delete; kubectl shows READY', async () => {
    const metrics = await fetchText(`http://127.0.0.1:${worker.metricsPort}/metrics`);
    assert.match(
      metrics,
      new RegExp(
        `certmanager_certificate_expiration_timestamp_seconds\\{name="rsa",namespace="${NS}",issuer_name="${CLUSTER_CA}",issuer_kind="ClusterIssuer",issuer_group="cert-manager.io"\\} \\d{10}`,
      ),
    );
    assert.match(
      metrics,
      new RegExp(
        `certmanager_certificate_ready_status\\{name="rsa",namespace="${NS}",issuer_name="${CLUSTER_CA}",issuer_kind="ClusterIssuer",issuer_group="cert-manager.io",condition="True"\\} 1`,
      ),
    );
    assert.match(metrics, /certmanager_certificate_renewal_timestamp_seconds\{name="rsa"/);
    assert.match(metrics, /certmanager_certificate_not_after_timestamp_seconds\{name="rsa"/);
    assert.match(metrics, /certmanager_controller_sync_call_count\{controller="certificates-trigger"\} \d+/);
    assert.match(metrics, /^process_resident_memory_bytes \d+/m, 'process metrics are exported');

    // async: the embedded API server runs in this process
    const { stdout: out } = await promisify(execFile)('kubectl', ['--kubeconfig', cluster.kubeconfigPath, 'get', 'certificate', 'rsa', '-n', NS], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.match(out.split('\n')[0], /READY\s+SECRET/);
    assert.match(out.split('\n')[1], /^rsa\s+True\s+rsa-tls/);

    await client.delete(Resources.Certificate, NS, 'rsa');
    await waitFor('rsa series removed', async () => !/name="rsa"/.test(await fetchText(`http://127.0.0.1:${worker.metricsPort}/metrics`)));

    // Issuer readiness, as the chart's CertgateIssuerNotReady alert queries it; gone once the issuer is deleted.
    const issuerSeries = async () =>
      (await fetchText(`http://127.0.0.1:${worker.metricsPort}/metrics`)).split('\n').filter((l) => l.startsWith('certgate_issuer_ready_status{'));
    const selfSigned = `name="selfsigned",namespace="${NS}",kind="Issuer"`;
    const clusterCa = `name="${CLUSTER_CA}",namespace="",kind="ClusterIssuer"`;
    const shown = await issuerSeries();
    for (const labels of [selfSigned, clusterCa]) {
      assert.ok(shown.includes(`certgate_issuer_ready_status{${labels},condition="True"} 1`), `${labels} Ready=True in:\n${shown.join('\n')}`);
      assert.ok(shown.includes(`certgate_issuer_ready_status{${labels},condition="False"} 0`), `${labels} False=0`);
      assert.ok(shown.includes(`certgate_issuer_ready_status{${labels},condition="Unknown"} 0`), `${labels} Unknown=0`);
    }
    await client.delete(Resources.ClusterIssuer, undefined, CLUSTER_CA);
    await client.delete(Resources.Certificate, NS, 'doomed');
    await client.delete(Resources.Issuer, NS, 'old-ca');
    await waitFor("deleted issuers' series removed", async () => {
      const now = await issuerSeries();
      return !now.some((l) => l.includes(clusterCa) || l.includes('name="old-ca"'));
    });
    assert.ok((await issuerSeries()).includes(`certgate_issuer_ready_status{${selfSigned},condition="True"} 1`), 'other issuers keep their series');
    const health = await fetch(`http://127.0.0.1:${worker.healthPort}/readyz`);
    assert.equal(health.status, 200);
  });
});
