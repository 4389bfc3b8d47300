// kubectl's connection flags through @kubernetes/client-node's KubeConfig: what reaches the request
// (applyToHTTPSOptions, the call KubeClient makes for every request).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { applyKubectlFlags, impersonationHeaders, requestTimeoutMs } from './kubectl-flags.ts';

function kubeconfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', caData: Buffer.from('kubeconfig CA').toString('base64') }],
    users: [{ name: 'u', token: 'kubeconfig-token' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u', namespace: 'team' }],
    currentContext: 'ctx',
  });
  return kc;
}

async function requestOptions(kc: KubeConfig): Promise<https.RequestOptions & { headers: Record<string, string> }> {
  const opts: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(opts);
  return opts as https.RequestOptions & { headers: Record<string, string> };
}

describe('kubectl connection flags', () => {
  it('no flags: the kubeconfig as it is', async () => {
    const kc = applyKubectlFlags(kubeconfig(), {});
    const o = await requestOptions(kc);
    assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:6443');
    assert.equal(o.headers.Authorization, 'Bearer kubeconfig-token');
    assert.equal(String(o.ca), 'kubeconfig CA');
    assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'team', 'the context namespace stays');
  });

  it('--server, --token, --as', async () => {
    const kc = applyKubectlFlags(kubeconfig(), { server: 'https://api.example.test:443', token: 'flag-token', as: 'jane' });
    const o = await requestOptions(kc);
    assert.equal(kc.getCurrentCluster()?.server, 'https://api.example.test:443');
    assert.equal(o.headers.Authorization, 'Bearer flag-token');
    assert.equal(o.headers['Impersonate-User'], 'jane');
  });

  it('--certificate-authority replaces the kubeconfig CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certgate-ca-'));
    writeFileSync(join(dir, 'ca.crt'), 'flag CA');
    const o = await requestOptions(applyKubectlFlags(kubeconfig(), { certificateAuthority: join(dir, 'ca.crt') }));
    assert.equal(String(o.ca), 'flag CA');
  });

  it('--insecure-skip-tls-verify drops the CA and does not verify', async () => {
    const o = await requestOptions(applyKubectlFlags(kubeconfig(), { insecureSkipTlsVerify: true }));
    assert.equal(o.rejectUnauthorized, false);
    assert.equal(o.ca, undefined);
  });

  it('--as-group: one Impersonate-Group header per group', () => {
    assert.deepEqual(impersonationHeaders({ as: 'jane', asGroup: ['dev', 'ops'] }), { 'Impersonate-Group': ['dev', 'ops'] });
    assert.equal(impersonationHeaders({}), undefined);
  });

  const refused: Array<[string, Parameters<typeof applyKubectlFlags>[1], RegExp]> = [
    [
      'a CA file with --insecure-skip-tls-verify',
      { insecureSkipTlsVerify: true, certificateAuthority: '/etc/hostname' },
      /root certificates file with the insecure flag is not allowed/,
    ],
    ['--as-group without --as', { asGroup: ['dev'] }, /--as-group needs --as/],
    ['a CA file that is not there', { certificateAuthority: '/no/such/ca.crt' }, /no such file/],
    ['a server that is not a URL', { server: 'not a url' }, /is not a URL/],
  ];
  for (const [name, flags, want] of refused) it(`refuses ${name}`, () => assert.throws(() => applyKubectlFlags(kubeconfig(), flags), want));

  it('--request-timeout: seconds, durations, 0 for none', () => {
    assert.equal(requestTimeoutMs(undefined), undefined);
    assert.equal(requestTimeoutMs('0'), 0);
    assert.equal(requestTimeoutMs('5'), 5000);
    assert.equal(requestTimeoutMs('1m30s'), 90_000);
    assert.throws(() => requestTimeoutMs('soon'), /--request-timeout "soon"/);
  });
});
