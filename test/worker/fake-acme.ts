// The CA side of the ACME controller tables: an in-memory ACME server behind the client surface the
// Order and Challenge controllers use (acme-client's Client, and the two of its internals
// lib/acme/client.ts reads through: api.apiRequest for POST-as-GET, http.getDirectory for the
// directory). It keeps orders, authorizations and challenges by URL, records the requests that
// change something at the CA, and fails one on request. The fake worker gets it through the ACME
// runtime's `accounts`, the seam the controllers already take the client from (no registration).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AcmeAccounts } from '../../lib/acme/accounts.ts';
import type { AcmeClient } from '../../lib/acme/client.ts';
import { AcmeProblemError } from '../../lib/acme/errors.ts';
import { createAcmeRuntime, type AcmeContext } from '../../worker/acme/runtime.ts';
import { fakeWorker, type FakeWorker, type FakeWorkerOptions } from './fake-context.ts';

export const CA = 'https://ca.test';
type Status = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid' | 'expired';

export interface CaOrder {
  status: Status;
  identifiers: Array<{ type: string; value: string }>;
  authorizations: string[];
  finalize: string;
  certificate?: string;
  error?: { type: string; detail: string };
}
export interface CaAuthorization {
  status: Status;
  identifier: { type: string; value: string };
  wildcard?: boolean;
  challenges: Array<{ type: string; url: string; token: string; status: Status }>;
}
export interface CaChallenge {
  type: string;
  url: string;
  token: string;
  status: Status;
  error?: { type: string; detail: string };
}

/** Requests that change something at the CA; their recorded form is "<name> <url or identifiers>". */
type Mutating = 'newOrder' | 'finalize' | 'accept';

export interface FakeCa {
  client: AcmeClient;
  /** Mutating requests in order, e.g. "newOrder web.example.test", "finalize https://ca.test/order/1", "accept <challenge url>". */
  calls: string[];
  orders: Map<string, CaOrder>;
  authorizations: Map<string, CaAuthorization>;
  challenges: Map<string, CaChallenge>;
  /** Profiles in the directory (draft-aaron-acme-profiles). */
  profiles: string[];
  /** What finalize turns a ready order into: "processing" stays so when fetched; the last one is signed by the next read. */
  finalizeTo: 'processing' | 'valid' | 'valid on the next read';
  /** URL prefixes whose reads fail as a CA in trouble answers them (503). */
  unreachable: Set<string>;
  /** Errors the next request of that kind answers (each used once); a function may change the CA's state first. */
  failNext: Partial<Record<Mutating, Error | (() => Error)>>;
  /** An order at `status` for these names, each with one authorization offering http-01 and dns-01 at `authzStatus`. */
  addOrder(status: Status, names: string[], authzStatus?: Status): { url: string; order: CaOrder };
}

/** The URLs the fake gives the n-th order and a name's authorization and challenges (tests seed Orders with them). */
export const caUrls = {
  order: (n: number) => `${CA}/order/${n}`,
  authz: (name: string) => `${CA}/authz/${name}`,
  challenge: (name: string, type: string) => `${CA}/chall/${name}/${type}`,
  token: (name: string, type: string) => `token-${type}-${name.replace(/[^a-z0-9]/g, '')}`,
};

export const CERTIFICATE_PEM = '-----BEGIN CERTIFICATE-----\nMIIfake\n-----END CERTIFICATE-----\n';

/** An ACME problem the CA answers, e.g. problem('rateLimited', 'too many', 429, 60_000). */
export const problem = (type: string, detail: string, httpStatus = 400, retryAfterMs?: number) =>
  new AcmeProblemError(`urn:ietf:params:acme:error:${type}`, detail, httpStatus, retryAfterMs);

export function fakeCa(): FakeCa {
  const ca: Omit<FakeCa, 'client'> = {
    calls: [],
    orders: new Map(),
    authorizations: new Map(),
    challenges: new Map(),
    profiles: [],
    finalizeTo: 'processing',
    unreachable: new Set(),
    failNext: {},
    addOrder(status, names, authzStatus = 'pending') {
      const url = caUrls.order(ca.orders.size + 1);
      for (const name of names) {
        const wildcard = name.startsWith('*.');
        const base = name.replace(/^\*\./, '');
        const challenges = ['http-01', 'dns-01'].map((type) => ({
          type,
          url: caUrls.challenge(name, type),
          token: caUrls.token(name, type),
          status: authzStatus,
        }));
        for (const c of challenges) ca.challenges.set(c.url, { ...c });
        ca.authorizations.set(caUrls.authz(name), { status: authzStatus, identifier: { type: 'dns', value: base }, wildcard, challenges });
      }
      const order: CaOrder = {
        status,
        identifiers: names.map((value) => ({ type: 'dns', value })),
        authorizations: names.map(caUrls.authz),
        finalize: `${url}/finalize`,
        ...(status === 'valid' ? { certificate: `${url}/cert` } : {}),
      };
      ca.orders.set(url, order);
      return { url, order };
    },
  };
  const failing = (kind: Mutating) => {
    const err = ca.failNext[kind];
    delete ca.failNext[kind];
    if (err) throw typeof err === 'function' ? err() : err;
  };
  const signOnRead = new Set<string>();
  const resource = (url: string): unknown => {
    if ([...ca.unreachable].some((prefix) => url.startsWith(prefix))) throw problem('serverInternal', `${url} is not answering`, 503);
    const signed = signOnRead.delete(url) && ca.orders.get(url);
    if (signed) Object.assign(signed, { status: 'valid', certificate: `${url}/cert` });
    const found = ca.orders.get(url) ?? ca.authorizations.get(url) ?? ca.challenges.get(url);
    if (!found) throw problem('malformed', `no such resource ${url}`, 404);
    return structuredClone(found);
  };
  const client = {
    api: { apiRequest: async (url: string) => ({ data: resource(url) }) },
    http: {
      getDirectory: async () => ({
        newOrder: `${CA}/new-order`,
        ...(ca.profiles.length ? { meta: { profiles: Object.fromEntries(ca.profiles.map((p) => [p, p])) } } : {}),
      }),
    },
    async createOrder(payload: { identifiers: Array<{ type: string; value: string }>; replaces?: string; profile?: string }) {
      const extra = [payload.replaces && `replaces=${payload.replaces}`, payload.profile && `profile=${payload.profile}`].filter(Boolean);
      ca.calls.push(`newOrder ${[payload.identifiers.map((i) => i.value).join(','), ...extra].join(' ')}`);
      failing('newOrder');
      const { url, order } = ca.addOrder(
        'pending',
        payload.identifiers.map((i) => i.value),
      );
      return { url, ...structuredClone(order) };
    },
    async finalizeOrder(order: { url: string }, csr: string) {
      ca.calls.push(`finalize ${order.url}`);
      failing('finalize');
      if (!csr.includes('CERTIFICATE REQUEST')) throw problem('badCSR', 'not a CSR');
      const o = ca.orders.get(order.url)!;
      o.status = ca.finalizeTo === 'valid' ? 'valid' : 'processing';
      if (o.status === 'valid') o.certificate = `${order.url}/cert`;
      if (ca.finalizeTo === 'valid on the next read') signOnRead.add(order.url);
      return structuredClone(o);
    },
    async getCertificate(order: { url: string; certificate?: string }) {
      if (!ca.orders.get(order.url)?.certificate) throw problem('orderNotReady', 'no certificate yet', 403);
      return CERTIFICATE_PEM;
    },
    async getChallengeKeyAuthorization(challenge: { token: string }) {
      return `${challenge.token}.account-thumbprint`;
    },
    async completeChallenge(challenge: { url: string }) {
      ca.calls.push(`accept ${challenge.url}`);
      failing('accept');
      const c = ca.challenges.get(challenge.url)!;
      if (c.status !== 'pending') throw problem('malformed', `Cannot update challenge with status ${c.status}`);
      c.status = 'processing';
      return structuredClone(c);
    },
  };
  return Object.assign(ca, { client: client as unknown as AcmeClient });
}

/** The fake worker with an ACME runtime whose every issuer's client is `ca`'s. */
export function fakeAcmeWorker(objects: KubernetesObject[], ca: FakeCa, opts: FakeWorkerOptions = {}): FakeWorker & { ctx: AcmeContext } {
  const w = fakeWorker(objects, opts);
  const accounts = { clientFor: async () => ({ client: ca.client, account: { url: `${CA}/acct/1` }, accountKeyHash: 'fake' }) } as unknown as AcmeAccounts;
  return { ...w, ctx: { ...w.ctx, acme: { ...createAcmeRuntime(w.ctx), accounts } } };
}
