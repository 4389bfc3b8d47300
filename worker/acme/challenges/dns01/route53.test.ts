// Contract test of the Route53 provider: the official AWS SDK (and STS for role assumption)
// against a local HTTPS server implementing the REST-XML calls it makes (ListHostedZonesByName,
// ListResourceRecordSets, ChangeResourceRecordSets, GetChange, STS AssumeRole). Like AWS, the fake
// checks each SigV4 signature against the secret key it knows for the access key id (a wrong
// secret is SignatureDoesNotMatch), and the session token of an assumed role; it asserts on the
// change batches and answers with AWS's error documents (invalid token, no such hosted zone,
// throttling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contextWith, rejectsAsProviderError, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { route53Provider } from './route53.ts';
import { Dns01ProviderError } from './provider.ts';
import { KEY_ID, SECRET, ROLE, ZONE_ID, rrsets, changes, awsError, credentialOf, aws, reset } from '../../../../test/services/dns01-fakes/route53.ts';

const fake = useFakeApi(aws, reset);

const staticSolver = (extra: Record<string, unknown> = {}) => ({
  route53: { region: 'eu-west-1', accessKeyIDSecretRef: { name: 'aws', key: 'id' }, secretAccessKeySecretRef: { name: 'aws', key: 'secret' }, ...extra },
});
const staticCtx = () => contextWith({ aws: { id: KEY_ID, secret: SECRET } }, fake.api);
const apex = txtRequest('_acme-challenge.example.com.', 'example.com.', 'apex-value');
const wildcard = txtRequest('_acme-challenge.example.com.', 'example.com.', 'wildcard-value');

test('static keys: zone found by name, values added to and removed from one RRset, change waited for', async () => {
  const provider = await route53Provider(staticSolver(), staticCtx());
  await provider.present(apex);
  await provider.present(wildcard);
  await provider.present(apex); // already there: no change
  assert.deepEqual(rrsets.get('_acme-challenge.example.com.'), ['"apex-value"', '"wildcard-value"']);
  assert.deepEqual(
    changes.map((c) => [c.action, c.name, c.ttl, c.values.length]),
    [
      ['UPSERT', '_acme-challenge.example.com.', '10', 1],
      ['UPSERT', '_acme-challenge.example.com.', '10', 2],
    ],
  );

  const first = fake.requests[0];
  assert.equal(first.path, '/2013-04-01/hostedzonesbyname');
  assert.equal(first.query.get('dnsname'), 'example.com.');
  for (const r of fake.requests)
    assert.match(
      String(r.headers.authorization),
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY_ID}/\\d{8}/eu-west-1/route53/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$`),
    );
  assert.ok(!JSON.stringify(fake.requests.map((r) => r.headers)).includes(SECRET), 'the secret key is never sent');
  const post = fake.requests.find((r) => r.method === 'POST')!;
  assert.equal(post.path, `/2013-04-01/hostedzone/${ZONE_ID}/rrset`);
  assert.match(post.body, /<Comment>certgate DNS-01 challenge<\/Comment>/);
  assert.ok(
    fake.requests.some((r) => r.path === '/2013-04-01/change/C2682N5HXP0BZ4'),
    'the change status was polled until INSYNC',
  );

  await provider.cleanUp(apex);
  assert.deepEqual(rrsets.get('_acme-challenge.example.com.'), ['"wildcard-value"'], 'the wildcard value stays');
  await provider.cleanUp(apex); // harmless
  await provider.cleanUp(wildcard);
  assert.equal(rrsets.has('_acme-challenge.example.com.'), false, 'the last value deletes the set');
  assert.equal(changes.at(-1)!.action, 'DELETE');
  assert.deepEqual(rrsets.get('other.example.com.'), ['"unrelated"']);
});

test('hostedZoneID skips the lookup; a wrong one is NoSuchHostedZone', async () => {
  const provider = await route53Provider(staticSolver({ hostedZoneID: ZONE_ID }), staticCtx());
  await provider.present(apex);
  assert.ok(!fake.requests.some((r) => r.path.includes('hostedzonesbyname')));
  const wrong = await route53Provider(staticSolver({ hostedZoneID: 'ZNOPE' }), staticCtx());
  await assert.rejects(wrong.present(apex), /hosted zone not found \(NoSuchHostedZone: No hosted zone found with ID: ZNOPE\); check hostedZoneID/);
});

test('role assumption: STS AssumeRole signed with the static keys, Route53 called with the temporary ones', async () => {
  const provider = await route53Provider(staticSolver({ role: ROLE }), staticCtx());
  await provider.present(apex);
  const sts = fake.requests.find((r) => r.path === '/')!;
  const form = new URLSearchParams(sts.body);
  assert.equal(form.get('RoleArn'), ROLE);
  assert.equal(form.get('RoleSessionName'), 'certgate-dns01');
  assert.match(String(sts.headers.authorization), new RegExp(`Credential=${KEY_ID}/\\d{8}/eu-west-1/sts/aws4_request`));
  const route53Calls = fake.requests.filter((r) => r.path.startsWith('/2013-04-01/'));
  assert.ok(
    route53Calls.length > 0 && route53Calls.every((r) => credentialOf(r) === 'ASIATEMPORARY' && r.headers['x-amz-security-token'] === 'session-token-1'),
  );
});

test('ambient credentials from the environment for ClusterIssuers only', async () => {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
  try {
    await assert.rejects(
      route53Provider({ route53: { region: 'eu-west-1' } }, contextWith({}, fake.api)),
      /ambient credentials \(the pod's AWS identity\) are only used for ClusterIssuers/,
    );
    const provider = await route53Provider({ route53: { region: 'eu-west-1' } }, { ...contextWith({}, fake.api), allowAmbientCredentials: true });
    await provider.present(apex);
    assert.ok(
      fake.requests.every((r) => credentialOf(r) === KEY_ID),
      'the default chain found the environment keys',
    );
  } finally {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  }
});

test('an unknown key id, or the right one with a wrong secret, is a configuration error naming what to check, without the secret', async () => {
  const unknown = await route53Provider(staticSolver(), contextWith({ aws: { id: 'AKIAWRONGWRONGWRONG0', secret: SECRET } }, fake.api));
  await rejectsAsProviderError(unknown.present(apex), {
    retryable: false,
    message: /AWS refused the credentials or their permissions \(InvalidClientTokenId: The security token included in the request is invalid\.\)/,
    secrets: [SECRET],
  });
  const wrongSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGSECRET';
  const mismatched = await route53Provider(staticSolver(), contextWith({ aws: { id: KEY_ID, secret: wrongSecret } }, fake.api));
  await rejectsAsProviderError(mismatched.present(apex), {
    retryable: false,
    message: /AWS refused the credentials or their permissions \(SignatureDoesNotMatch: The request signature we calculated does not match/,
    secrets: [wrongSecret],
  });
  assert.equal(changes.length, 0, 'nothing was changed with a bad signature');
});

test('a zone not in the account, and throttling (retried by the SDK, then retryable)', async () => {
  const provider = await route53Provider(staticSolver(), staticCtx());
  await assert.rejects(
    provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')),
    /no hosted zone named example\.org\. in this AWS account/,
  );
  fake.force(() => awsError(400, 'Throttling', 'Rate exceeded'));
  fake.requests.length = 0;
  await assert.rejects(
    provider.present(apex),
    (err: unknown) => err instanceof Dns01ProviderError && err.retryable && /rate limit reached \(Throttling: Rate exceeded\)/.test(err.message),
  );
  assert.equal(fake.requests.length, 3, 'maxAttempts 3');
});

test('configuration errors name the field', async () => {
  await assert.rejects(route53Provider({ route53: { accessKeyID: KEY_ID } }, staticCtx()), /accessKeyID needs secretAccessKeySecretRef/);
  await assert.rejects(
    route53Provider({ route53: { accessKeyID: KEY_ID, secretAccessKeySecretRef: { name: 'nope', key: 'secret' } } }, staticCtx()),
    /secretAccessKeySecretRef: Secret shop\/nope not found/,
  );
});
