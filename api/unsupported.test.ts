import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findUnsupportedFields, UNSUPPORTED_FIELDS } from './unsupported.ts';

describe('findUnsupportedFields', () => {
  it('finds an unsupported DNS-01 field in the second solver, with its index', () => {
    const issuer = {
      spec: {
        acme: {
          server: 's',
          privateKeySecretRef: { name: 'k' },
          solvers: [{ http01: { ingress: {} } }, { dns01: { nameservers: ['1.1.1.1:53'], route53: { region: 'eu-west-1' } } }],
        },
      },
    };
    assert.deepEqual(findUnsupportedFields('ClusterIssuer', issuer), [
      {
        path: 'spec.acme.solvers[1].dns01.nameservers',
        reason: "per-solver propagation-check nameservers are not implemented; certgate checks the zone's authoritative servers",
      },
    ]);
  });
  it('accepts every DNS-01 provider of cert-manager', () => {
    const dns01 = [{ akamai: { serviceConsumerDomain: 'x' } }, { azureDNS: { subscriptionID: 's', resourceGroupName: 'g' } }, { cloudDNS: { project: 'p' } }];
    const issuer = { spec: { acme: { server: 's', privateKeySecretRef: { name: 'k' }, solvers: dns01.map((d) => ({ dns01: d })) } } };
    assert.deepEqual(findUnsupportedFields('Issuer', issuer), []);
  });
  it('accepts supported solvers', () => {
    const issuer = { spec: { acme: { server: 's', privateKeySecretRef: { name: 'k' }, solvers: [{ dns01: { rfc2136: { nameserver: '1.2.3.4' } } }] } } };
    assert.deepEqual(findUnsupportedFields('Issuer', issuer), []);
  });
  it('reports vault and venafi issuers', () => {
    assert.deepEqual(
      findUnsupportedFields('Issuer', { spec: { vault: { server: 'x' } } }).map((u) => u.path),
      ['spec.vault'],
    );
    assert.deepEqual(
      findUnsupportedFields('Issuer', { spec: { venafi: { zone: 'z' } } }).map((u) => u.path),
      ['spec.venafi'],
    );
  });
  it('ignores empty values and harmless ones', () => {
    const cert = { spec: { keystores: {}, otherNames: [], literalSubject: null } };
    assert.deepEqual(findUnsupportedFields('Certificate', cert), []);
    assert.deepEqual(findUnsupportedFields('Issuer', { spec: { acme: { enableDurationFeature: false } } }), []);
    assert.deepEqual(
      findUnsupportedFields('Issuer', { spec: { acme: { enableDurationFeature: true } } }).map((u) => u.path),
      ['spec.acme.enableDurationFeature'],
    );
  });
  it('accepts cnameStrategy Follow and None, and the webhook solver', () => {
    const issuer = (cnameStrategy: string) => ({ spec: { acme: { solvers: [{ dns01: { cnameStrategy, rfc2136: { nameserver: '1.2.3.4' } } }] } } });
    assert.deepEqual(findUnsupportedFields('ClusterIssuer', issuer('Follow')), []);
    assert.deepEqual(findUnsupportedFields('ClusterIssuer', issuer('None')), []);
    const webhook = { spec: { acme: { solvers: [{ dns01: { webhook: { groupName: 'acme.example.com', solverName: 'hetzner', config: { zone: 'x' } } } }] } } };
    assert.deepEqual(findUnsupportedFields('Issuer', webhook), []);
  });
  it("accepts spec.renewal.policy Disabled and RenewBefore (cert-manager v1's CertificateRenewal); refuses renewal windows", () => {
    assert.deepEqual(findUnsupportedFields('Certificate', { spec: { renewal: { policy: 'Disabled' } } }), []);
    assert.deepEqual(findUnsupportedFields('Certificate', { spec: { renewal: { policy: 'RenewBefore' } } }), []);
    assert.deepEqual(
      findUnsupportedFields('Certificate', { spec: { renewal: { policy: 'RenewBefore', windows: [{ cron: '0 2 * * *', windowDuration: '2h' }] } } }).map(
        (u) => u.path,
      ),
      ['spec.renewal.windows'],
    );
  });
  it('http01 serviceType: ClusterIP and empty accepted (what certgate does), NodePort refused on ingress and gatewayHTTPRoute solvers', () => {
    const issuer = (http01: Record<string, unknown>) => ({ spec: { acme: { solvers: [{ http01 }] } } });
    for (const route of ['ingress', 'gatewayHTTPRoute']) {
      assert.deepEqual(findUnsupportedFields('Issuer', issuer({ [route]: { serviceType: 'ClusterIP' } })), []);
      assert.deepEqual(findUnsupportedFields('Issuer', issuer({ [route]: { serviceType: '' } })), []);
      const [use] = findUnsupportedFields('ClusterIssuer', issuer({ [route]: { serviceType: 'NodePort' } }));
      assert.equal(use?.path, `spec.acme.solvers[0].http01.${route}.serviceType`);
      assert.match(use.reason, /no NodePort solver Service is made.*leave it out or set ClusterIP/);
    }
  });
  it('reports scalar fields such as literalSubject', () => {
    assert.deepEqual(
      findUnsupportedFields('Certificate', { spec: { literalSubject: 'CN=x' } }).map((u) => u.path),
      ['spec.literalSubject'],
    );
  });
  it('checks the solver of a Challenge', () => {
    assert.deepEqual(
      findUnsupportedFields('Challenge', { spec: { solver: { waitInsteadOfSelfCheck: '30s', http01: { ingress: {} } } } }).map((u) => u.path),
      ['spec.solver.waitInsteadOfSelfCheck'],
    );
  });
  it('accepts the Gateway API HTTP-01 solver (http01.gatewayHTTPRoute)', () => {
    assert.deepEqual(
      findUnsupportedFields('Challenge', {
        spec: { solver: { http01: { gatewayHTTPRoute: { labels: { a: 'b' }, parentRefs: [{ name: 'gw', kind: 'Gateway' }] } } } },
      }),
      [],
    );
  });
  it('survives objects of the wrong shape', () => {
    assert.deepEqual(findUnsupportedFields('Issuer', { spec: { acme: { solvers: 'nope' } } }), []);
    assert.deepEqual(findUnsupportedFields('Certificate', null), []);
  });
  it('gives every field a one-line reason', () => {
    for (const fields of Object.values(UNSUPPORTED_FIELDS)) for (const f of fields) assert.match(f.reason, /^[^\n]{10,160}$/, f.path);
  });
});
