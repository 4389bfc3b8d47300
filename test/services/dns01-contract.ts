// Shared pieces of the DNS-01 provider contract tests (worker/acme/challenges/dns01/*.test.ts):
// a ProviderContext whose Secrets come from a map (the provider reads credentials by reference),
// a TxtRecordRequest for a challenge, the fake API's lifecycle around a test file, and the
// assertion on a provider's error.
import { before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Challenge } from '../../api/types.generated.ts';
import type { KubeClient } from '../../lib/kube/client.ts';
import { Dns01ProviderError, type ProviderContext, type TxtRecordRequest } from '../../worker/acme/challenges/dns01/provider.ts';
import { startFakeApi, type FakeApi, type FakeRequest, type FakeResponse } from './fake-api.ts';

/** Secrets by name, each entry a plain string (stored base64 as the API server would). */
export function contextWith(secrets: Record<string, Record<string, string>>, api?: FakeApi, namespace = 'shop'): ProviderContext {
  const client = {
    async get(_r: unknown, ns: string, name: string) {
      const s = ns === namespace ? secrets[name] : undefined;
      return s
        ? { metadata: { name, namespace: ns }, data: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) }
        : undefined;
    },
  } as unknown as KubeClient;
  return { client, resourceNamespace: namespace, allowAmbientCredentials: false, ...(api ? { endpoint: { url: api.url, caPem: api.caPem } } : {}) };
}

export function txtRequest(fqdn: string, zone: string, value: string): TxtRecordRequest {
  const challenge = {
    metadata: { uid: '3f1c7a52-2b0e-4d55-9c4e-0d6b1c9e8a01', name: 'ch', namespace: 'shop' },
    spec: { dnsName: fqdn.replace(/^_acme-challenge\./, '').replace(/\.$/, ''), key: value },
  } as unknown as Challenge;
  return { fqdn, zone, value, challenge, resourceNamespace: 'shop' };
}

/**
 * The fake provider API of one contract test file: started before its tests, stopped after them,
 * and before each test its request log and any forced answer cleared and `reset` run (to refill
 * the fake's records). `force` makes the fake answer a request itself (rate limits, races).
 */
export function useFakeApi(handle: (req: FakeRequest) => FakeResponse | Promise<FakeResponse>, reset: () => void = () => {}) {
  let api: FakeApi | undefined;
  let forced: ((req: FakeRequest) => FakeResponse | undefined) | undefined;
  before(async () => {
    api = await startFakeApi((req) => forced?.(req) ?? handle(req));
  });
  after(async () => {
    await api?.stop();
  });
  beforeEach(() => {
    forced = undefined;
    if (api) api.requests.length = 0;
    reset();
  });
  return {
    get api(): FakeApi {
      if (!api) throw new Error('the fake API is started in before()');
      return api;
    },
    /** Requests the provider sent in this test so far. */
    get requests(): FakeRequest[] {
      return this.api.requests;
    },
    force(answer: ((req: FakeRequest) => FakeResponse | undefined) | undefined) {
      forced = answer;
    },
  };
}

/**
 * Asserts that `work` fails with a Dns01ProviderError that is (or is not) retryable, whose message
 * matches, and that names none of `secrets`.
 */
export async function rejectsAsProviderError(work: Promise<unknown>, expected: { retryable: boolean; message: RegExp; secrets?: string[] }): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof Dns01ProviderError, `a Dns01ProviderError, not ${String(err)}`);
    assert.match(err.message, expected.message);
    assert.equal(err.retryable, expected.retryable, `retryable for: ${err.message}`);
    for (const s of expected.secrets ?? []) assert.ok(!err.message.includes(s), 'the credential is not in the message');
    return true;
  });
}
