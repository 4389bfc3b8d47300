// The HTTP-01 HTTPRoute as cert-manager's httproute.go builds it, and the parent the gateway shim's
// Certificate names (cert-manager's applyGatewayAPIAnnotationParentRefOverride).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ACMEAuthorization, ACMEChallengeSolver, Challenge, Order } from '../../../../api/types.generated.ts';
import { buildChallenge } from '../../orders/challenge-spec.ts';
import { httpRouteSpec } from './httproute.ts';
import { SolverConfigError } from './ingress.ts';

const challenge = (dnsName: string, gatewayHTTPRoute: Record<string, unknown>): Challenge =>
  ({
    apiVersion: 'acme.cert-manager.io/v1',
    kind: 'Challenge',
    metadata: { name: 'ch', namespace: 'shop', uid: 'u1' },
    spec: {
      authorizationURL: 'a',
      dnsName,
      issuerRef: { name: 'le' },
      key: 'k',
      solver: { http01: { gatewayHTTPRoute } },
      token: 'tok-1',
      type: 'HTTP-01',
      url: 'u',
      wildcard: false,
    },
  }) as Challenge;

describe('httpRouteSpec', () => {
  it('attaches to the parentRefs, matches the host and the exact token path, and sends it to the solver Service', () => {
    const spec = httpRouteSpec(
      challenge('shop.example.com', { parentRefs: [{ name: 'public', kind: 'Gateway', sectionName: 'http' }] }),
      'cm-acme-http-solver-x',
      8089,
    );
    assert.deepEqual(spec, {
      parentRefs: [{ name: 'public', kind: 'Gateway', sectionName: 'http' }],
      hostnames: ['shop.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'Exact', value: '/.well-known/acme-challenge/tok-1' } }],
          backendRefs: [{ group: '', kind: 'Service', name: 'cm-acme-http-solver-x', namespace: 'shop', port: 8089, weight: 1 }],
        },
      ],
    });
  });
  it('an IP identifier gets no hostnames (HTTPRoute hostnames cannot be IPs)', () => {
    assert.equal(httpRouteSpec(challenge('192.0.2.1', { parentRefs: [{ name: 'public', kind: 'Gateway' }] }), 's', 8089).hostnames, undefined);
  });
  it('no parentRefs at all is a solver configuration error naming both ways to give one', () => {
    assert.throws(
      () => httpRouteSpec(challenge('a.example.com', {}), 's', 8089),
      (e: Error) => e instanceof SolverConfigError && /no parentRefs.*http01-parentrefkind/.test(e.message),
    );
  });
});

describe("the Certificate's parent-ref annotations (set by the gateway shim) on the Challenge's solver", () => {
  const order = (annotations: Record<string, string>): Order =>
    ({
      apiVersion: 'acme.cert-manager.io/v1',
      kind: 'Order',
      metadata: { name: 'o', namespace: 'shop', uid: 'o1', annotations },
      spec: { request: '', issuerRef: { name: 'le' } },
    }) as unknown as Order;
  const authz: ACMEAuthorization = {
    url: 'https://ca/authz/1',
    identifier: 'shop.example.com',
    challenges: [{ type: 'http-01', url: 'https://ca/ch/1', token: 't' }],
  } as ACMEAuthorization;
  const solve = (parentRefs: unknown[], annotations: Record<string, string>) =>
    buildChallenge(
      order(annotations),
      authz,
      { solver: { http01: { gatewayHTTPRoute: { parentRefs } } } as ACMEChallengeSolver, type: 'HTTP-01', index: 0 },
      'key',
    ).spec.solver.http01?.gatewayHTTPRoute?.parentRefs;
  const shim = { 'acme.cert-manager.io/http01-parentrefkind': 'Gateway', 'acme.cert-manager.io/http01-parentrefname': 'public' };

  it("adds the Gateway, in the Order's namespace, to the issuer's parentRefs", () => {
    assert.deepEqual(solve([{ name: 'internal', kind: 'Gateway', namespace: 'infra' }], shim), [
      { name: 'internal', kind: 'Gateway', namespace: 'infra' },
      { name: 'public', namespace: 'shop', kind: 'Gateway' },
    ]);
  });
  it('replaces an issuer parentRef to the same Gateway, and honours -parentrefnamespace', () => {
    assert.deepEqual(
      solve([{ name: 'public', namespace: 'edge', sectionName: 'http' }], { ...shim, 'acme.cert-manager.io/http01-parentrefnamespace': 'edge' }),
      [{ name: 'public', namespace: 'edge', kind: 'Gateway' }],
    );
  });
  it("without both annotations the issuer's parentRefs stay as they are", () => {
    assert.deepEqual(solve([{ name: 'internal', kind: 'Gateway' }], { 'acme.cert-manager.io/http01-parentrefname': 'public' }), [
      { name: 'internal', kind: 'Gateway' },
    ]);
  });
});
