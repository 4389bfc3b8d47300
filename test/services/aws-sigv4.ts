// The AWS side of Signature Version 4 for fake AWS endpoints: the signature a request carries is
// computed again from what arrived and the secret key the fake knows for its access key id, as AWS
// does, so a request signed with a wrong secret fails with SignatureDoesNotMatch like on AWS.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { FakeRequest } from './fake-api.ts';

export interface AwsKey {
  secretAccessKey: string;
  sessionToken?: string;
}

const bytes = (d: string | ArrayBuffer | ArrayBufferView) =>
  typeof d === 'string' ? d : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);

/** node:crypto behind the hash interface the signer takes (HMAC when given a key). */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256');
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;

/**
 * undefined when the request's SigV4 signature is valid for a key in `keys`; else AWS's error
 * code for what is wrong (InvalidClientTokenId for an unknown key id, SignatureDoesNotMatch for a
 * wrong secret or an altered request).
 */
export async function checkSigV4(
  req: FakeRequest,
  keys: Record<string, AwsKey>,
): Promise<'InvalidClientTokenId' | 'SignatureDoesNotMatch' | 'IncompleteSignature' | undefined> {
  const m = AUTH.exec(String(req.headers.authorization ?? ''));
  if (!m) return 'IncompleteSignature';
  const [, keyId, , region, service, signedHeaders, signature] = m;
  const key = keys[keyId];
  if (!key || (key.sessionToken && req.headers['x-amz-security-token'] !== key.sessionToken)) return 'InvalidClientTokenId';
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) headers[name] = String(req.headers[name] ?? '');
  const amzDate = headers['x-amz-date'] ?? '';
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const [hostname, port] = String(req.headers.host ?? '').split(':');
  const signer = new SignatureV4({
    service,
    region,
    credentials: { accessKeyId: keyId, secretAccessKey: key.secretAccessKey, sessionToken: key.sessionToken },
    sha256: Sha256,
  });
  const expected = await signer.sign(
    {
      method: req.method,
      protocol: 'https:',
      hostname,
      port: port ? Number(port) : undefined,
      path: req.path,
      query: Object.fromEntries(req.query),
      headers,
      body: req.body,
    },
    { signingDate, unsignableHeaders: new Set(), signableHeaders: new Set(Object.keys(headers)) },
  );
  const got = /Signature=([0-9a-f]{64})$/.exec(String(expected.headers.authorization ?? expected.headers.Authorization))?.[1];
  return got === signature ? undefined : 'SignatureDoesNotMatch';
}
