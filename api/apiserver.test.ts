// The CRDs load into the embedded API server (test/apiserver/) with kubectl, and behave as a user
// of cert-manager expects: short names, printer columns, validation errors, unsupported fields kept.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCrdDirectory, loadCrds } from './crds.test-support.ts';
import { startApiServer, type EmbeddedApiServer } from '../test/apiserver/index.ts';

const KUBECTL = '/usr/bin/kubectl';
const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));

describe('CRDs in the embedded API server', { skip: !existsSync(KUBECTL) && 'kubectl not installed', timeout: 240_000 }, () => {
  let server: EmbeddedApiServer;
  let work: string;

  function kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(KUBECTL, ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(work, 'cache'), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }
  async function ok(...args: string[]): Promise<string> {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }
  function manifest(name: string, yaml: string): string {
    const path = join(work, name);
    writeFileSync(path, yaml);
    return path;
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'certgate-api-crds-'));
    server = await startApiServer({ dir: join(work, 'server'), crdDir: null });
    const out = await ok('apply', '-f', defaultCrdDirectory());
    for (const crd of loadCrds()) assert.match(out, new RegExp(`${crd.metadata.name.replace(/\./g, '\\.')} created`));
    await ok('wait', '--for=condition=Established', '--timeout=20s', ...loadCrds().map((c) => `crd/${c.metadata.name}`));
    // kubectl create namespace would send protobuf, which the embedded server does not speak; apply sends JSON.
    await ok(
      'apply',
      '-f',
      manifest(
        'namespaces.yaml',
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: sandbox}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: cert-manager}\n',
      ),
    );
    // cert-manager's documentation examples go through the webhook in webhook/parity/docs-examples.test.ts
    // (they use namespaces of their own, some placeholders); the other files are applied here.
    for (const file of readdirSync(testdata).filter((f) => f.endsWith('.yaml') && f !== 'cert-manager-docs-examples.yaml'))
      await ok('apply', '-f', join(testdata, file));
  });

  after(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves the example manifests under cert-manager short names', async () => {
    assert.match(await ok('get', 'cert', '-n', 'sandbox', '-o', 'name'), /^certificate\.cert-manager\.io\/example-com$/m);
    assert.match(await ok('get', 'iss', '-A', '-o', 'name'), /issuer\.cert-manager\.io\/letsencrypt-staging/);
    assert.match(await ok('get', 'ciss', '-o', 'name'), /clusterissuer\.cert-manager\.io\/letsencrypt-prod/);
    assert.match(await ok('get', 'cert-manager', '-A', '-o', 'name'), /certificate\.cert-manager\.io\/my-selfsigned-ca/);
  });

  it('prints the cert-manager columns, wide ones only with -o wide', async () => {
    const [header] = (await ok('get', 'certificates', '-n', 'sandbox')).split('\n');
    assert.deepEqual(header!.trim().split(/\s+/), ['NAME', 'READY', 'SECRET', 'AGE']);
    const [wideHeader, row] = (await ok('get', 'certificates', '-n', 'sandbox', '-o', 'wide')).split('\n');
    assert.deepEqual(wideHeader!.trim().split(/\s+/), ['NAME', 'READY', 'SECRET', 'ISSUER', 'STATUS', 'AGE']);
    assert.match(row!, /^example-com\s+example-com-tls\s+letsencrypt-prod\s/);
  });

  it('keeps unsupported fields so the webhook can reject them', async () => {
    const cert = JSON.parse(await ok('get', 'certificate', 'java-app', '-n', 'default', '-o', 'json'));
    assert.deepEqual(cert.spec.keystores, { pkcs12: { create: true, passwordSecretRef: { name: 'keystore-password', key: 'password' } } });
    assert.deepEqual(cert.spec.additionalOutputFormats, [{ type: 'CombinedPEM' }]);
  });

  it('rejects a v1alpha2-style lowercase key algorithm with the enum in the message', async () => {
    const path = manifest(
      'bad-alg.yaml',
      `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: bad-alg, namespace: default}
spec:
  secretName: bad-alg-tls
  dnsNames: [a.example.com]
  issuerRef: {name: x}
  privateKey: {algorithm: rsa}
`,
    );
    const r = await kubectl('apply', '-f', path);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.privateKey\.algorithm: Unsupported value: "rsa": supported values: "RSA", "ECDSA", "Ed25519"/);
  });

  it('rejects a Certificate without issuerRef', async () => {
    const path = manifest(
      'no-issuer.yaml',
      'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: no-issuer, namespace: default}\nspec: {secretName: s}\n',
    );
    const r = await kubectl('apply', '-f', path);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.issuerRef: Required value/);
  });

  it('reports a misspelled field with kubectl default (strict) validation', async () => {
    const path = manifest(
      'typo-strict.yaml',
      'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: typo-strict, namespace: default}\nspec: {secretName: s, issuerRef: {name: x}, dnsName: [a.example.com]}\n',
    );
    const r = await kubectl('apply', '-f', path);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown field "spec\.dnsName"/);
  });

  it('prunes a misspelled field when validation is off, as a real API server does', async () => {
    const path = manifest(
      'typo.yaml',
      'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: typo, namespace: default}\nspec: {secretName: s, issuerRef: {name: x}, dnsName: [a.example.com]}\n',
    );
    await ok('apply', '--validate=false', '-f', path);
    const cert = JSON.parse(await ok('get', 'certificate', 'typo', '-n', 'default', '-o', 'json'));
    assert.equal(cert.spec.dnsName, undefined);
    assert.equal(cert.spec.secretName, 's');
  });

  it('keeps status apart from spec (status subresource)', async () => {
    await ok(
      'patch',
      'certificate',
      'example-com',
      '-n',
      'sandbox',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'Certificate is up to date and has not expired' }] },
      }),
    );
    const [, row] = (await ok('get', 'certificates', 'example-com', '-n', 'sandbox', '-o', 'wide')).split('\n');
    assert.match(row!, /^example-com\s+True\s+example-com-tls\s+letsencrypt-prod\s+Certificate is up to date and has not expired/);
  });
});
