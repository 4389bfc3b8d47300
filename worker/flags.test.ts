import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CommanderError } from 'commander';
import { parseWorkerArgs } from './flags.ts';

describe('worker flags', () => {
  it('defaults mirror the Helm chart and cert-manager', () => {
    const c = parseWorkerArgs([]);
    assert.equal(c.namespace, undefined);
    assert.equal(c.clusterResourceNamespace, 'certgate');
    assert.equal(c.leaderElect, true);
    assert.equal(c.leaderElectionNamespace, 'certgate');
    assert.equal(c.leaderElectionId, 'certgate-worker');
    assert.deepEqual(c.metricsListen, { host: '0.0.0.0', port: 9402 });
    assert.deepEqual(c.healthListen, { host: '0.0.0.0', port: 9403 });
    assert.equal(c.renewBackoffBaseMs, 3_600_000);
    assert.equal(c.renewBackoffMaxMs, 32 * 3_600_000);
    assert.equal(c.acmeHttp01SelfCheckPort, 80);
    assert.equal(c.acmeBackoffMinMs, 1000);
    assert.deepEqual(c.solverService, { namespace: 'certgate', name: 'certgate-solver', port: 8089 });
    assert.equal(c.leaseDurationMs, 60_000);
    assert.equal(c.transparentTls, false);
    assert.deepEqual(c.transparentTlsExcludedNamespaces, []);
    assert.equal(c.autoApproval, true, 'the built-in approver is on, as in cert-manager');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.metricsListen));
  });

  it('--gateway-api=off: the worker never looks for the Gateway API (auto by default)', () => {
    assert.equal(parseWorkerArgs([]).gatewayApi.off, false);
    assert.equal(parseWorkerArgs(['--gateway-api=off']).gatewayApi.off, true);
    assert.throws(() => parseWorkerArgs(['--gateway-api=on']), /Allowed choices are auto, off/);
  });

  it('--disable-auto-approval turns the built-in approver off', () => {
    assert.equal(parseWorkerArgs(['--disable-auto-approval']).autoApproval, false);
  });

  it('parses every flag', () => {
    const c = parseWorkerArgs([
      '--kubeconfig',
      '/tmp/kc',
      '--namespace',
      'apps',
      '--cluster-resource-namespace',
      'infra',
      '--no-leader-elect',
      '--leader-election-namespace',
      'le',
      '--leader-election-id',
      'lock',
      '--metrics-listen',
      '127.0.0.1:0',
      '--health-listen',
      '[::1]:8080',
      '--renew-backoff-base',
      '2s',
      '--renew-backoff-max',
      '1m',
      '--default-issuer',
      'ClusterIssuer/letsencrypt',
      '--acme-http01-self-check-port',
      '5002',
      '--acme-dns-nameserver',
      '127.0.0.1:5353',
      '--acme-backoff-min-ms',
      '50',
      '--solver-service',
      'infra/solver:9000',
      '--transparent-tls',
      '--transparent-tls-exclude-namespace',
      'kube-system',
      '--transparent-tls-exclude-namespace',
      'certgate',
      '--cluster-issuer-selector',
      'certgate.io/owner=team-a',
      '--dns01-recursive-nameservers',
      '10.0.0.53, 10.0.0.54:5353,[2001:db8::53]',
      '--dns01-recursive-nameservers-only',
      '--dns01-authoritative-port',
      '5300',
      '--dns01-api-endpoint',
      'cloudflare=https://cf-proxy.internal:8443/',
      '--dns01-api-endpoint',
      'azureDNS=https://127.0.0.1:9443',
    ]);
    assert.equal(c.kubeconfig, '/tmp/kc');
    assert.equal(c.namespace, 'apps');
    assert.equal(c.leaderElect, false);
    assert.deepEqual(c.healthListen, { host: '::1', port: 8080 });
    assert.equal(c.renewBackoffBaseMs, 2000);
    assert.equal(c.renewBackoffMaxMs, 60_000);
    assert.deepEqual(c.defaultIssuer, { kind: 'ClusterIssuer', name: 'letsencrypt', group: 'cert-manager.io' });
    assert.deepEqual(c.acmeDnsNameserver, { host: '127.0.0.1', port: 5353 });
    assert.deepEqual(c.solverService, { namespace: 'infra', name: 'solver', port: 9000 });
    assert.equal(c.transparentTls, true);
    assert.deepEqual(c.transparentTlsExcludedNamespaces, ['kube-system', 'certgate']);
    assert.equal(c.clusterIssuerSelector, 'certgate.io/owner=team-a');
    assert.deepEqual(c.dns01, {
      recursiveNameservers: [
        { host: '10.0.0.53', port: 53 },
        { host: '10.0.0.54', port: 5353 },
        { host: '2001:db8::53', port: 53 },
      ],
      recursiveOnly: true,
      authoritativePort: 5300,
      apiEndpoints: { cloudflare: 'https://cf-proxy.internal:8443', azureDNS: 'https://127.0.0.1:9443' },
    });
  });

  it('defaults the DNS-01 checks to the authoritative nameservers on port 53', () => {
    assert.deepEqual(parseWorkerArgs([]).dns01, { recursiveNameservers: [], recursiveOnly: false, authoritativePort: 53, apiEndpoints: {} });
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['bad duration', ['--renew-backoff-base', '1x'], /invalid duration/],
    ['max below base', ['--renew-backoff-base', '2h', '--renew-backoff-max', '1h'], /must not be shorter/],
    ['bad listen', ['--metrics-listen', 'nope'], /not HOST:PORT/],
    ['bad issuer', ['--default-issuer', 'letsencrypt'], /KIND\/NAME/],
    ['bad port', ['--acme-http01-self-check-port', '70000'], /not a port/],
    [
      'an API endpoint for a provider that names its own host',
      ['--dns01-api-endpoint', 'acmeDNS=https://x'],
      /provider among cloudflare, route53, digitalocean, cloudDNS, azureDNS/,
    ],
    ['an API endpoint over plain HTTP', ['--dns01-api-endpoint', 'route53=http://localhost:4566'], /give <provider>=https:\/\/host/],
    ['a DNS-over-HTTPS nameserver', ['--dns01-recursive-nameservers', 'https://1.1.1.1/dns-query'], /DNS over HTTPS nameservers are not supported/],
    ['a selector that is not key=value', ['--cluster-issuer-selector', 'team in (a,b)'], /not a label selector of the form key=value/],
  ];
  for (const [name, args, want] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => parseWorkerArgs(args),
        (e: unknown) => (e instanceof CommanderError || e instanceof Error) && want.test((e as Error).message),
      );
    });
  }
});
