// The serviceaccounts/<name>/token subresource (TokenRequest) and TokenReview, as kube-apiserver
// serves them: a bound token for the audiences asked for, expiring as asked, that the API server
// itself accepts only when it is one of the audiences; 404 for a missing ServiceAccount, 403
// without RBAC's create on serviceaccounts/token, 422 below ten minutes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, type EmbeddedApiServer } from './index.ts';
import { clientFor, grantRole } from '../fixtures.ts';
import { KubeApiError, KubeClient, KubeConfig } from '../../lib/kube/client.ts';

let server: EmbeddedApiServer;
let admin: KubeClient;
const NS = 'default';
const tokenPath = (name: string) => `/api/v1/namespaces/${NS}/serviceaccounts/${name}/token`;
const requestToken = (client: KubeClient, name: string, spec: Record<string, unknown>) =>
  client.request('POST', tokenPath(name), { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec } });
const review = async (token: string, audiences?: string[]) =>
  (
    await admin.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } },
    })
  ).status;
/** A client presenting `token`, as a pod with that projected token would. */
const bearer = (token: string) => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'embedded', server: server.url, caData: Buffer.from(server.caPem).toString('base64') }],
    users: [{ name: 'bearer', token }],
    contexts: [{ name: 'embedded', cluster: 'embedded', user: 'bearer' }],
    currentContext: 'embedded',
  });
  return new KubeClient(kc, 'token-request-test');
};
const statusOf = (work: Promise<unknown>) =>
  work.then(
    () => 200,
    (e: unknown) => (e instanceof KubeApiError ? e.statusCode : Promise.reject(e)),
  );

before(async () => {
  server = await startApiServer({ crdDir: null, rbac: true });
  admin = clientFor(server.kubeconfigPath);
  for (const name of ['route53', 'other', 'requester'])
    await admin.request('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } });
});
after(async () => {
  await server?.stop();
});

test('a TokenRequest for an audience: 201 with the token and its expiry; the token is for that audience, not for the API server', async () => {
  const before = Date.now();
  const answer = await requestToken(admin, 'route53', { audiences: ['sts.amazonaws.com'], expirationSeconds: 600 });
  assert.equal(answer.kind, 'TokenRequest');
  assert.deepEqual(answer.spec.audiences, ['sts.amazonaws.com']);
  assert.equal(answer.spec.expirationSeconds, 600);
  const token: string = answer.status.token;
  assert.ok(token.length > 20);
  const expires = Date.parse(answer.status.expirationTimestamp);
  assert.ok(expires >= before + 599_000 && expires <= Date.now() + 601_000, answer.status.expirationTimestamp);

  const forSts = await review(token, ['sts.amazonaws.com']);
  assert.equal(forSts.authenticated, true);
  assert.equal(forSts.user.username, 'system:serviceaccount:default:route53');
  assert.deepEqual(forSts.audiences, ['sts.amazonaws.com']);
  assert.equal((await review(token)).authenticated, undefined, 'not valid for the API server audience');
  assert.equal((await review(token, ['vault://default/x'])).authenticated, undefined);
  assert.equal((await review('not-a-token', ['sts.amazonaws.com'])).authenticated, undefined);
  assert.equal(await statusOf(bearer(token).request('GET', `/api/v1/namespaces/${NS}/serviceaccounts`)), 401, 'the API server refuses it');
});

test('without audiences the token is for the API server and authenticates as the ServiceAccount', async () => {
  const answer = await requestToken(admin, 'other', {});
  assert.equal(answer.spec.expirationSeconds, 3600);
  const forApi = await review(answer.status.token);
  assert.equal(forApi.authenticated, true);
  assert.equal(forApi.user.username, 'system:serviceaccount:default:other');
  assert.equal(
    await statusOf(bearer(answer.status.token).request('GET', `/api/v1/namespaces/${NS}/serviceaccounts`)),
    403,
    'authenticated (RBAC grants nothing)',
  );
});

test('a missing ServiceAccount is 404, less than ten minutes 422, no RBAC grant 403', async () => {
  await assert.rejects(requestToken(admin, 'missing', { audiences: ['sts.amazonaws.com'] }), (e: KubeApiError) => {
    assert.equal(e.statusCode, 404);
    assert.equal(e.message, 'serviceaccounts "missing" not found');
    return true;
  });
  await assert.rejects(requestToken(admin, 'route53', { expirationSeconds: 599 }), (e: KubeApiError) => {
    assert.equal(e.statusCode, 422);
    assert.match(e.message, /spec\.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes/);
    return true;
  });

  const requester = clientFor(await server.kubeconfigFor(NS, 'requester'));
  await assert.rejects(requestToken(requester, 'route53', {}), (e: KubeApiError) => {
    assert.equal(e.statusCode, 403);
    assert.match(
      e.message,
      /User "system:serviceaccount:default:requester" cannot create resource "serviceaccounts\/token" in API group "" in the namespace "default"/,
    );
    return true;
  });
  await grantRole(admin, NS, 'route53-tokens', 'requester', [
    { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'], resourceNames: ['route53'] },
  ]);
  assert.equal(await statusOf(requestToken(requester, 'route53', { audiences: ['sts.amazonaws.com'] })), 200);
  assert.equal(await statusOf(requestToken(requester, 'other', {})), 403, 'the Role names one ServiceAccount');
});
