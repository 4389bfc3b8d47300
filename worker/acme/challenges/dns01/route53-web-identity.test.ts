// Route53 with auth.kubernetes.serviceAccountRef against the embedded API server (RBAC on) and the
// AWS fake: the worker, as its own ServiceAccount, asks the TokenRequest API for a token of the
// named ServiceAccount in the issuer's namespace; the fake STS takes it with
// AssumeRoleWithWebIdentity only when the API server's TokenReview says it is that ServiceAccount's
// for sts.amazonaws.com and the role trusts it; Route53 is then called with the temporary keys.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type EmbeddedApiServer } from '../../../../test/apiserver/index.ts';
import { clientFor, grantRole } from '../../../../test/fixtures.ts';
import { rejectsAsProviderError, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import {
  aws,
  changes,
  credentialOf,
  reset,
  rrsets,
  trustIdentityProvider,
  TRUSTED_SUBJECT,
  WEB_IDENTITY_ROLE,
  webIdentityCalls,
} from '../../../../test/services/dns01-fakes/route53.ts';
import type { KubeClient } from '../../../../lib/kube/client.ts';
import type { ProviderContext } from './provider.ts';
import { route53Provider } from './route53.ts';

const fake = useFakeApi(aws, reset);
const NS = 'shop';
const SA = 'route53-dns';
let server: EmbeddedApiServer;
let admin: KubeClient;
let worker: KubeClient; // the certgate worker's own identity

before(async () => {
  server = await startApiServer({ crdDir: null, rbac: true });
  admin = clientFor(server.kubeconfigPath);
  await admin.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  for (const name of [SA, 'untrusted', 'not-granted'])
    await admin.request('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } });
  // What the README tells users to create: the worker may request tokens for these ServiceAccounts only.
  await grantRole(admin, NS, 'certgate-route53-tokens', 'certgate', [
    { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'], resourceNames: [SA, 'untrusted', 'missing'] },
  ]);
  // grantRole binds a ServiceAccount of the Role's namespace: the worker runs as shop/certgate here
  worker = clientFor(await server.kubeconfigFor(NS, 'certgate'));
  trustIdentityProvider(async (token, audience) => {
    const review = await admin.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, audiences: [audience] } },
    });
    return review.status?.authenticated ? review.status.user.username : undefined;
  });
});
after(async () => {
  trustIdentityProvider(undefined);
  await server?.stop();
});

const solver = (serviceAccountRef: { name: string; audiences?: string[] }, extra: { role?: string } = {}) => ({
  route53: { region: 'eu-west-1', role: WEB_IDENTITY_ROLE, auth: { kubernetes: { serviceAccountRef } }, ...extra },
});
// An Issuer's context: no ambient credentials, as for any namespaced issuer
const issuerCtx = (): ProviderContext => ({
  client: worker,
  resourceNamespace: NS,
  allowAmbientCredentials: false,
  endpoint: { url: fake.api.url, caPem: fake.api.caPem },
});
const apex = txtRequest('_acme-challenge.example.com.', 'example.com.', 'apex-value');

test('an Issuer: the ServiceAccount token (audience sts.amazonaws.com) exchanged for the role, Route53 signed with the temporary keys', async () => {
  const provider = await route53Provider(solver({ name: SA }), issuerCtx());
  await provider.present(apex);
  assert.deepEqual(rrsets.get('_acme-challenge.example.com.'), ['"apex-value"']);
  assert.equal(webIdentityCalls.length, 1);
  const [call] = webIdentityCalls;
  assert.equal(call.roleArn, WEB_IDENTITY_ROLE);
  assert.equal(call.sessionName, 'certgate-dns01');
  assert.equal(call.subject, TRUSTED_SUBJECT, "the API server vouches for the token as shop/route53-dns's, for sts.amazonaws.com");
  const sts = fake.requests.filter((r) => r.path === '/');
  assert.equal(sts.length, 1);
  assert.equal(sts[0].headers.authorization, undefined, 'AssumeRoleWithWebIdentity is unsigned: no static or ambient keys are used');
  const route53Calls = fake.requests.filter((r) => r.path.startsWith('/2013-04-01/'));
  assert.ok(route53Calls.length >= 3);
  for (const r of route53Calls) {
    assert.equal(credentialOf(r), 'ASIAWEBIDENTITY');
    assert.equal(r.headers['x-amz-security-token'], 'session-token-web');
  }
  assert.ok(!JSON.stringify(route53Calls.map((r) => [r.headers, r.body])).includes(call.token), 'the token goes to STS only');
  await provider.cleanUp(apex);
  assert.equal(changes.at(-1)!.action, 'DELETE');
});

test('audiences replace sts.amazonaws.com: one that AWS does not accept is refused by STS, without the token in the message', async () => {
  const both = await route53Provider(solver({ name: SA, audiences: ['sts.amazonaws.com', 'https://example.com/other'] }), issuerCtx());
  await both.present(apex);
  const wrong = await route53Provider(solver({ name: SA, audiences: ['vault://shop/issuer'] }), issuerCtx());
  await rejectsAsProviderError(wrong.present(apex), {
    retryable: false,
    message:
      /^dns01\.route53: AWS STS refused the token of ServiceAccount shop\/route53-dns for role arn:aws:iam::123456789012:role\/dns-web-identity \(InvalidIdentityToken.*: Incorrect token audience\); check the role's trust policy \(the cluster's OIDC provider, subject system:serviceaccount:shop:route53-dns, audience vault:\/\/shop\/issuer\)/,
    secrets: webIdentityCalls.map((c) => c.token),
  });
  assert.equal(webIdentityCalls.at(-1)!.subject, undefined, 'the token was not valid for sts.amazonaws.com');
});

test('a ServiceAccount the role does not trust is AccessDenied; a missing one and one the worker may not request tokens for say so', async () => {
  const untrusted = await route53Provider(solver({ name: 'untrusted' }), issuerCtx());
  await rejectsAsProviderError(untrusted.present(apex), {
    retryable: false,
    message:
      /AWS STS refused the token of ServiceAccount shop\/untrusted for role .* \(AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity\)/,
    secrets: webIdentityCalls.map((c) => c.token),
  });
  const missing = await route53Provider(solver({ name: 'missing' }), issuerCtx());
  await rejectsAsProviderError(missing.present(apex), {
    retryable: false,
    message: /^dns01\.route53\.auth\.kubernetes\.serviceAccountRef: ServiceAccount shop\/missing not found; create it or fix the name$/,
  });
  const forbidden = await route53Provider(solver({ name: 'not-granted' }), issuerCtx());
  await rejectsAsProviderError(forbidden.present(apex), {
    retryable: false,
    message:
      /^dns01\.route53\.auth\.kubernetes\.serviceAccountRef: certgate may not request a token for ServiceAccount shop\/not-granted \(.*cannot create resource "serviceaccounts\/token".*\); grant the certgate worker's ServiceAccount "create" on serviceaccounts\/token for "not-granted" with a Role and RoleBinding in shop$/,
  });
  assert.equal(changes.length, 0, 'nothing was changed');
});

test('role is required with serviceAccountRef', async () => {
  await rejectsAsProviderError(route53Provider(solver({ name: SA }, { role: undefined }), issuerCtx()), {
    retryable: false,
    message: /dns01\.route53\.role: the ARN of the role to assume is required with dns01\.route53\.auth\.kubernetes\.serviceAccountRef/,
  });
});
