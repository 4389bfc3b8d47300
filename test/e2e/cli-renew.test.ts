// `certgate renew` against the embedded API server: the trigger the worker honours (Issuing=True,
// reason ManuallyTriggered, through the status subresource), --all/-A, and --wait following a
// Certificate to a new revision or a failure. Here the test writes the status changes an issuance
// makes; test/e2e/cli-renew-worker.test.ts runs the same verb against the real worker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import { getTestCluster, runName, type TestCluster } from './cluster.ts';
import { createWithStatus, makeCa, makeLeaf, runCli, tlsSecret, type KeyPair, LETSENCRYPT } from '../cli/harness.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { certificate, clientFor } from '../fixtures.ts';

// Per run, so a real cluster can be reused: DEF stands where "default" was (the CLI gets -n DEF).
const DEF = runName('renew');
const TEAM_B = runName('team-b');
/** A message pattern written with "default/" and "team-b/", matching this run's namespaces instead. */
const inNs = (re: RegExp) => new RegExp(re.source.replaceAll('default\\/', `${DEF}/`).replaceAll('team-b\\/', `${TEAM_B}/`), re.flags);

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const readyStatus = (revision: number) => ({
  conditions: [
    { type: 'Ready', status: 'True' as const, reason: 'Ready', message: 'Certificate is up to date and has not expired', lastTransitionTime: iso(Date.now()) },
  ],
  revision,
});

describe('certgate renew', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  let ca: KeyPair;

  before(async () => {
    cluster = await getTestCluster();
    client = clientFor(cluster.kubeconfigPath);
    ca = await makeCa();
    await cluster.createNamespace(DEF);
    await cluster.createNamespace(TEAM_B);
    for (const [ns, name] of [
      [DEF, 'web'],
      [DEF, 'shop'],
      [TEAM_B, 'api'],
      [DEF, 'slow'],
      [DEF, 'broken'],
    ]) {
      await createWithStatus<Certificate>(client, Resources.Certificate, {
        ...certificate(ns!, name!, { dnsNames: [`${name}.example.test`], issuerRef: LETSENCRYPT }),
        status: readyStatus(1),
      });
    }
  });

  after(async () => cluster?.stop());

  const issuing = async (ns: string, name: string) =>
    (await client.get<Certificate>(Resources.Certificate, ns, name))?.status?.conditions?.find((c) => c.type === 'Issuing');

  test('renew NAME adds Issuing=True/ManuallyTriggered and keeps the other conditions', async () => {
    const r = await runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew', 'web']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, inNs(/Manually triggered issuance of Certificate default\/web/));
    const c = await client.get<Certificate>(Resources.Certificate, DEF, 'web');
    const cond = c!.status!.conditions!.find((x) => x.type === 'Issuing')!;
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'ManuallyTriggered');
    assert.equal(cond.observedGeneration, c!.metadata.generation);
    assert.equal(c!.status!.conditions!.find((x) => x.type === 'Ready')?.status, 'True');
    const again = await runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew', 'web']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already being issued; not triggered again/);
  });

  test('renew --all -A triggers every Certificate in every namespace; -n limits --all', async () => {
    const one = await runCli(cluster.kubeconfigPath, ['renew', '--all', '-n', TEAM_B]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, inNs(/team-b\/api/));
    assert.doesNotMatch(one.stdout, inNs(/default\/shop/));
    // -A on a real cluster would renew everybody's Certificates: there only this run's namespace
    const all = await runCli(cluster.kubeconfigPath, cluster.real ? ['renew', '--all', '-n', DEF, '-o', 'json'] : ['renew', '--all', '-A', '-o', 'json']);
    assert.equal(all.code, 0, all.stderr);
    const out = JSON.parse(all.stdout) as Array<{ namespace: string; name: string; action: string }>;
    const expected = [`${DEF}/broken`, `${DEF}/shop`, `${DEF}/slow`, `${DEF}/web`, ...(cluster.real ? [] : [`${TEAM_B}/api`])];
    assert.deepEqual(out.map((o) => `${o.namespace}/${o.name}`).sort(), expected);
    assert.equal(out.find((o) => o.name === 'shop')?.action, 'triggered');
    if (!cluster.real) assert.equal(out.find((o) => o.name === 'api')?.action, 'already-issuing');
    assert.equal((await issuing(DEF, 'shop'))?.reason, 'ManuallyTriggered');
  });

  test('--context picks a kubeconfig context and its namespace is the default; KUBECONFIG is honoured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certgate-cli-ctx-'));
    try {
      const kc = parseYaml(readFileSync(cluster.kubeconfigPath, 'utf8'));
      const base = kc.contexts[0];
      kc.contexts.push({ name: 'team-b', context: { ...base.context, namespace: TEAM_B } });
      const path = join(dir, 'kubeconfig');
      writeFileSync(path, stringify(kc));
      const c0 = await client.get<Certificate>(Resources.Certificate, TEAM_B, 'api');
      await client.replaceStatus(Resources.Certificate, { ...c0!, status: readyStatus(1) });
      const r = await runCli(path, ['--context', 'team-b', 'status', 'certificate', 'api', '-o', 'json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).namespace, TEAM_B);
      const missing = await runCli(path, ['--context', 'nope', 'status', 'certificate', 'api']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /kubeconfig has no context named "nope"/);
      // no --kubeconfig: KUBECONFIG names the file
      const { run } = await import('../../cli/main.ts');
      let out = '';
      const saved = process.env.KUBECONFIG;
      process.env.KUBECONFIG = path;
      try {
        const code = await run(['--context', 'team-b', 'renew', 'api'], {
          stdout: { write: (t: string) => (out += t) },
          stderr: { write: () => true },
          now: Date.now,
        });
        assert.equal(code, 0);
      } finally {
        if (saved === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = saved;
      }
      assert.match(out, inNs(/Manually triggered issuance of Certificate team-b\/api/));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad arguments are clear errors', async () => {
    const none = await runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /name at least one Certificate, or use --all/);
    const both = await runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew', 'web', '--all']);
    assert.match(both.stderr, /not both/);
    const missing = await runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew', 'ghost']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`certificate "ghost" not found in namespace "${DEF}"`));
    // One missing name does not stop the others, and the command still fails.
    await createWithStatus<Certificate>(client, Resources.Certificate, {
      ...certificate(DEF, 'fresh', { dnsNames: ['fresh.example.test'], issuerRef: LETSENCRYPT }),
      status: readyStatus(1),
    });
    const mixed = await runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew', 'ghost', 'fresh']);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /certificate "ghost" not found/);
    assert.match(mixed.stdout, inNs(/Manually triggered issuance of Certificate default\/fresh/));
    assert.equal((await issuing(DEF, 'fresh'))?.reason, 'ManuallyTriggered');
    const badTimeout = await runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew', 'web', '--wait', '--timeout', 'soon']);
    assert.match(badTimeout.stderr, /invalid duration "soon"/);
  });

  test('--wait follows the Certificate to Ready with a new revision and prints the new serial', async () => {
    const first = await makeLeaf({ issuer: ca, dnsNames: ['slow.example.test'] });
    await client.create(Resources.Secret, tlsSecret(DEF, 'slow-tls', first.certPem, first.keyPem));
    // clear the trigger from the earlier test
    const c0 = await client.get<Certificate>(Resources.Certificate, DEF, 'slow');
    await client.replaceStatus(Resources.Certificate, { ...c0!, status: readyStatus(1) });
    const waiting = runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew', 'slow', '--wait', '--timeout', '20s']);
    // What an issuance does: wait for the trigger, write the new certificate, bump the revision, drop Issuing.
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      seen = (await issuing(DEF, 'slow'))?.reason === 'ManuallyTriggered';
      if (!seen) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(seen, 'the trigger reached the API server');
    const second = await makeLeaf({ issuer: ca, dnsNames: ['slow.example.test'] });
    const secret = await client.get<any>(Resources.Secret, DEF, 'slow-tls');
    await client.replace(Resources.Secret, { ...secret, data: (tlsSecret(DEF, 'slow-tls', second.certPem, second.keyPem) as any).data });
    const c1 = await client.get<Certificate>(Resources.Certificate, DEF, 'slow');
    await client.replaceStatus(Resources.Certificate, { ...c1!, status: readyStatus(2) });
    const r = await waiting;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const newSerial = new X509Certificate(second.certPem).serialNumber.toLowerCase();
    const oldSerial = new X509Certificate(first.certPem).serialNumber.toLowerCase();
    assert.ok(r.stdout.includes(`is Ready: revision 2, serial ${newSerial} (was ${oldSerial})`), r.stdout);
  });

  test('--wait reports a failed issuance with its message and exit 1', async () => {
    const c0 = await client.get<Certificate>(Resources.Certificate, DEF, 'broken');
    await client.replaceStatus(Resources.Certificate, { ...c0!, status: readyStatus(1) });
    const waiting = runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew', 'broken', '--wait', '--timeout', '20s']);
    for (let i = 0; i < 100 && (await issuing(DEF, 'broken'))?.reason !== 'ManuallyTriggered'; i++) await new Promise((r) => setTimeout(r, 50));
    const c1 = await client.get<Certificate>(Resources.Certificate, DEF, 'broken');
    const failed = {
      type: 'Issuing',
      status: 'False' as const,
      reason: 'Failed',
      message: 'The certificate request has failed to complete and will be retried: order is in "invalid" state',
      lastTransitionTime: iso(Date.now()),
    };
    await client.replaceStatus(Resources.Certificate, {
      ...c1!,
      status: { ...c1!.status, conditions: [...readyStatus(1).conditions, failed], lastFailureTime: iso(Date.now()), failedIssuanceAttempts: 1 },
    });
    const r = await waiting;
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      inNs(/Certificate default\/broken issuance FAILED: The certificate request has failed to complete and will be retried: order is in "invalid" state/),
    );
  });

  test('--wait gives up at --timeout with exit 1', async () => {
    const c0 = await client.get<Certificate>(Resources.Certificate, DEF, 'web');
    await client.replaceStatus(Resources.Certificate, { ...c0!, status: readyStatus(1) });
    const r = await runCli(cluster.kubeconfigPath, ['-n', DEF, 'renew', 'web', '--wait', '--timeout', '1s']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, inNs(/Certificate default\/web: timed out waiting/));
  });
});
