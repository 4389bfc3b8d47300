// `certgate inspect secret` and `certgate import` against the embedded API server, with real
// certificates minted by lib/pki: a good chain, and each broken case import must refuse.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../api/resources.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { makeCa, makeLeaf, runCli, tlsSecret, type KeyPair, LETSENCRYPT } from '../cli/harness.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { certificate, clientFor } from '../fixtures.ts';

const NS = runName('inspect-import'); // per run, so a real cluster can be reused; the CLI gets -n NS
/** A message pattern written with "default/" for the namespace, matching this run's namespace instead. */
const inNs = (re: RegExp) => new RegExp(re.source.replaceAll('default\\/', `${NS}/`), re.flags);
const HOUR = 3_600_000;

describe('certgate inspect secret and import', { timeout: 240_000 }, () => {
  let api: TestCluster;
  let client: KubeClient;
  let dir: string;
  let root: KeyPair, intermediate: KeyPair, otherRoot: KeyPair, good: KeyPair, expired: KeyPair, partial: KeyPair, wildcard: KeyPair;
  const file = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const secret = (name: string) => client.get<any>(Resources.Secret, NS, name);
  const cli = (...args: string[]) => runCli(api.kubeconfigPath, ['-n', NS, ...args]);
  /** `certgate import --secret SECRET` of a chain and key written to `<file>.pem` and `<file>.key`, with `flags`. */
  const importPair = (secretName: string, pair: { file: string; chainPem: string; keyPem: string }, ...flags: string[]) =>
    cli('import', '--secret', secretName, '--cert', file(`${pair.file}.pem`, pair.chainPem), '--key', file(`${pair.file}.key`, pair.keyPem), ...flags);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certgate-cli-import-'));
    api = await getTestCluster();
    client = clientFor(api.kubeconfigPath);
    await api.createNamespace(NS);
    root = await makeCa('Manual Root CA');
    otherRoot = await makeCa('Some Other CA');
    intermediate = await makeLeaf({ issuer: root, commonName: 'Manual Intermediate', dnsNames: [], isCA: true });
    good = await makeLeaf({ issuer: intermediate, dnsNames: ['shop.example.test', 'www.shop.example.test'] });
    partial = await makeLeaf({ issuer: intermediate, dnsNames: ['shop.example.test'] });
    wildcard = await makeLeaf({ issuer: intermediate, dnsNames: ['*.shop.example.test', 'shop.example.test'] });
    expired = await makeLeaf({
      issuer: intermediate,
      dnsNames: ['shop.example.test', 'www.shop.example.test'],
      notBefore: new Date(Date.now() - 2 * 24 * HOUR),
      durationMs: HOUR,
    });
    for (const name of ['shop', 'forced', 'wild', 'keep']) {
      await client.create(Resources.Certificate, certificate(NS, name, { dnsNames: ['shop.example.test', 'www.shop.example.test'], issuerRef: LETSENCRYPT }));
    }
  });

  after(async () => {
    await api?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('inspect: a good Secret shows names, issuer, serial, key, chain order and verification; exit 0', async () => {
    await client.create(
      Resources.Secret,
      tlsSecret(NS, 'good-tls', good.certPem + intermediate.certPem, good.keyPem, root.certPem, {
        'cert-manager.io/certificate-name': 'shop',
        'cert-manager.io/issuer-name': 'letsencrypt',
      }),
    );
    const r = await cli('inspect', 'secret', 'good-tls');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /DNS Names:\s+shop\.example\.test, www\.shop\.example\.test/);
    assert.match(r.stdout, /Issuer:\s+CN=Manual Intermediate/);
    assert.ok(r.stdout.includes(new X509Certificate(good.certPem).serialNumber.toLowerCase()));
    assert.match(r.stdout, /Public Key:\s+ECDSA 256/);
    assert.match(r.stdout, /Matches cert:\s+yes/);
    assert.match(r.stdout, /Chain \(2, in order: yes\)/);
    assert.match(r.stdout, /Chain verifies against ca.crt: yes/);
    assert.match(r.stdout, /cert-manager.io\/certificate-name: shop/);
    assert.match(r.stdout, /Problems:\s+none/);
    const j = JSON.parse((await cli('inspect', 'secret', 'good-tls', '-o', 'json')).stdout);
    assert.equal(j.privateKey.matchesCertificate, true);
    assert.equal(j.ca.chainVerifies, true);
    assert.ok(!JSON.stringify(j).includes('PRIVATE KEY'), 'no key material in the output');
  });

  test('inspect: a broken Secret names each problem; exit 1', async () => {
    // wrong key, chain reversed, ca.crt of another CA, expired leaf
    await client.create(Resources.Secret, tlsSecret(NS, 'broken-tls', intermediate.certPem + expired.certPem, good.keyPem, otherRoot.certPem));
    const r = await cli('inspect', 'secret', 'broken-tls');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /chain out of order/);
    assert.match(r.stdout, /the private key does not match the certificate/);
    assert.match(r.stdout, /the chain does not verify against ca.crt/);
    const exp = await client.create(Resources.Secret, tlsSecret(NS, 'expired-tls', expired.certPem, expired.keyPem));
    assert.ok(exp);
    const e = await cli('inspect', 'secret', 'expired-tls');
    assert.equal(e.code, 1);
    assert.match(e.stdout, /\(EXPIRED\)/);
    assert.match(e.stdout, /the certificate expired at/);
    await client.create(Resources.Secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'opaque', namespace: NS }, data: { foo: 'YmFy' } } as any);
    const o = await cli('inspect', 'secret', 'opaque');
    assert.equal(o.code, 1);
    assert.match(o.stdout, /type is "Opaque", not kubernetes.io\/tls/);
    assert.match(o.stdout, /tls.crt is missing or empty/);
  });

  test('import refuses each bad case with a message naming the problem, and writes nothing', async () => {
    const cases: Array<{ name: string; args: string[]; message: RegExp }> = [
      {
        name: 'key mismatch',
        args: ['--cert', file('c1.pem', good.certPem + intermediate.certPem), '--key', file('k1.pem', partial.keyPem)],
        message: /key mismatch: the private key \(ECDSA 256\) does not belong to the certificate/,
      },
      {
        name: 'chain out of order',
        args: ['--cert', file('c2.pem', intermediate.certPem + good.certPem), '--key', file('k2.pem', good.keyPem)],
        message: /chain out of order or not verifying/,
      },
      {
        name: 'chain not verifying to --ca',
        args: ['--cert', file('c3.pem', good.certPem + intermediate.certPem), '--key', file('k3.pem', good.keyPem), '--ca', file('ca3.pem', otherRoot.certPem)],
        message: /chain does not verify against --ca/,
      },
      {
        name: 'expired',
        args: ['--cert', file('c4.pem', expired.certPem + intermediate.certPem), '--key', file('k4.pem', expired.keyPem)],
        message: /expired: the certificate's notAfter is/,
      },
      {
        name: 'names not covering the Certificate',
        args: ['--cert', file('c5.pem', partial.certPem + intermediate.certPem), '--key', file('k5.pem', partial.keyPem)],
        message: inNs(/names not covered: the certificate lacks www\.shop\.example\.test required by Certificate default\/shop/),
      },
    ];
    for (const c of cases) {
      const r = await cli('import', '--secret', 'shop-tls', ...c.args);
      assert.equal(r.code, 1, `${c.name}: ${r.stdout}`);
      assert.match(r.stderr, inNs(/refusing to import into Secret default\/shop-tls/), c.name);
      assert.match(r.stderr, c.message, `${c.name}: ${r.stderr}`);
      assert.equal(await secret('shop-tls'), undefined, `${c.name}: nothing written`);
    }
    const noFile = await cli('import', '--secret', 'shop-tls', '--cert', join(dir, 'missing.pem'), '--key', join(dir, 'k1.pem'));
    assert.equal(noFile.code, 1);
    assert.match(noFile.stderr, /--cert .*missing\.pem: no such file/);
  });

  test('import accepts a good pair: one kubernetes.io/tls Secret with cert-manager annotations, an Event, inspect says good', async () => {
    // An issuance is stuck in progress (the reason for the manual import): import stops it.
    const owner = await client.get<any>(Resources.Certificate, NS, 'shop');
    await client.replaceStatus(Resources.Certificate, {
      ...owner,
      status: {
        conditions: [
          { type: 'Ready', status: 'False', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' },
          { type: 'Issuing', status: 'True', reason: 'DoesNotExist', message: 'Issuing certificate as Secret does not exist' },
        ],
      },
    });
    const r = await importPair(
      'shop-tls',
      { file: 'good', chainPem: good.certPem + intermediate.certPem, keyPem: good.keyPem },
      '--ca',
      file('root.pem', root.certPem),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, inNs(/created Secret default\/shop-tls with certificate serial/));
    assert.match(r.stdout, /stopped the issuance in progress for Certificate shop/);
    const conds = (await client.get<any>(Resources.Certificate, NS, 'shop')).status.conditions;
    assert.deepEqual(
      conds.map((c: any) => c.type),
      ['Ready'],
      'Issuing removed, Ready left to the worker',
    );
    const s = await secret('shop-tls');
    assert.equal(s.type, 'kubernetes.io/tls');
    assert.equal(s.metadata.labels['controller.cert-manager.io/fao'], 'true');
    const a = s.metadata.annotations;
    assert.equal(a['cert-manager.io/certificate-name'], 'shop');
    assert.equal(a['cert-manager.io/issuer-name'], 'letsencrypt');
    assert.equal(a['cert-manager.io/issuer-kind'], 'ClusterIssuer');
    assert.equal(a['cert-manager.io/issuer-group'], 'cert-manager.io');
    assert.equal(a['cert-manager.io/alt-names'], 'shop.example.test,www.shop.example.test');
    assert.equal(a['cert-manager.io/ip-sans'], '');
    assert.equal(a['cert-manager.io/uri-sans'], '');
    assert.equal(a['cert-manager.io/common-name'], '');
    assert.equal(Buffer.from(s.data['tls.crt'], 'base64').toString(), good.certPem + intermediate.certPem);
    assert.equal(Buffer.from(s.data['ca.crt'], 'base64').toString(), root.certPem);
    // PKCS1 is the Certificate's default encoding: an EC key is stored as "EC PRIVATE KEY" like the worker does.
    assert.match(Buffer.from(s.data['tls.key'], 'base64').toString(), /BEGIN EC PRIVATE KEY/);
    const events = await client.list<any>(Resources.Event, { namespace: NS, fieldSelector: 'involvedObject.name=shop' });
    const ev = events.items.find((e) => e.reason === 'ManuallyImported');
    assert.ok(ev, 'an Event on the Certificate');
    assert.equal(ev.involvedObject.kind, 'Certificate');
    assert.match(ev.message, /imported by hand into Secret shop-tls/);
    assert.ok(!ev.message.includes('PRIVATE'));
    const i = await cli('inspect', 'secret', 'shop-tls');
    assert.equal(i.code, 0, i.stdout);
  });

  test('import replaces an existing Secret in one update, keeping unrelated keys; a wildcard covers names', async () => {
    await client.create(Resources.Secret, {
      ...tlsSecret(NS, 'wild-tls', good.certPem, good.keyPem),
      data: { ...(tlsSecret(NS, 'x', good.certPem, good.keyPem) as any).data, 'extra.txt': Buffer.from('keep me').toString('base64') },
    } as any);
    const before = await secret('wild-tls');
    const r = await importPair('wild-tls', { file: 'wild', chainPem: wildcard.certPem + intermediate.certPem, keyPem: wildcard.keyPem });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, inNs(/updated Secret default\/wild-tls/));
    assert.match(r.stderr, /names differ from Certificate wild/);
    const s = await secret('wild-tls');
    assert.equal(Number(s.metadata.resourceVersion) > Number(before.metadata.resourceVersion), true);
    assert.equal(Buffer.from(s.data['extra.txt'], 'base64').toString(), 'keep me');
    assert.equal(s.metadata.annotations['cert-manager.io/certificate-name'], 'wild');
    assert.equal(s.metadata.annotations['cert-manager.io/alt-names'], '*.shop.example.test,shop.example.test');
  });

  test('import --force writes despite failed checks, loudly, with a Warning Event', async () => {
    const r = await importPair('forced-tls', { file: 'f', chainPem: partial.certPem + intermediate.certPem, keyPem: partial.keyPem }, '--force');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING: --force: importing DESPITE 1 failed check/);
    assert.match(r.stderr, /names not covered/);
    assert.ok(await secret('forced-tls'));
    const events = await client.list<any>(Resources.Event, { namespace: NS, fieldSelector: 'involvedObject.name=forced' });
    const ev = events.items.find((e) => e.reason === 'ForcedImport');
    assert.equal(ev?.type, 'Warning');
  });

  test('import --dry-run checks without writing', async () => {
    const r = await importPair('keep-tls', { file: 'd', chainPem: good.certPem + intermediate.certPem, keyPem: good.keyPem }, '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, inNs(/\(dry run\) would have created Secret default\/keep-tls/));
    assert.equal(await secret('keep-tls'), undefined);
  });
});
