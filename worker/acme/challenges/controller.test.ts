// The Challenge controller as a table (cert-manager's trigger_controller_test.go shape): the
// Challenge and its Issuer in the caches, the challenge as the CA holds it, and what the HTTP-01
// route answers; the solver objects created and deleted, the requests to the CA, the Challenge
// status the user reads, the Events and the requeue out. The CA is test/worker/fake-acme.ts; the
// self-check reaches a loopback DNS and HTTP server (test/worker/http01-answers.ts). Status is
// compared by the fields a user reads, not by the number of status writes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Ingress, V1Service } from '@kubernetes/client-node';
import type { ACMEChallengeSolver, Certificate, CertificateRequest, Challenge, ChallengeStatus } from '../../../api/types.generated.ts';
import type { HTTPRoute } from '../../../api/gateway-api.generated.ts';
import { KubeApiError } from '../../../lib/kube/client.ts';
import type { GatewayApiSupport } from '../../gateway-api.ts';
import type { FakeWorker, FakeWorkerOptions } from '../../../test/worker/fake-context.ts';
import { Resources } from '../../../test/worker/fake-context.ts';
import { caUrls, fakeAcmeWorker, fakeCa, problem, type FakeCa } from '../../../test/worker/fake-acme.ts';
import { acmeIssuer, challenge, NS, order, ORDER } from '../../../test/worker/acme-table.ts';
import { startHttp01Answers, startNxdomainResolver, type Http01Answers } from '../../../test/worker/http01-answers.ts';
import { http01SolverName } from '../../object-names.ts';
import { createChallengeController } from './controller.ts';

const WEB = 'web.example.test';
const NAME = challenge(WEB).metadata.name!;
const URL = caUrls.challenge(WEB, 'http-01');
const TOKEN = caUrls.token(WEB, 'http-01');
const KEY = challenge(WEB).spec.key;
/** --acme-backoff-min-ms (default 1 s): a challenge the CA is validating is asked again after this. */
const POLL = 1000;
/** After our accept the CA is first asked again after a quarter of the poll interval (worker/acme/poll.ts). */
const FIRST_LOOK = POLL / 4;
/** A failing self-check is tried again after twice the poll interval. */
const SELF_CHECK = 2 * POLL;
const NOW = '2026-03-01T12:00:00Z';
const nginx = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };

type Expected = string | RegExp | boolean | undefined;

interface Case {
  name: string;
  /** The CA's state, then the objects in the caches (and the API server). */
  given: (ca: FakeCa) => KubernetesObject[];
  /** What the HTTP-01 route answers for the token: the key, something else, or nothing (404). */
  route?: 'key' | 'wrong';
  config?: FakeWorkerOptions['config'];
  /** Requests that change something at the CA, as "accept". */
  caCalls: string[];
  /** Writes other than the Challenge's status, as "verb Kind" ("patch Challenge" is its metadata). */
  writes: string[];
  /** Challenge status fields afterwards; undefined: no status write at all. */
  status?: Partial<Record<keyof ChallengeStatus, Expected>>;
  /** Finalizers left on the Challenge afterwards. */
  finalizers?: string[];
  /** Events as "Kind Type Reason". */
  events?: string[];
  /** undefined: done; a number: requeued after it; 'backoff': the error goes to the queue's backoff. */
  requeue?: number | 'backoff';
  /** The cluster serves Gateway API (HTTPRoutes); without it, http01.gatewayHTTPRoute cannot be solved. */
  gatewayApi?: boolean;
  /** Someone else changes the user's Ingress `shop` between the controller's read and its first write. */
  meanwhileOnce?: boolean;
  /** Checks on what the API server holds afterwards. */
  check?: (w: FakeWorker) => void;
}

/** The CA's challenge for WEB (in a pending order), at `status`. */
function atCa(ca: FakeCa, status: 'pending' | 'processing' | 'valid' | 'invalid'): void {
  ca.addOrder('pending', [WEB]);
  ca.challenges.get(URL)!.status = status;
}

const presented: ChallengeStatus = { state: 'pending', presented: true, processing: true, reason: '' };

/** The Order, CertificateRequest and Certificate behind the Challenge (who hears of a DNS-01 provider failure). */
function chainToCertificate(): KubernetesObject[] {
  const request: CertificateRequest = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: { name: ORDER, namespace: NS, uid: 'cr-uid', annotations: { 'cert-manager.io/certificate-name': 'web' } },
    spec: { request: '', issuerRef: { name: 'le' } },
  };
  const cert: Certificate = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'web', namespace: NS },
    spec: { secretName: 'web-tls', dnsNames: [WEB], issuerRef: { name: 'le' } },
  };
  return [order([WEB]), request, cert];
}

/** The Challenge for WEB with another HTTP-01 solver. */
function withSolver(http01: ACMEChallengeSolver['http01'], status?: ChallengeStatus, more?: Parameters<typeof challenge>[2]): Challenge {
  const ch = challenge(WEB, status, more);
  return { ...ch, spec: { ...ch.spec, solver: { http01 } } };
}

const PUBLIC_GATEWAY = { name: 'public', namespace: NS, kind: 'Gateway', group: 'gateway.networking.k8s.io', sectionName: 'http' };
const viaGateway = (status?: ChallengeStatus, more?: Parameters<typeof challenge>[2]) =>
  withSolver({ gatewayHTTPRoute: { parentRefs: [PUBLIC_GATEWAY], labels: { team: 'shop' } } }, status, more);
/** The solver HTTPRoute and Service of the Challenge (named after it), as a previous pass made them. */
const SOLVER_NAME = (w: FakeWorker) => w.writes.find((x) => x.verb === 'create' && x.kind === 'Service')?.name;

/** The user's own Ingress `shop` serving WEB, which http01.ingress.name edits in place. */
function userIngress(challengePathFor?: string): V1Ingress {
  const paths: NonNullable<V1Ingress['spec']>['rules'] = [
    { host: WEB, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] } },
  ];
  if (challengePathFor)
    paths[0]!.http!.paths.unshift({
      path: `/.well-known/acme-challenge/${TOKEN}`,
      pathType: 'ImplementationSpecific',
      backend: { service: { name: challengePathFor, port: { number: 8089 } } },
    });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', namespace: NS, labels: { app: 'shop' } },
    spec: { ingressClassName: 'nginx', tls: [{ hosts: [WEB], secretName: 'shop-tls' }], rules: paths },
  };
}
const inPlace = (status?: ChallengeStatus, more?: Parameters<typeof challenge>[2]) => withSolver({ ingress: { name: 'shop' } }, status, more);
const storedPaths = (w: FakeWorker) =>
  w.stored<V1Ingress>(Resources.Ingress, NS, 'shop')!.spec!.rules!.map((r) => `${r.host} ${r.http!.paths.map((p) => p.path).join(' ')}`);

/** pathType of each path of the solver Ingress the pass created. */
const solverIngressPathTypes = (w: FakeWorker) =>
  (w.writes.find((x) => x.verb === 'create' && x.kind === 'Ingress')!.body as V1Ingress).spec!.rules!.flatMap((r) => r.http!.paths.map((p) => p.pathType));

const dns01Solver = { dns01: { rfc2136: { nameserver: '127.0.0.1:53', tsigKeyName: 'certgate', tsigSecretSecretRef: { name: 'tsig', key: 'secret' } } } };

const cases: Case[] = [
  {
    name: 'a Challenge without the cleanup finalizer: the finalizer is added first, and the Challenge goes on at once',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB, undefined, { finalizers: [] })]),
    caCalls: [],
    writes: ['patch Challenge'],
    finalizers: ['acme.cert-manager.io/finalizer'],
    requeue: 0,
  },
  {
    name: 'pending at the CA and the route answers the key: solver Service and Ingress made, Presented, the CA asked to validate once, looked at again soon (no status write yet)',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB)]),
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: ['create Service', 'create Ingress'],
    events: ['Challenge Normal Presented'],
    requeue: FIRST_LOOK,
    check: (w) => assert.deepEqual(solverIngressPathTypes(w), ['Exact'], "cert-manager's pathType since 1.18"),
  },
  {
    name: 'with --acme-http01-ingress-path-type=ImplementationSpecific (ACMEHTTP01IngressPathTypeExact=false): the solver Ingress path is ImplementationSpecific',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB)]),
    config: { acmeHttp01IngressPathType: 'ImplementationSpecific' },
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: ['create Service', 'create Ingress'],
    events: ['Challenge Normal Presented'],
    requeue: FIRST_LOOK,
    check: (w) => assert.deepEqual(solverIngressPathTypes(w), ['ImplementationSpecific']),
  },
  {
    name: 'pending at the CA and the route not serving yet (404): presented, waiting with the reason, not accepted; checked again',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB)]),
    caCalls: [],
    writes: ['create Service', 'create Ingress'],
    status: {
      state: 'pending',
      presented: true,
      reason: /^Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200' \(waiting since 2026-03-01T12:00:00Z\)$/,
    },
    events: ['Challenge Normal Presented'],
    requeue: SELF_CHECK,
  },
  {
    name: 'the route serves something else: waiting, and the reason says the body did not match',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB, presented)]),
    route: 'wrong',
    caCalls: [],
    writes: [],
    status: { state: 'pending', presented: true, reason: /did not match the expected key authorization/ },
    requeue: SELF_CHECK,
  },
  {
    name: 'accepted already while the CA still shows pending: not accepted twice, asked again after a poll interval',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB, { state: 'processing', presented: true, processing: true })]),
    route: 'key',
    caCalls: [],
    writes: [],
    requeue: POLL,
  },
  {
    name: 'the CA is validating (processing): the Challenge says processing and asks again after a poll interval',
    given: (ca) => (atCa(ca, 'processing'), [acmeIssuer(), nginx, challenge(WEB, presented)]),
    caCalls: [],
    writes: [],
    status: { state: 'processing', processing: true },
    requeue: POLL,
  },
  {
    name: 'the CA validated it: solver Ingress and Service removed, valid, DomainVerified',
    given: (ca) => (atCa(ca, 'valid'), [acmeIssuer(), nginx, challenge(WEB, { ...presented, state: 'processing' })]),
    caCalls: [],
    writes: ['delete Ingress', 'delete Service'],
    status: { state: 'valid', presented: false, processing: false, reason: 'Successfully authorized domain' },
    events: ['Challenge Normal DomainVerified'],
  },
  {
    name: "the CA found it invalid: cleaned up, invalid with the CA's problem, a Warning",
    given: (ca) => {
      atCa(ca, 'invalid');
      ca.challenges.get(URL)!.error = { type: 'urn:ietf:params:acme:error:unauthorized', detail: 'Invalid response from http://web.example.test: 404' };
      return [acmeIssuer(), nginx, challenge(WEB, { ...presented, state: 'processing' })];
    },
    caCalls: [],
    writes: ['delete Ingress', 'delete Service'],
    status: { state: 'invalid', presented: false, reason: 'urn:ietf:params:acme:error:unauthorized: Invalid response from http://web.example.test: 404' },
    events: ['Challenge Warning Failed'],
  },
  {
    name: 'deleted before it finished: solver Ingress and Service removed, then the finalizer, and the CA is not asked',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB, presented, { deleting: true })]),
    caCalls: [],
    writes: ['delete Ingress', 'delete Service', 'patch Challenge'],
    finalizers: [],
  },
  {
    name: 'valid but still presented (a pass that stopped half way): the solver objects are removed, presented false',
    given: (ca) => (atCa(ca, 'valid'), [acmeIssuer(), nginx, challenge(WEB, { state: 'valid', presented: true, processing: true })]),
    caCalls: [],
    writes: ['delete Ingress', 'delete Service'],
    status: { state: 'valid', presented: false, processing: false },
  },
  {
    name: 'every challenge slot taken (--max-concurrent-challenges=1): waits its turn with the reason, nothing presented',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB), challenge('www.example.test', presented, { uid: 'www-uid' })]),
    config: { maxConcurrentChallenges: 1 },
    caCalls: [],
    writes: [],
    status: { state: 'pending', processing: false, reason: /^Waiting for a free challenge slot: 1 challenges are being presented/ },
  },
  {
    name: 'the accept is refused because the CA already moved on (an earlier accept): progress, looked at again at once',
    given: (ca) => {
      atCa(ca, 'pending');
      ca.failNext.accept = () => {
        ca.challenges.get(URL)!.status = 'valid';
        return problem('malformed', 'Cannot update challenge with status valid');
      };
      return [acmeIssuer(), nginx, challenge(WEB, presented)];
    },
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: [],
    requeue: 0,
  },
  {
    name: 'the CA rate-limits the accept: the reason says so, and the retry waits for Retry-After',
    given: (ca) => {
      atCa(ca, 'pending');
      ca.failNext.accept = problem('rateLimited', 'too many new authorizations', 429, 120_000);
      return [acmeIssuer(), nginx, challenge(WEB, presented)];
    },
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: [],
    status: { reason: 'urn:ietf:params:acme:error:rateLimited: too many new authorizations' },
    requeue: 120_000,
  },
  {
    name: "the CA refuses the accept for good: cleaned up, errored with the CA's words, no retry",
    given: (ca) => {
      atCa(ca, 'pending');
      ca.failNext.accept = problem('unauthorized', 'account is not authorized for this challenge', 403);
      return [acmeIssuer(), nginx, challenge(WEB, presented)];
    },
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: ['delete Ingress', 'delete Service'],
    status: { state: 'errored', presented: false, reason: 'urn:ietf:params:acme:error:unauthorized: account is not authorized for this challenge' },
  },
  {
    name: 'the CA does not answer (503) for a Challenge waiting on its route: nothing written, the error goes to the queue, which retries with backoff',
    given: (ca) => {
      atCa(ca, 'pending');
      ca.unreachable.add(URL);
      return [acmeIssuer(), nginx, challenge(WEB, { ...presented, reason: 'Waiting for HTTP-01 challenge propagation' })];
    },
    caCalls: [],
    writes: [],
    requeue: 'backoff',
  },
  {
    name: 'a new Challenge while the CA does not answer (503): presented without asking the CA first (the Order read its authorization as pending), the accept fails and goes to the queue',
    given: (ca) => {
      atCa(ca, 'pending');
      ca.unreachable.add(URL);
      ca.failNext.accept = problem('serverInternal', 'not answering', 503);
      return [acmeIssuer(), nginx, challenge(WEB)];
    },
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: ['create Service', 'create Ingress'],
    events: ['Challenge Normal Presented'],
    requeue: 'backoff',
  },
  {
    name: 'an IngressClass no controller serves: the reason says so, nothing accepted, looked at again in 30 s',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), challenge(WEB)]),
    caCalls: [],
    writes: ['create Service'],
    status: { processing: false, reason: /^IngressClass "nginx" not found: no ingress controller will serve the HTTP-01 route/ },
    requeue: 30_000,
  },
  {
    name: "a DNS-01 solver whose TSIG Secret is missing: the reason names it, Warnings on the Challenge and on the user's Certificate",
    given: (ca) => {
      atCa(ca, 'pending');
      const ch = challenge(WEB);
      ch.spec = { ...ch.spec, type: 'DNS-01', solver: dns01Solver, url: caUrls.challenge(WEB, 'dns-01'), token: caUrls.token(WEB, 'dns-01') };
      return [acmeIssuer([dns01Solver]), ch, ...chainToCertificate()];
    },
    caCalls: [],
    writes: [],
    status: { reason: /Secret apps\/tsig not found; create it with the credential under "secret"/, processing: false },
    events: ['Challenge Warning PresentError', 'Certificate Warning DNS01ProviderError'],
    requeue: 30_000,
  },

  // http01.gatewayHTTPRoute: an HTTPRoute attached to the Gateway instead of a solver Ingress.
  {
    name: 'gatewayHTTPRoute, pending at the CA and the route answers the key: solver Service and HTTPRoute made, Presented, accepted once',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), viaGateway()]),
    gatewayApi: true,
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: ['create Service', 'create HTTPRoute'],
    events: ['Challenge Normal Presented'],
    requeue: FIRST_LOOK,
    check: (w) => {
      const route = w.writes.find((x) => x.verb === 'create' && x.kind === 'HTTPRoute')!.body as HTTPRoute;
      assert.deepEqual(route.spec.parentRefs, [PUBLIC_GATEWAY], "attached to the solver's Gateway");
      assert.deepEqual(route.spec.hostnames, [WEB]);
      assert.deepEqual(route.spec.rules?.[0]?.matches, [{ path: { type: 'Exact', value: `/.well-known/acme-challenge/${TOKEN}` } }]);
      assert.equal(route.spec.rules?.[0]?.backendRefs?.[0]?.name, SOLVER_NAME(w), 'to the solver Service');
      assert.equal(route.metadata?.labels?.team, 'shop', "the solver's labels");
      assert.equal(route.metadata?.ownerReferences?.[0]?.uid, challenge(WEB).metadata.uid, 'owned by the Challenge');
    },
  },
  {
    name: 'gatewayHTTPRoute on a cluster that does not serve HTTPRoutes: the reason says so, nothing accepted, looked at again in 30 s',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), viaGateway()]),
    route: 'key',
    caCalls: [],
    writes: ['create Service'],
    status: {
      processing: false,
      reason: /^http01\.gatewayHTTPRoute needs Gateway API, and this cluster does not serve gateway\.networking\.k8s\.io\/v1 HTTPRoutes/,
    },
    requeue: 30_000,
  },
  {
    name: 'gatewayHTTPRoute with no parentRefs and no Gateway on the Certificate: the reason names both ways to give one, nothing accepted',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), withSolver({ gatewayHTTPRoute: {} })]),
    gatewayApi: true,
    route: 'key',
    caCalls: [],
    writes: ['create Service'],
    status: { processing: false, reason: /no parentRefs, and the Certificate names no Gateway/ },
    requeue: 30_000,
  },
  {
    name: 'gatewayHTTPRoute presented, its HTTPRoute deleted by someone and the self-check failing: the HTTPRoute is put back',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), viaGateway(presented)]),
    gatewayApi: true,
    caCalls: [],
    writes: ['create Service', 'create HTTPRoute'],
    status: { state: 'pending', presented: true, reason: /^Waiting for HTTP-01 challenge propagation: wrong status code '404'/ },
    requeue: SELF_CHECK,
  },
  {
    name: 'gatewayHTTPRoute validated by the CA: HTTPRoute and Service removed, valid, DomainVerified',
    given: (ca) => (atCa(ca, 'valid'), [acmeIssuer(), viaGateway({ ...presented, state: 'processing' })]),
    gatewayApi: true,
    caCalls: [],
    writes: ['delete HTTPRoute', 'delete Service'],
    status: { state: 'valid', presented: false, processing: false },
    events: ['Challenge Normal DomainVerified'],
  },
  {
    name: 'gatewayHTTPRoute deleted before it finished: HTTPRoute and Service removed, then the finalizer',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), viaGateway(presented, { deleting: true })]),
    gatewayApi: true,
    caCalls: [],
    writes: ['delete HTTPRoute', 'delete Service', 'patch Challenge'],
    finalizers: [],
  },

  // http01.ingress.name: the challenge path added to the user's own Ingress ("edit in place").
  {
    name: "edit in place, pending at the CA and the route answers the key: the path goes first into the user's Ingress (its own rule and tls kept), solver Service made, accepted once",
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), userIngress(), inPlace()]),
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: ['create Service', 'replace Ingress'],
    events: ['Challenge Normal Presented'],
    requeue: FIRST_LOOK,
    check: (w) => {
      assert.deepEqual(storedPaths(w), [`${WEB} /.well-known/acme-challenge/${TOKEN} /`]);
      const ing = w.stored<V1Ingress>(Resources.Ingress, NS, 'shop')!;
      assert.deepEqual(
        ing.spec!.rules![0]!.http!.paths.map((p) => p.pathType),
        ['Exact', 'Prefix'],
        "the challenge path Exact, the user's own path untouched",
      );
      assert.equal(ing.spec!.rules![0]!.http!.paths[0]!.backend.service!.name, SOLVER_NAME(w), 'to the solver Service');
      assert.deepEqual(ing.spec!.tls, [{ hosts: [WEB], secretName: 'shop-tls' }]);
      assert.equal(ing.metadata?.labels?.app, 'shop');
    },
  },
  {
    name: 'edit in place, the path already there (a previous pass): the Ingress is not written again',
    given: (ca) => {
      atCa(ca, 'pending');
      const ch = inPlace(presented);
      return [acmeIssuer(), userIngress(http01SolverName(ch.metadata.uid!, ch.metadata.name!)), ch];
    },
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: [],
    requeue: FIRST_LOOK,
  },
  {
    name: 'edit in place, the user edits the Ingress at the same moment (409): read again, the path added to their version',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), userIngress(), inPlace()]),
    meanwhileOnce: true,
    route: 'key',
    caCalls: [`accept ${URL}`],
    writes: ['create Service', 'replace Ingress', 'replace Ingress'],
    events: ['Challenge Normal Presented'],
    requeue: FIRST_LOOK,
    check: (w) => {
      assert.deepEqual(storedPaths(w), [`${WEB} /.well-known/acme-challenge/${TOKEN} /`]);
      assert.equal(w.stored<V1Ingress>(Resources.Ingress, NS, 'shop')!.metadata?.labels?.edited, 'by-user', "the user's edit kept");
    },
  },
  {
    name: 'edit in place naming an Ingress that does not exist: the reason names it, nothing accepted, looked at again in 30 s',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), inPlace()]),
    route: 'key',
    caCalls: [],
    writes: ['create Service'],
    status: { processing: false, reason: `Ingress ${NS}/shop named in http01.ingress.name (edit in place) not found` },
    requeue: 30_000,
  },
  {
    name: "edit in place validated by the CA: the path removed from the user's Ingress (the rest as it was), the Service removed",
    given: (ca) => {
      atCa(ca, 'valid');
      const ch = inPlace({ ...presented, state: 'processing' });
      return [acmeIssuer(), userIngress(http01SolverName(ch.metadata.uid!, ch.metadata.name!)), ch];
    },
    caCalls: [],
    writes: ['delete Service', 'replace Ingress'],
    status: { state: 'valid', presented: false, processing: false },
    events: ['Challenge Normal DomainVerified'],
    check: (w) => {
      assert.deepEqual(storedPaths(w), [`${WEB} /`]);
      assert.deepEqual(w.stored<V1Ingress>(Resources.Ingress, NS, 'shop')!.spec!.tls, [{ hosts: [WEB], secretName: 'shop-tls' }]);
    },
  },
  {
    name: 'edit in place deleted before it finished, the user already removed their Ingress: the Service removed, then the finalizer',
    given: (ca) => (atCa(ca, 'pending'), [acmeIssuer(), inPlace(presented, { deleting: true })]),
    caCalls: [],
    writes: ['delete Service', 'patch Challenge'],
    finalizers: [],
  },
];

/** A cluster serving Gateway API whose HTTPRoute cache has not seen the route yet (the API server is read instead). */
function routeCacheless(): GatewayApiSupport {
  const empty = { get: () => undefined, list: () => [] };
  return { caches: () => ({ gateways: empty, httpRoutes: empty }), onHttpRoute: () => {} } as unknown as GatewayApiSupport;
}

describe('Challenge controller', () => {
  let answers: Http01Answers;
  before(async () => {
    answers = await startHttp01Answers();
  });
  after(() => answers.close());

  for (const c of cases) {
    test(c.name, async () => {
      answers.serving.clear();
      if (c.route) answers.serving.set(TOKEN, c.route === 'key' ? KEY : 'something else');
      const ca = fakeCa();
      let raced = !c.meanwhileOnce;
      const w = fakeAcmeWorker(c.given(ca), ca, {
        now: NOW,
        config: { ...answers.config, ...c.config },
        refuse: (x) => {
          if (raced || x.verb !== 'replace' || x.kind !== 'Ingress') return undefined;
          raced = true;
          const theirs = w.stored<V1Ingress>(Resources.Ingress, NS, 'shop')!;
          w.changedElsewhere({ ...theirs, metadata: { ...theirs.metadata, labels: { ...theirs.metadata?.labels, edited: 'by-user' } } } as KubernetesObject);
          return new KubeApiError(409, 'Conflict', 'Operation cannot be fulfilled on Ingress "shop": the object has been modified', {});
        },
      });
      if (c.gatewayApi) w.ctx.gatewayApi = routeCacheless();
      const pass = createChallengeController(w.ctx).sync(`${NS}/${NAME}`);
      if (c.requeue === 'backoff') await assert.rejects(pass, /serverInternal/);
      else assert.equal((await pass)?.requeueAfterMs, c.requeue);

      assert.deepEqual(ca.calls, c.caCalls, 'requests that change something at the CA');
      const statusWrites = w.writes.filter((x) => x.kind === 'Challenge' && x.subresource === 'status');
      assert.deepEqual(
        w.writes.filter((x) => !statusWrites.includes(x)).map((x) => `${x.verb} ${x.kind}`),
        c.writes,
      );
      const stored = w.stored<Challenge>(Resources.Challenge, NS, NAME)!;
      if (c.status === undefined) assert.deepEqual(statusWrites, [], 'no status write');
      else
        for (const [field, want] of Object.entries(c.status)) {
          const got = stored.status?.[field as keyof ChallengeStatus];
          if (want instanceof RegExp) assert.match(String(got), want, `status.${field}`);
          else assert.equal(got, want, `status.${field}`);
        }
      if (c.finalizers) assert.deepEqual(stored.metadata.finalizers ?? [], c.finalizers);
      assert.deepEqual(
        w.events.map((e) => `${e.kind} ${e.type} ${e.reason}`),
        c.events ?? [],
      );
      // The route made for the Challenge sends its token's path on its host to the solver Service.
      const ingress = w.writes.find((x) => x.verb === 'create' && x.kind === 'Ingress')?.body as V1Ingress | undefined;
      const service = w.writes.find((x) => x.verb === 'create' && x.kind === 'Service')?.body as V1Service | undefined;
      if (ingress) {
        const rule = ingress.spec!.rules![0]!;
        assert.equal(rule.host, WEB);
        assert.equal(rule.http!.paths[0]!.path, `/.well-known/acme-challenge/${TOKEN}`);
        assert.equal(rule.http!.paths[0]!.backend.service!.name, service?.metadata?.name);
        assert.equal(ingress.spec!.ingressClassName, 'nginx');
      }
      c.check?.(w);
    });
  }

  test("--acme-http01-nameserver (cert-manager's --acme-http01-solver-nameservers): the HTTP-01 self-check resolves through it, not --acme-dns-nameserver", async () => {
    // A resolver that knows no name: the self-check fails if it asks this one.
    const nowhere = await startNxdomainResolver();
    try {
      answers.serving.clear();
      answers.serving.set(TOKEN, KEY);
      const ca = fakeCa();
      const config = {
        ...answers.config,
        acmeDnsNameserver: nowhere.address,
        acmeHttp01Nameserver: answers.config.acmeDnsNameserver,
      };
      const w = fakeAcmeWorker((atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB)]), ca, { now: NOW, config });
      assert.equal((await createChallengeController(w.ctx).sync(`${NS}/${NAME}`))?.requeueAfterMs, FIRST_LOOK);
      assert.deepEqual(ca.calls, [`accept ${URL}`], 'the self-check passed through the HTTP-01 resolver');
    } finally {
      await nowhere.close();
    }
  });

  test("--dns01-check-retry-period (cert-manager's flag): a DNS-01 challenge not yet visible is checked again after it", async () => {
    const nowhere = await startNxdomainResolver();
    try {
      const ca = fakeCa();
      atCa(ca, 'pending');
      const ch = challenge(WEB, presented);
      ch.spec = { ...ch.spec, type: 'DNS-01', solver: dns01Solver, url: caUrls.challenge(WEB, 'dns-01'), token: caUrls.token(WEB, 'dns-01') };
      const dns01 = { recursiveNameservers: [nowhere.address], recursiveOnly: true, authoritativePort: 53 };
      const requeue = async (checkRetryPeriodMs?: number) => {
        const w = fakeAcmeWorker([acmeIssuer([dns01Solver]), ch, ...chainToCertificate()], ca, {
          now: NOW,
          config: { ...answers.config, dns01: { ...dns01, checkRetryPeriodMs } },
        });
        const result = await createChallengeController(w.ctx).sync(`${NS}/${NAME}`);
        assert.match(w.stored<Challenge>(Resources.Challenge, NS, NAME)!.status!.reason!, /^Waiting for DNS-01 challenge propagation: /);
        return result?.requeueAfterMs;
      };
      assert.equal(await requeue(30_000), 30_000);
      assert.equal(await requeue(), SELF_CHECK, 'left out: twice the poll interval');
      assert.deepEqual(ca.calls, [], 'not accepted');
    } finally {
      await nowhere.close();
    }
  });

  /** Accepts the Challenge in a first pass, then runs a pass after each wait with the CA at the given state. */
  async function acceptThenPoll(steps: Array<{ afterMs: number; atCa: 'pending' | 'processing' | 'valid' }>) {
    answers.serving.clear();
    answers.serving.set(TOKEN, KEY);
    const ca = fakeCa();
    const w = fakeAcmeWorker((atCa(ca, 'pending'), [acmeIssuer(), nginx, challenge(WEB)]), ca, { now: NOW, config: answers.config });
    const ctrl = createChallengeController(w.ctx);
    const requeues = [(await ctrl.sync(`${NS}/${NAME}`))?.requeueAfterMs];
    for (const step of steps) {
      w.clock.advance(step.afterMs);
      ca.challenges.get(URL)!.status = step.atCa;
      requeues.push((await ctrl.sync(`${NS}/${NAME}`))?.requeueAfterMs);
    }
    const statusWrites = w.writes
      .filter((x) => x.kind === 'Challenge' && x.subresource === 'status')
      .map((x) => (x.body as { status: ChallengeStatus }).status);
    return { ca, requeues, statusWrites };
  }

  test('the CA validates within a poll interval of our accept: accepted once, looked at sooner and sooner, one status write (the final one)', async () => {
    const { ca, requeues, statusWrites } = await acceptThenPoll([
      { afterMs: FIRST_LOOK, atCa: 'pending' },
      { afterMs: FIRST_LOOK, atCa: 'processing' },
      { afterMs: 2 * FIRST_LOOK, atCa: 'valid' },
    ]);
    assert.deepEqual(ca.calls, [`accept ${URL}`]);
    assert.deepEqual(requeues, [FIRST_LOOK, FIRST_LOOK, 2 * FIRST_LOOK, undefined]);
    assert.deepEqual(
      statusWrites.map((st) => st.state),
      ['valid'],
    );
  });

  test('the CA takes longer than a poll interval: the Challenge says processing (presented, accepted) and is asked once per interval', async () => {
    const { ca, requeues, statusWrites } = await acceptThenPoll([
      { afterMs: FIRST_LOOK, atCa: 'processing' },
      { afterMs: POLL, atCa: 'processing' },
      { afterMs: POLL, atCa: 'processing' },
    ]);
    assert.deepEqual(ca.calls, [`accept ${URL}`]);
    assert.deepEqual(requeues, [FIRST_LOOK, FIRST_LOOK, POLL, POLL]);
    assert.equal(statusWrites.length, 1, 'processing is written once');
    assert.equal(statusWrites[0].state, 'processing');
    assert.equal(statusWrites[0].presented, true);
    assert.equal(statusWrites[0].processing, true);
    assert.match(String(statusWrites[0].reason), /^Accepted challenge/);
  });
});
