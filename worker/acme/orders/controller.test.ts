// The Order controller as a table (cert-manager's trigger_controller_test.go shape): the Order, its
// Issuer and Challenges in the caches and the ACME order as the CA holds it; the requests that
// change something at the CA, the Challenges created and deleted, the Order status the user reads,
// the Events and the requeue out. The CA is test/worker/fake-acme.ts. Status is compared by the
// fields a user reads, not by the number of status writes, so the cases hold however the writes
// are batched.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Challenge, Order, OrderStatus } from '../../../api/types.generated.ts';
import { Resources } from '../../../test/worker/fake-context.ts';
import { CERTIFICATE_PEM, fakeAcmeWorker, fakeCa, problem, type FakeCa } from '../../../test/worker/fake-acme.ts';
import { acmeIssuer, challenge, knownStatus, NS, ORDER, ORDER_UID, order } from '../../../test/worker/acme-table.ts';
import type { FakeWorker } from '../../../test/worker/fake-context.ts';
import { createOrderController } from './controller.ts';

const WEB = 'web.example.test';
/** --acme-backoff-min-ms (default 1 s): a CA resource still pending or processing is asked again after this. */
const POLL = 1000;
/** While Challenges work, their changes bring the Order back through the watch; this poll is the safety net. */
const CHALLENGE_SAFETY_NET = 20 * POLL;
/** After our finalize the CA is first asked again after a quarter of the poll interval (worker/acme/poll.ts). */
const FIRST_LOOK = POLL / 4;
const NOW = '2026-03-01T12:00:00Z';

type Expected = string | RegExp | number | boolean | undefined;

interface Case {
  name: string;
  /** The CA's state, then the objects in the caches (and the API server). */
  given: (ca: FakeCa) => KubernetesObject[];
  /** Another writer's change that the caches have not seen yet. */
  meanwhile?: (w: FakeWorker, ca: FakeCa) => void;
  /** Requests that change something at the CA, in order. */
  caCalls: string[];
  /** Challenges created and deleted, as "create <dnsName>" / "delete <dnsName>". */
  challenges?: string[];
  /** Order status fields afterwards; undefined: no status write at all. */
  status?: Partial<Record<keyof OrderStatus, Expected>>;
  events?: string[];
  /** undefined: done; a number: requeued after it; 'backoff': the error goes to the queue's backoff. */
  requeue?: number | 'backoff';
}

const valid = (ca: FakeCa, names = [WEB]) => ca.addOrder('valid', names, 'valid').url;

const cases: Case[] = [
  {
    name: 'a new Order: one ACME order for its names, URL and authorizations in status, one Challenge per pending authorization',
    given: () => [acmeIssuer(), order([WEB, 'www.example.test'])],
    caCalls: ['newOrder web.example.test,www.example.test'],
    challenges: ['create web.example.test', 'create www.example.test'],
    status: { url: 'https://ca.test/order/1', state: 'pending', finalizeURL: 'https://ca.test/order/1/finalize' },
    events: ['Normal Created', 'Normal Created'],
    requeue: CHALLENGE_SAFETY_NET,
  },
  {
    name: 'the cache has not seen the ACME order URL another pass wrote: no second ACME order, looked at again at once',
    given: () => [acmeIssuer(), order([WEB])],
    meanwhile: (w, ca) => w.changedElsewhere(order([WEB], knownStatus(ca, ca.addOrder('pending', [WEB]).url))),
    caCalls: [],
    requeue: 0,
  },
  {
    name: 'the CA does not answer for the authorizations right after the new order: its URL is written anyway, so the retry resumes that order',
    given: (ca) => {
      ca.unreachable.add('https://ca.test/authz/');
      return [acmeIssuer(), order([WEB])];
    },
    caCalls: ['newOrder web.example.test'],
    status: { url: 'https://ca.test/order/1', state: 'pending' },
    requeue: 'backoff',
  },
  {
    name: 'an Order with its ACME order URL but no authorizations yet (an earlier pass could not read them): read now, no second ACME order',
    given: (ca) => [acmeIssuer(), order([WEB], { url: ca.addOrder('pending', [WEB]).url, state: 'pending' })],
    caCalls: [],
    challenges: ['create web.example.test'],
    status: { url: 'https://ca.test/order/1', state: 'pending' },
    events: ['Normal Created'],
    requeue: CHALLENGE_SAFETY_NET,
  },
  {
    name: 'an authorization the CA already holds valid: a Challenge only for the pending one',
    given: (ca) => {
      const { url } = ca.addOrder('pending', [WEB, 'www.example.test']);
      ca.authorizations.get('https://ca.test/authz/www.example.test')!.status = 'valid';
      return [acmeIssuer(), order([WEB, 'www.example.test'], knownStatus(ca, url))];
    },
    caCalls: [],
    challenges: ['create web.example.test'],
    events: ['Normal Created'],
    requeue: CHALLENGE_SAFETY_NET,
  },
  {
    name: 'its Challenges exist and are working: nothing written, the watch brings their news',
    given: (ca) => [acmeIssuer(), order([WEB], knownStatus(ca, ca.addOrder('pending', [WEB]).url)), challenge(WEB, { state: 'pending', processing: true })],
    caCalls: [],
    requeue: CHALLENGE_SAFETY_NET,
  },
  {
    name: "a Challenge stuck on its self-check: its reason is shown on the Order, where the user's CertificateRequest reads it",
    given: (ca) => [
      acmeIssuer(),
      order([WEB], knownStatus(ca, ca.addOrder('pending', [WEB]).url)),
      challenge(WEB, { state: 'pending', processing: true, presented: true, reason: "Waiting for HTTP-01 challenge propagation: wrong status code '404'" }),
    ],
    caCalls: [],
    status: { state: 'pending', reason: /^challenge for "web.example.test": Waiting for HTTP-01 challenge propagation: wrong status code '404'/ },
    requeue: CHALLENGE_SAFETY_NET,
  },
  {
    name: 'a Challenge failed: the Order is invalid with its reason, a Warning, and its Challenges are deleted',
    given: (ca) => [
      acmeIssuer(),
      order([WEB], knownStatus(ca, ca.addOrder('pending', [WEB]).url)),
      challenge(WEB, { state: 'invalid', reason: 'urn:ietf:params:acme:error:unauthorized: 404 from http://web.example.test/.well-known/acme-challenge/x' }),
    ],
    caCalls: [],
    challenges: ['delete web.example.test'],
    status: { state: 'invalid', reason: /^Challenge web-1-\w+ for "web.example.test" failed: urn:ietf:params:acme:error:unauthorized: 404/, failureTime: NOW },
    events: ['Warning Failed'],
  },
  {
    name: 'every authorization valid (ready): the Order says ready (as cert-manager), the CSR goes to finalize; the CA is still signing, so it is asked again soon (a quarter poll interval)',
    given: (ca) => [acmeIssuer(), order([WEB], knownStatus(ca, ca.addOrder('ready', [WEB], 'valid').url))],
    caCalls: ['finalize https://ca.test/order/1'],
    status: { state: 'ready' },
    requeue: FIRST_LOOK,
  },
  {
    name: 'an Order that says ready and a CA order still ready (the worker stopped before its finalize): finalized now, no second ACME order',
    given: (ca) => [acmeIssuer(), order([WEB], knownStatus(ca, ca.addOrder('ready', [WEB], 'valid').url, 'ready'))],
    caCalls: ['finalize https://ca.test/order/1'],
    requeue: FIRST_LOOK,
  },
  {
    name: 'finalize answers valid at once: the certificate is stored in status, Complete, the Challenges deleted',
    given: (ca) => {
      ca.finalizeTo = 'valid';
      return [acmeIssuer(), order([WEB], knownStatus(ca, ca.addOrder('ready', [WEB], 'valid').url)), challenge(WEB, { state: 'valid' })];
    },
    caCalls: ['finalize https://ca.test/order/1'],
    challenges: ['delete web.example.test'],
    status: { state: 'valid', certificate: Buffer.from(CERTIFICATE_PEM).toString('base64') },
    events: ['Normal Complete'],
  },
  {
    name: 'the CA is signing (processing): the Order says processing and asks again after a poll interval',
    given: (ca) => [acmeIssuer(), order([WEB], knownStatus(ca, ca.addOrder('processing', [WEB], 'valid').url))],
    caCalls: [],
    status: { state: 'processing' },
    requeue: POLL,
  },
  {
    name: 'the ACME order is valid: the certificate is downloaded into status, Complete, the Challenges deleted',
    given: (ca) => [acmeIssuer(), order([WEB], knownStatus(ca, valid(ca), 'processing')), challenge(WEB, { state: 'valid' })],
    caCalls: [],
    challenges: ['delete web.example.test'],
    status: { state: 'valid', certificate: Buffer.from(CERTIFICATE_PEM).toString('base64'), reason: '' },
    events: ['Normal Complete'],
  },
  {
    name: "the CA turned the order invalid: the Order is invalid with the CA's problem and a Warning",
    given: (ca) => {
      const { url, order: o } = ca.addOrder('invalid', [WEB]);
      o.error = { type: 'urn:ietf:params:acme:error:unauthorized', detail: 'authorization expired' };
      return [acmeIssuer(), order([WEB], knownStatus(ca, url))];
    },
    caCalls: [],
    status: { state: 'invalid', reason: 'urn:ietf:params:acme:error:unauthorized: authorization expired', failureTime: NOW },
    events: ['Warning Failed'],
  },
  {
    name: 'a valid Order that still owns Challenges: they are deleted, and the CA is not asked',
    given: (ca) => [
      acmeIssuer(),
      order([WEB], knownStatus(ca, valid(ca), 'valid', { certificate: 'Q0VSVA==' })),
      challenge(WEB, { state: 'valid' }),
      challenge('www.example.test', { state: 'valid' }, { deleting: true }),
    ],
    caCalls: [],
    challenges: ['delete web.example.test'],
  },
  {
    name: 'its Issuer does not exist: the Order says so and is looked at again in 30 s',
    given: () => [order([WEB])],
    caCalls: [],
    status: { reason: 'Issuer apps/le not found' },
    requeue: 30_000,
  },
  {
    name: 'the CA rate-limits the new order: the reason says when it retries, a Warning, and the retry waits for Retry-After',
    given: (ca) => {
      ca.failNext.newOrder = problem('rateLimited', 'too many certificates for web.example.test', 429, 3_600_000);
      return [acmeIssuer(), order([WEB])];
    },
    caCalls: ['newOrder web.example.test'],
    status: { reason: /rateLimited: too many certificates for web.example.test \(retrying after 3600 s\)$/ },
    events: ['Warning RateLimited'],
    requeue: 3_600_000,
  },
  {
    name: 'the CA refuses a name for good (rejectedIdentifier): the Order errored with its words, a Warning, no retry',
    given: (ca) => {
      ca.failNext.newOrder = problem('rejectedIdentifier', 'web.example.test is on a blocklist');
      return [acmeIssuer(), order([WEB])];
    },
    caCalls: ['newOrder web.example.test'],
    status: { state: 'errored', reason: 'urn:ietf:params:acme:error:rejectedIdentifier: web.example.test is on a blocklist', failureTime: NOW },
    events: ['Warning Failed'],
  },
  {
    name: 'the CA has an internal error: the error goes to the queue, which retries with backoff',
    given: (ca) => {
      ca.failNext.newOrder = problem('serverInternal', 'database unavailable', 500);
      return [acmeIssuer(), order([WEB])];
    },
    caCalls: ['newOrder web.example.test'],
    requeue: 'backoff',
  },
  {
    name: 'a profile the CA does not offer: errored, naming the ones it does, before any order is made',
    given: (ca) => {
      ca.profiles = ['classic', 'tlsserver'];
      return [acmeIssuer(), order([WEB], undefined, { profile: 'shortlived' })];
    },
    caCalls: [],
    status: { state: 'errored', reason: 'ACME server does not offer profile "shortlived" (advertised profiles: classic, tlsserver)' },
    events: ['Warning Failed'],
  },
  {
    name: 'an offered profile: the new order asks for it',
    given: (ca) => {
      ca.profiles = ['classic', 'shortlived'];
      return [acmeIssuer(), order([WEB], undefined, { profile: 'shortlived' })];
    },
    caCalls: ['newOrder web.example.test profile=shortlived'],
    challenges: ['create web.example.test'],
    status: { url: 'https://ca.test/order/1', state: 'pending' },
    events: ['Normal Created'],
    requeue: CHALLENGE_SAFETY_NET,
  },
  {
    name: 'a renewal the CA will not let replace the old certificate (ARI): ordered again without replaces, with a Warning',
    given: (ca) => {
      ca.failNext.newOrder = problem('alreadyReplaced', 'certificate abc.def was already replaced', 409);
      return [acmeIssuer(), order([WEB], undefined, { replaces: 'abc.def' })];
    },
    caCalls: ['newOrder web.example.test replaces=abc.def', 'newOrder web.example.test'],
    challenges: ['create web.example.test'],
    status: { url: 'https://ca.test/order/1', state: 'pending' },
    events: ['Warning ReplacesRefused', 'Normal Created'],
    requeue: CHALLENGE_SAFETY_NET,
  },
  {
    name: 'a wildcard name and only an HTTP-01 solver: errored, naming the name no solver can answer',
    given: () => [acmeIssuer(), order(['*.example.test'])],
    caCalls: ['newOrder *.example.test'],
    challenges: [],
    status: { state: 'errored', reason: /no configured challenge solvers can be used for \*\.example\.test$/ },
    events: ['Warning Failed'],
  },
];

describe('Order controller', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const ca = fakeCa();
      const given = c.given(ca);
      const w = fakeAcmeWorker(given, ca, { now: NOW });
      c.meanwhile?.(w, ca);
      const ctrl = createOrderController(w.ctx);
      const pass = ctrl.sync(`${NS}/${ORDER}`);
      if (c.requeue === 'backoff') await assert.rejects(pass, /serverInternal/);
      else assert.equal((await pass)?.requeueAfterMs, c.requeue);

      assert.deepEqual(ca.calls, c.caCalls, 'requests that change something at the CA');
      const dnsNameOf = new Map(given.filter((o): o is Challenge => o.kind === 'Challenge').map((ch) => [ch.metadata.name!, ch.spec.dnsName]));
      const challengeWrites = w.writes.filter((x) => x.kind === 'Challenge');
      assert.deepEqual(
        challengeWrites.map((x) => `${x.verb} ${x.verb === 'create' ? (x.body as Challenge).spec.dnsName : dnsNameOf.get(x.name)}`),
        c.challenges ?? [],
      );
      for (const x of challengeWrites.filter((x) => x.verb === 'create')) {
        const ch = x.body as Challenge;
        assert.equal(ch.spec.key, `${ch.spec.token}.account-thumbprint`, 'the key authorization of the token the CA gave');
        assert.equal(ch.metadata.ownerReferences?.[0]?.uid, ORDER_UID, 'owned by the Order');
        assert.ok(ch.metadata.finalizers?.includes('acme.cert-manager.io/finalizer'), 'with the cleanup finalizer');
      }

      const orderWrites = w.writes.filter((x) => x.kind === 'Order');
      if (c.status === undefined) assert.deepEqual(orderWrites, [], 'no Order write');
      else {
        assert.ok(
          orderWrites.every((x) => x.subresource === 'status'),
          'only status is written',
        );
        const st = w.stored<Order>(Resources.Order, NS, ORDER)!.status ?? {};
        for (const [field, want] of Object.entries(c.status)) {
          const got = st[field as keyof OrderStatus];
          if (want instanceof RegExp) assert.match(String(got), want, `status.${field}`);
          else assert.equal(got, want, `status.${field}`);
        }
      }
      assert.deepEqual(
        w.events.map((e) => `${e.type} ${e.reason}`),
        c.events ?? [],
      );
    });
  }

  /** Finalizes in a first pass, then runs a pass after each wait (the CA signs on the read after `signedAfter` reads). */
  async function finalizeThenPoll(waits: number[], signs: 'on the first read' | 'never') {
    const ca = fakeCa();
    if (signs === 'on the first read') ca.finalizeTo = 'valid on the next read';
    const w = fakeAcmeWorker([acmeIssuer(), order([WEB], knownStatus(ca, ca.addOrder('ready', [WEB], 'valid').url)), challenge(WEB, { state: 'valid' })], ca, {
      now: NOW,
    });
    const ctrl = createOrderController(w.ctx);
    const requeues = [(await ctrl.sync(`${NS}/${ORDER}`))?.requeueAfterMs];
    for (const ms of waits) {
      w.clock.advance(ms);
      requeues.push((await ctrl.sync(`${NS}/${ORDER}`))?.requeueAfterMs);
    }
    const states = w.writes.filter((x) => x.kind === 'Order').map((x) => (x.body as { status: OrderStatus }).status.state);
    return { ca, requeues, states, w };
  }

  test('the CA signs soon after finalize: asked again after a quarter poll interval, the certificate stored, no "processing" write before it', async () => {
    const { ca, requeues, states, w } = await finalizeThenPoll([FIRST_LOOK], 'on the first read');
    assert.deepEqual(ca.calls, ['finalize https://ca.test/order/1']);
    assert.deepEqual(requeues, [FIRST_LOOK, undefined]);
    assert.deepEqual(states, ['ready', 'valid']);
    assert.equal(w.stored<Order>(Resources.Order, NS, ORDER)!.status?.certificate, Buffer.from(CERTIFICATE_PEM).toString('base64'));
  });

  test('the CA takes longer than a poll interval to sign: the Order says processing once, and is asked once per interval', async () => {
    const { ca, requeues, states } = await finalizeThenPoll([FIRST_LOOK, 2 * FIRST_LOOK, POLL], 'never');
    assert.deepEqual(ca.calls, ['finalize https://ca.test/order/1']);
    assert.deepEqual(requeues, [FIRST_LOOK, FIRST_LOOK, 3 * FIRST_LOOK, POLL]);
    assert.deepEqual(states, ['ready', 'processing']);
  });

  test('the Order says ready before its CSR goes to finalize, as cert-manager shows it', async () => {
    const ca = fakeCa();
    const finalizesBeforeWrite: number[] = [];
    const w = fakeAcmeWorker([acmeIssuer(), order([WEB], knownStatus(ca, ca.addOrder('ready', [WEB], 'valid').url)), challenge(WEB, { state: 'valid' })], ca, {
      now: NOW,
      refuse: (x) => {
        if (x.kind === 'Order') finalizesBeforeWrite.push(ca.calls.length);
        return undefined;
      },
    });
    await createOrderController(w.ctx).sync(`${NS}/${ORDER}`);
    const states = w.writes.filter((x) => x.kind === 'Order').map((x) => (x.body as { status: OrderStatus }).status.state);
    assert.deepEqual(states, ['ready']);
    assert.deepEqual(finalizesBeforeWrite, [0], 'written before finalize');
  });
});
