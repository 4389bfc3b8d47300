// cert-manager's Order and Challenge validation tables (internal/apis/acme/validation/order_test.go,
// challenge_test.go), carried over as inputs and outcomes. cert-manager's webhook refuses edits to an
// Order's request and ACME URLs and to a Challenge's spec. certgate's webhook does not see Orders and
// Challenges at all (documented rule "controller-owned-objects", README "Migrating from cert-manager"):
// only certgate's worker writes them, and putting every one of its status writes behind an admission
// call would slow issuance for no user-facing check. Each case states this difference.
import { runParityTable, type ParityCase, type ParityTable } from './harness.test-data.ts';

const OWNED = {
  differs: {
    rule: 'controller-owned-objects' as const,
    why: 'Orders and Challenges are written only by the worker; certgate does not send them to its webhook',
  },
};
const order = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => ({
  apiVersion: 'acme.cert-manager.io/v1',
  kind: 'Order',
  metadata: { name: 'o', namespace: 'default' },
  spec: { request: Buffer.from('csr').toString('base64'), issuerRef: { name: 'name' }, ...spec },
  status,
});
const challenge = (url: string) => ({
  apiVersion: 'acme.cert-manager.io/v1',
  kind: 'Challenge',
  metadata: { name: 'c', namespace: 'default' },
  spec: {
    url,
    authorizationURL: 'https://ca/authz',
    dnsName: 'example.com',
    type: 'HTTP-01',
    token: 't',
    key: 'k',
    solver: { http01: { ingress: {} } },
    issuerRef: { name: 'name' },
  },
});

/** cert-manager's testImmutableOrderField: a set field may not change, an unset one may be set. */
function immutable(field: string, one: Record<string, unknown>, two: Record<string, unknown>, none: Record<string, unknown>): ParityCase[] {
  return [
    { name: `should reject updates to ${field}`, object: order({}, two), old: order({}, one), certManager: 'refused', ...OWNED },
    { name: `should allow updates to ${field} if not already set`, object: order({}, one), old: order({}, none), certManager: 'accepted' },
  ];
}
const authz = (a: Record<string, unknown>) => ({ authorizations: [{ url: 'https://ca/authz', identifier: 'example.com', initialState: 'pending', ...a }] });
const chal = (c: Record<string, unknown>) => authz({ challenges: [{ url: 'u', token: 't', type: 'http-01', ...c }] });

export const acmeTable: ParityTable = {
  source: 'acme/validation',
  cases: [
    {
      name: 'should reject updates to spec.request',
      object: order({ request: Buffer.from('two').toString('base64') }),
      old: order({ request: Buffer.from('one').toString('base64') }),
      certManager: 'refused',
      ...OWNED,
    },
    {
      name: 'should allow updates to spec.request if not already set',
      object: order({ request: Buffer.from('one').toString('base64') }),
      old: order({ request: undefined }),
      certManager: 'accepted',
    },
    ...immutable('status.url', { url: 'one' }, { url: 'two' }, {}),
    ...immutable('status.finalizeURL', { finalizeURL: 'one' }, { finalizeURL: 'two' }, {}),
    ...immutable('status.certificate', { certificate: Buffer.from('one').toString('base64') }, { certificate: Buffer.from('two').toString('base64') }, {}),
    ...immutable(
      'status.authorizations',
      { authorizations: [{ url: 'a', identifier: 'x', initialState: 'pending' }] },
      {
        authorizations: [
          { url: 'a', identifier: 'x', initialState: 'pending' },
          { url: 'b', identifier: 'y', initialState: 'pending' },
        ],
      },
      { authorizations: [] },
    ),
    ...immutable('status.authorizations[0].url', authz({ url: 'one' }), authz({ url: 'two' }), authz({ url: '' })),
    ...immutable('status.authorizations[0].identifier', authz({ identifier: 'one' }), authz({ identifier: 'two' }), authz({ identifier: '' })),
    ...immutable('status.authorizations[0].wildcard', authz({ wildcard: false }), authz({ wildcard: true }), authz({})),
    ...immutable('status.authorizations[0].challenges[0].url', chal({ url: 'one' }), chal({ url: 'two' }), chal({ url: '' })),
    ...immutable('status.authorizations[0].challenges[0].token', chal({ token: 'one' }), chal({ token: 'two' }), chal({ token: '' })),
    ...immutable('status.authorizations[0].challenges[0].type', chal({ type: 'one' }), chal({ type: 'two' }), chal({ type: '' })),
    ...immutable(
      'status.authorizations[0].challenges',
      authz({ challenges: [{ url: 'u', token: 't', type: 'http-01' }] }),
      authz({
        challenges: [
          { url: 'u', token: 't', type: 'http-01' },
          { url: 'v', token: 't', type: 'dns-01' },
        ],
      }),
      authz({ challenges: [] }),
    ),
    { name: 'allows all updates if old is nil', object: order({ request: Buffer.from('testing').toString('base64') }), certManager: 'accepted' },
    // challenge_test.go
    { name: 'allows setting challenge spec for the first time', object: challenge('testurl'), certManager: 'accepted' },
    { name: 'disallow updating challenge spec', object: challenge('newtesturl'), old: challenge('testurl'), certManager: 'refused', ...OWNED },
    { name: 'allow updating challenge spec if no changes are made', object: challenge('testurl'), old: challenge('testurl'), certManager: 'accepted' },
  ],
};

runParityTable(acmeTable);
