// `certgate create certificaterequest --from-certificate-file`: the key stays local (file, 0600),
// the CertificateRequest carries a CSR for exactly the manifest's names and key type.
// Issuance by the running worker (--fetch-certificate) is in cli-renew-worker.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Resources } from '../../api/resources.ts';
import type { CertificateRequest } from '../../api/types.generated.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { runCli, LETSENCRYPT } from '../cli/harness.ts';
import { parseCsr, parsePrivateKeyPem, samePublicKey, describePrivateKey } from '../../lib/pki/index.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { certificate, clientFor } from '../fixtures.ts';

// Per run, so a real cluster can be reused: the manifests' namespace, and the one -n names.
const NS = runName('create-cr');
const AIR_GAP = runName('air-gap');

describe('certgate create certificaterequest', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  let dir: string;

  before(async () => {
    cluster = await getTestCluster();
    client = clientFor(cluster.kubeconfigPath);
    await cluster.createNamespace(NS);
    dir = mkdtempSync(join(tmpdir(), 'certgate-cli-cr-'));
  });

  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('writes the key file and creates a CertificateRequest whose CSR matches the manifest and the key', async () => {
    const manifest = join(dir, 'cert.yaml');
    writeFileSync(
      manifest,
      stringify(
        certificate(NS, 'manual', {
          dnsNames: ['manual.example.test', 'www.manual.example.test'],
          issuerRef: LETSENCRYPT,
          commonName: 'manual.example.test',
          privateKey: { algorithm: 'ECDSA', size: 384 },
          duration: '720h',
        }),
      ),
    );
    const keyFile = join(dir, 'manual.key');
    const r = await runCli(cluster.kubeconfigPath, [
      'create',
      'certificaterequest',
      'manual-1',
      '--from-certificate-file',
      manifest,
      '--output-key-file',
      keyFile,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`CertificateRequest ${NS}/manual-1 created; private key written to`));
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const key = parsePrivateKeyPem(readFileSync(keyFile, 'utf8'));
    assert.deepEqual(describePrivateKey(key), { algorithm: 'ECDSA', size: 384 });
    const cr = await client.get<CertificateRequest>(Resources.CertificateRequest, NS, 'manual-1');
    assert.ok(cr);
    assert.deepEqual(cr.spec.issuerRef, { name: 'letsencrypt', kind: 'ClusterIssuer' });
    assert.equal(cr.spec.duration, '720h');
    const csr = await parseCsr(cr.spec.request);
    assert.ok(samePublicKey(csr.publicKey, key), 'the CSR carries the key written to the file');
    assert.deepEqual(csr.names.dnsNames.sort(), ['manual.example.test', 'www.manual.example.test']);
    assert.equal(csr.names.commonName, 'manual.example.test');
    assert.ok(!JSON.stringify(cr).includes('PRIVATE KEY'), 'no key material in the cluster');
  });

  test('the name defaults to the Certificate name and -n overrides the manifest namespace', async () => {
    await cluster.createNamespace(AIR_GAP);
    const manifest = join(dir, 'gw.yaml');
    writeFileSync(manifest, stringify(certificate(NS, 'gw', { dnsNames: ['gw.example.test'], issuerRef: LETSENCRYPT })));
    const cwdKey = join(dir, 'gw.key');
    const r = await runCli(cluster.kubeconfigPath, [
      '-n',
      AIR_GAP,
      'create',
      'certificaterequest',
      '--from-certificate-file',
      manifest,
      '--output-key-file',
      cwdKey,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await client.get(Resources.CertificateRequest, AIR_GAP, 'gw'));
    // an existing output file is never overwritten, and nothing is created then
    const again = await runCli(cluster.kubeconfigPath, [
      'create',
      'certificaterequest',
      'gw-2',
      '--from-certificate-file',
      manifest,
      '--output-key-file',
      cwdKey,
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /gw\.key already exists/);
    assert.equal(await client.get(Resources.CertificateRequest, NS, 'gw-2'), undefined);
  });

  test('bad manifests are clear errors', async () => {
    const notCert = join(dir, 'secret.yaml');
    writeFileSync(notCert, stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }));
    const r1 = await runCli(cluster.kubeconfigPath, [
      'create',
      'certificaterequest',
      'x',
      '--from-certificate-file',
      notCert,
      '--output-key-file',
      join(dir, 'x1.key'),
    ]);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /expected exactly one Certificate manifest, found 0/);
    const noNames = join(dir, 'nonames.yaml');
    writeFileSync(noNames, stringify(certificate(NS, 'nonames', { dnsNames: [], issuerRef: LETSENCRYPT })));
    const r2 = await runCli(cluster.kubeconfigPath, [
      'create',
      'certificaterequest',
      '--from-certificate-file',
      noNames,
      '--output-key-file',
      join(dir, 'x2.key'),
    ]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /cannot build a CSR from the Certificate: a certificate request needs a commonName or at least one subjectAltName/);
    assert.equal(existsSync(join(dir, 'x2.key')), false);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'kind: Certificate\n  bad: [indent');
    const r3 = await runCli(cluster.kubeconfigPath, [
      'create',
      'certificaterequest',
      'x',
      '--from-certificate-file',
      broken,
      '--output-key-file',
      join(dir, 'x3.key'),
    ]);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /broken\.yaml: not valid YAML or JSON/);
  });
});
