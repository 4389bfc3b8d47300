// Fake of AWS Route53 REST-XML (ListHostedZonesByName, ListResourceRecordSets, ChangeResourceRecordSets, GetChange) and STS AssumeRole, checking SigV4 signatures as AWS does,
// and STS AssumeRoleWithWebIdentity (unsigned, as AWS takes it), which checks the token with the identity provider a test trusts (the API server's TokenReview) and the role's trust policy.
// Shared by the provider's contract test and the DNS-01 secrecy e2e; state is per module, reset() refills it.
import assert from 'node:assert/strict';
import type { FakeRequest, FakeResponse } from '../fake-api.ts';
import { checkSigV4, type AwsKey } from '../aws-sigv4.ts';

const NS_XML = 'https://route53.amazonaws.com/doc/2013-04-01/';
export const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const ROLE = 'arn:aws:iam::123456789012:role/dns-editor';
export const ZONE_ID = 'Z1PA6795UKMFR9';
/** A role whose trust policy admits one Kubernetes ServiceAccount's tokens for the audience sts.amazonaws.com. */
export const WEB_IDENTITY_ROLE = 'arn:aws:iam::123456789012:role/dns-web-identity';
export const TRUSTED_SUBJECT = 'system:serviceaccount:shop:route53-dns';
/** Subjects WEB_IDENTITY_ROLE's trust policy admits (an e2e run adds the ServiceAccount of its own namespace). */
export const trustedSubjects = new Set([TRUSTED_SUBJECT]);
const STS_AUDIENCE = 'sts.amazonaws.com';

/** The keys this fake AWS account knows: the user's, and the temporary ones AssumeRole hands out. */
const KEYS: Record<string, AwsKey> = {
  [KEY_ID]: { secretAccessKey: SECRET },
  ASIATEMPORARY: { secretAccessKey: 'temporary-secret', sessionToken: 'session-token-1' },
  ASIAWEBIDENTITY: { secretAccessKey: 'web-identity-secret', sessionToken: 'session-token-web' },
};
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/**
 * The OIDC identity provider registered in the fake account: who a token belongs to for an
 * audience, or undefined (tests pass the API server's TokenReview). Unset: every token is invalid.
 */
let identityProvider: ((token: string, audience: string) => Promise<string | undefined>) | undefined;
export const trustIdentityProvider = (review: typeof identityProvider) => {
  identityProvider = review;
};
/** The AssumeRoleWithWebIdentity calls the fake answered, with the token it was given. */
export let webIdentityCalls: Array<{ roleArn: string; sessionName: string; token: string; subject?: string }>;
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export let rrsets: Map<string, string[]>; // name -> quoted values
export let changes: Array<{ action: string; name: string; ttl: string; values: string[] }>;

const xml = (body: string, status = 200): FakeResponse => ({
  status,
  headers: { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-1' },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});
export const awsError = (status: number, code: string, message: string, ns = NS_XML) =>
  xml(
    `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
    status,
  );
const tags = (body: string, tag: string) => [...body.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1].replace(/&quot;/g, '"'));
export const credentialOf = (req: FakeRequest) => /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];

export async function aws(req: FakeRequest): Promise<FakeResponse> {
  const sts = req.method === 'POST' && req.path === '/';
  if (sts && new URLSearchParams(req.body).get('Action') === 'AssumeRoleWithWebIdentity') return assumeRoleWithWebIdentity(new URLSearchParams(req.body));
  const ns = sts ? STS_NS : NS_XML;
  const refused = await checkSigV4(req, sts ? { [KEY_ID]: KEYS[KEY_ID] } : KEYS);
  if (refused === 'SignatureDoesNotMatch') return awsError(403, refused, SIGNATURE_MISMATCH, ns);
  if (refused) return awsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.', ns);
  if (sts) {
    const form = new URLSearchParams(req.body);
    assert.equal(form.get('Action'), 'AssumeRole');
    return xml(
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIATEMPORARY</AccessKeyId><SecretAccessKey>temporary-secret</SecretAccessKey><SessionToken>session-token-1</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>${form.get('RoleArn')}/${form.get('RoleSessionName')}</Arn><AssumedRoleId>AROA:${form.get('RoleSessionName')}</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }
  if (req.method === 'GET' && req.path === '/2013-04-01/hostedzonesbyname') {
    const zones = [
      `<HostedZone><Id>/hostedzone/${ZONE_ID}</Id><Name>example.com.</Name><CallerReference>ref</CallerReference><Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>`,
    ].filter(() => req.query.get('dnsname') === 'example.com.');
    return xml(
      `<ListHostedZonesByNameResponse xmlns="${NS_XML}"><HostedZones>${zones.join('')}</HostedZones><DNSName>${req.query.get('dnsname')}</DNSName><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesByNameResponse>`,
    );
  }
  const m = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(req.path);
  if (m && m[1] !== ZONE_ID) return awsError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${m[1]}`);
  if (m && req.method === 'GET') {
    // the first set at or after the start name, as Route53 lists them
    const start = req.query.get('name') ?? '';
    const next = [...rrsets.keys()].sort().find((n) => n >= start);
    const set = next
      ? `<ResourceRecordSet><Name>${next}</Name><Type>TXT</Type><TTL>10</TTL><ResourceRecords>${rrsets
          .get(next)!
          .map((v) => `<ResourceRecord><Value>${v}</Value></ResourceRecord>`)
          .join('')}</ResourceRecords></ResourceRecordSet>`
      : '';
    return xml(
      `<ListResourceRecordSetsResponse xmlns="${NS_XML}"><ResourceRecordSets>${set}</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>`,
    );
  }
  if (m && req.method === 'POST') {
    const [action] = tags(req.body, 'Action');
    const [name] = tags(req.body, 'Name');
    const [ttl] = tags(req.body, 'TTL');
    const values = tags(req.body, 'Value');
    if (action === 'DELETE' && JSON.stringify(rrsets.get(name)) !== JSON.stringify(values))
      return awsError(
        400,
        'InvalidChangeBatch',
        `[Tried to delete resource record set [name='${name}', type='TXT'] but the values provided do not match the current values]`,
      );
    changes.push({ action, name, ttl, values });
    if (action === 'DELETE') rrsets.delete(name);
    else rrsets.set(name, values);
    return xml(
      `<ChangeResourceRecordSetsResponse xmlns="${NS_XML}"><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING</Status><SubmittedAt>2026-12-07T12:00:00.000Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`,
    );
  }
  if (req.method === 'GET' && req.path === '/2013-04-01/change/C2682N5HXP0BZ4') {
    return xml(
      `<GetChangeResponse xmlns="${NS_XML}"><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>INSYNC</Status><SubmittedAt>2026-12-07T12:00:00.000Z</SubmittedAt></ChangeInfo></GetChangeResponse>`,
    );
  }
  return awsError(404, 'UnknownOperationException', `${req.method} ${req.path}`);
}

export function reset(): void {
  rrsets = new Map([['other.example.com.', ['"unrelated"']]]);
  changes = [];
  webIdentityCalls = [];
}

/** As AWS: the token must be valid for sts.amazonaws.com at the identity provider, and its subject trusted by the role. */
async function assumeRoleWithWebIdentity(form: URLSearchParams): Promise<FakeResponse> {
  const [roleArn, sessionName, token] = ['RoleArn', 'RoleSessionName', 'WebIdentityToken'].map((k) => form.get(k) ?? '');
  const subject = identityProvider ? await identityProvider(token, STS_AUDIENCE) : undefined;
  webIdentityCalls.push({ roleArn, sessionName, token, subject });
  if (!subject) return awsError(400, 'InvalidIdentityToken', 'Incorrect token audience', STS_NS);
  if (roleArn !== WEB_IDENTITY_ROLE || !trustedSubjects.has(subject))
    return awsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', STS_NS);
  return xml(
    `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NS}"><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>${subject}</SubjectFromWebIdentityToken><Audience>${STS_AUDIENCE}</Audience><Credentials><AccessKeyId>ASIAWEBIDENTITY</AccessKeyId><SecretAccessKey>web-identity-secret</SecretAccessKey><SessionToken>session-token-web</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>${roleArn}/${sessionName}</Arn><AssumedRoleId>AROAWEB:${sessionName}</AssumedRoleId></AssumedRoleUser><Provider>oidc.example</Provider></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
  );
}
