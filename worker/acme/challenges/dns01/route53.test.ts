// Contract test of the Route53 provider: the official AWS SDK (and STS for role assumption)
// against a local HTTPS server implementing the REST-XML calls it makes (ListHostedZonesByName,
// ListResourceRecordSets, ChangeResourceRecordSets, GetChange, STS AssumeRole). Like AWS, the fake
// checks each SigV4 signature against the secret key it knows for the access key id (a wrong
// secret is SignatureDoesNotMatch), and the session token of an assumed role; it asserts on the
// change batches and answers with AWS's error documents (invalid token, no such hosted zone,
// throttling).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeRequest, FakeResponse } from '../../../../test/services/fake-api.ts';
import { checkSigV4, type AwsKey } from '../../../../test/services/aws-sigv4.ts';
import { contextWith, rejectsAsProviderError, txtRequest, useFakeApi } from '../../../../test/services/dns01-contract.ts';
import { route53Provider } from './route53.ts';
import { Dns01ProviderError } from './provider.ts';

const NS_XML = 'https://route53.amazonaws.com/doc/2013-04-01/';
const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ROLE = 'arn:aws:iam::123456789012:role/dns-editor';
const ZONE_ID = 'Z1PA6795UKMFR9';

/** The keys this fake AWS account knows: the user's, and the temporary ones AssumeRole hands out. */
const KEYS: Record<string, AwsKey> = { [KEY_ID]: { secretAccessKey: SECRET }, ASIATEMPORARY: { secretAccessKey: 'temporary-secret', sessionToken: 'session-token-1' } };
const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

let rrsets: Map<string, string[]>; // name -> quoted values
let changes: Array<{ action: string; name: string; ttl: string; values: string[] }>;

const xml = (body: string, status = 200): FakeResponse => ({ status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-1' }, body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}` });
const awsError = (status: number, code: string, message: string, ns = NS_XML) =>
  xml(`<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`, status);
const tags = (body: string, tag: string) => [...body.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1].replace(/&quot;/g, '"'));
const credentialOf = (req: FakeRequest) => /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];

async function aws(req: FakeRequest): Promise<FakeResponse> {
  const sts = req.method === 'POST' && req.path === '/';
  const ns = sts ? 'https://sts.amazonaws.com/doc/2011-06-15/' : NS_XML;
  const refused = await checkSigV4(req, sts ? { [KEY_ID]: KEYS[KEY_ID] } : KEYS);
  if (refused === 'SignatureDoesNotMatch') return awsError(403, refused, SIGNATURE_MISMATCH, ns);
  if (refused) return awsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.', ns);
  if (sts) {
    const form = new URLSearchParams(req.body);
    assert.equal(form.get('Action'), 'AssumeRole');
    return xml(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIATEMPORARY</AccessKeyId><SecretAccessKey>temporary-secret</SecretAccessKey><SessionToken>session-token-1</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>${form.get('RoleArn')}/${form.get('RoleSessionName')}</Arn><AssumedRoleId>AROA:${form.get('RoleSessionName')}</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></AssumeRoleResponse>`);
  }
  if (req.method === 'GET' && req.path === '/2013-04-01/hostedzonesbyname') {
    const zones = [`<HostedZone><Id>/hostedzone/${ZONE_ID}</Id><Name>example.com.</Name><CallerReference>ref</CallerReference><Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>`].filter(() => req.query.get('dnsname') === 'example.com.');
    return xml(`<ListHostedZonesByNameResponse xmlns="${NS_XML}"><HostedZones>${zones.join('')}</HostedZones><DNSName>${req.query.get('dnsname')}</DNSName><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesByNameResponse>`);
  }
  const m = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(req.path);
  if (m && m[1] !== ZONE_ID) return awsError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${m[1]}`);
  if (m && req.method === 'GET') {
    // the first set at or after the start name, as Route53 lists them
    const start = req.query.get('name') ?? '';
    const next = [...rrsets.keys()].sort().find((n) => n >= start);
    const set = next ? `<ResourceRecordSet><Name>${next}</Name><Type>TXT</Type><TTL>10</TTL><ResourceRecords>${rrsets.get(next)!.map((v) => `<ResourceRecord><Value>${v}</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet>` : '';
    return xml(`<ListResourceRecordSetsResponse xmlns="${NS_XML}"><ResourceRecordSets>${set}</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>`);
  }
  if (m && req.method === 'POST') {
    const [action] = tags(req.body, 'Action');
    const [name] = tags(req.body, 'Name');
    const [ttl] = tags(req.body, 'TTL');
    const values = tags(req.body, 'Value');
    if (action === 'DELETE' && JSON.stringify(rrsets.get(name)) !== JSON.stringify(values)) return awsError(400, 'InvalidChangeBatch', `[Tried to delete resource record set [name='${name}', type='TXT'] but the values provided do not match the current values]`);
    changes.push({ action, name, ttl, values });
    if (action === 'DELETE') rrsets.delete(name);
    else rrsets.set(name, values);
    return xml(`<ChangeResourceRecordSetsResponse xmlns="${NS_XML}"><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING</Status><SubmittedAt>2026-12-07T12:00:00.000Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`);
  }
  if (req.method === 'GET' && req.path === '/2013-04-01/change/C2682N5HXP0BZ4') {
    return xml(`<GetChangeResponse xmlns="${NS_XML}"><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>INSYNC</Status><SubmittedAt>2026-12-07T12:00:00.000Z</SubmittedAt></ChangeInfo></GetChangeResponse>`);
  }
  return awsError(404, 'UnknownOperationException', `${req.method} ${req.path}`);
}

const fake = useFakeApi(aws, () => {
  rrsets = new Map([['other.example.com.', ['"unrelated"']]]);
  changes = [];
});

const staticSolver = (extra: Record<string, unknown> = {}) => ({ route53: { region: 'eu-west-1', accessKeyIDSecretRef: { name: 'aws', key: 'id' }, secretAccessKeySecretRef: { name: 'aws', key: 'secret' }, ...extra } });
const staticCtx = () => contextWith({ aws: { id: KEY_ID, secret: SECRET } }, fake.api);
const apex = txtRequest('_acme-challenge.example.com.', 'example.com.', 'apex-value');
const wildcard = txtRequest('_acme-challenge.example.com.', 'example.com.', 'wildcard-value');

test('static keys: zone found by name, values added to and removed from one RRset, change waited for', async () => {
  const provider = await route53Provider(staticSolver(), staticCtx());
  await provider.present(apex);
  await provider.present(wildcard);
  await provider.present(apex); // already there: no change
  assert.deepEqual(rrsets.get('_acme-challenge.example.com.'), ['"apex-value"', '"wildcard-value"']);
  assert.deepEqual(changes.map((c) => [c.action, c.name, c.ttl, c.values.length]), [['UPSERT', '_acme-challenge.example.com.', '10', 1], ['UPSERT', '_acme-challenge.example.com.', '10', 2]]);

  const first = fake.requests[0];
  assert.equal(first.path, '/2013-04-01/hostedzonesbyname');
  assert.equal(first.query.get('dnsname'), 'example.com.');
  for (const r of fake.requests) assert.match(String(r.headers.authorization), new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY_ID}/\\d{8}/eu-west-1/route53/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$`));
  assert.ok(!JSON.stringify(fake.requests.map((r) => r.headers)).includes(SECRET), 'the secret key is never sent');
  const post = fake.requests.find((r) => r.method === 'POST')!;
  assert.equal(post.path, `/2013-04-01/hostedzone/${ZONE_ID}/rrset`);
  assert.match(post.body, /<Comment>certgate DNS-01 challenge<\/Comment>/);
  assert.ok(fake.requests.some((r) => r.path === '/2013-04-01/change/C2682N5HXP0BZ4'), 'the change status was polled until INSYNC');

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
  assert.ok(route53Calls.length > 0 && route53Calls.every((r) => credentialOf(r) === 'ASIATEMPORARY' && r.headers['x-amz-security-token'] === 'session-token-1'));
});

test('ambient credentials from the environment for ClusterIssuers only', async () => {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET;
  try {
    await assert.rejects(route53Provider({ route53: { region: 'eu-west-1' } }, contextWith({}, fake.api)), /ambient credentials \(the pod's AWS identity\) are only used for ClusterIssuers/);
    const provider = await route53Provider({ route53: { region: 'eu-west-1' } }, { ...contextWith({}, fake.api), allowAmbientCredentials: true });
    await provider.present(apex);
    assert.ok(fake.requests.every((r) => credentialOf(r) === KEY_ID), 'the default chain found the environment keys');
  } finally {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  }
});

test('an unknown key id, or the right one with a wrong secret, is a configuration error naming what to check, without the secret', async () => {
  const unknown = await route53Provider(staticSolver(), contextWith({ aws: { id: 'AKIAWRONGWRONGWRONG0', secret: SECRET } }, fake.api));
  await rejectsAsProviderError(unknown.present(apex), { retryable: false, message: /AWS refused the credentials or their permissions \(InvalidClientTokenId: The security token included in the request is invalid\.\)/, secrets: [SECRET] });
  const wrongSecret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGSECRET';
  const mismatched = await route53Provider(staticSolver(), contextWith({ aws: { id: KEY_ID, secret: wrongSecret } }, fake.api));
  await rejectsAsProviderError(mismatched.present(apex), { retryable: false, message: /AWS refused the credentials or their permissions \(SignatureDoesNotMatch: The request signature we calculated does not match/, secrets: [wrongSecret] });
  assert.equal(changes.length, 0, 'nothing was changed with a bad signature');
});

test('a zone not in the account, and throttling (retried by the SDK, then retryable)', async () => {
  const provider = await route53Provider(staticSolver(), staticCtx());
  await assert.rejects(provider.present(txtRequest('_acme-challenge.example.org.', 'example.org.', 'v')), /no hosted zone named example\.org\. in this AWS account/);
  fake.force(() => awsError(400, 'Throttling', 'Rate exceeded'));
  fake.requests.length = 0;
  await assert.rejects(provider.present(apex), (err: unknown) => err instanceof Dns01ProviderError && err.retryable && /rate limit reached \(Throttling: Rate exceeded\)/.test(err.message));
  assert.equal(fake.requests.length, 3, 'maxAttempts 3');
});

test('configuration errors name the field', async () => {
  await assert.rejects(route53Provider({ route53: { accessKeyID: KEY_ID } }, staticCtx()), /accessKeyID needs secretAccessKeySecretRef/);
  await assert.rejects(route53Provider({ route53: { accessKeyID: KEY_ID, secretAccessKeySecretRef: { name: 'nope', key: 'secret' } } }, staticCtx()), /secretAccessKeySecretRef: Secret shop\/nope not found/);
});
