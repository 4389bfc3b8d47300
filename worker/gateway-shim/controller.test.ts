// The gateway shim controller as a table (cert-manager's trigger_controller_test.go shape): the
// Gateway and Certificates in the caches; the Certificates it creates, updates and deletes, the
// Events on the Gateway and the requeue out. planGateway's own decisions are cert-manager's sync
// table (cert-manager-sync.test.ts); these cases are about what the controller around it does.
import { describe } from 'node:test';
import type { Gateway, Listener } from '../../api/gateway-api.generated.ts';
import type { Certificate } from '../../api/types.generated.ts';
import type { WorkerConfig } from '../config.ts';
import { testWorkerConfig } from '../../test/e2e/issuance-helpers.ts';
import { apiServerDown, madeFor, refusedByWebhook, runShimCases, type ShimCase } from '../../test/worker/shim-table.ts';
import { createGatewayShimController } from './controller.ts';

const NS = 'apps';
const OWNER = { kind: 'Gateway', namespace: NS, name: 'edge', uid: 'gateway-edge-uid' } as const;
const LE = { 'cert-manager.io/cluster-issuer': 'letsencrypt' };
/** What HTTP-01 needs on a Gateway's Certificate: its HTTPRoute attaches to this Gateway. */
const PARENT_REF = { 'acme.cert-manager.io/http01-parentrefkind': 'Gateway', 'acme.cert-manager.io/http01-parentrefname': 'edge' };

/** An HTTPS listener terminating TLS with the Secret `secret`. */
function https(name: string, hostname: string, secret: string, more: Partial<Listener> = {}): Listener {
  return { name, hostname, port: 443, protocol: 'HTTPS', tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: secret }] }, ...more };
}

function edge(listeners: Listener[], annotations: Record<string, string> = LE, extra: Partial<Gateway['metadata']> = {}): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: NS, uid: OWNER.uid, annotations, ...extra },
    spec: { gatewayClassName: 'edge-class', listeners },
  } as Gateway;
}

/** A Certificate the shim made for Gateway "edge" earlier, or, with someoneElse, one it did not make. */
const shimCertificate = (secretName: string, dnsNames: string[], someoneElse = false): Certificate =>
  madeFor(someoneElse ? { ...OWNER, uid: null } : OWNER, secretName, dnsNames, { annotations: PARENT_REF });

const withExtraProtocols = (extraProtocols: string[]): Partial<WorkerConfig> => ({
  gatewayApi: { ...testWorkerConfig('table-test').gatewayApi, extraProtocols },
});

const cases: ShimCase[] = [
  {
    name: 'an annotated Gateway with an HTTPS listener: its Certificate is created, owned by the Gateway, with the annotations HTTP-01 needs to attach its route',
    objects: [edge([https('web', 'web.example.test', 'web-tls')])],
    writes: ['create Certificate web-tls'],
    certificates: {
      'web-tls': {
        secretName: 'web-tls',
        dnsNames: ['web.example.test'],
        issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
        annotations: PARENT_REF,
      },
    },
    events: ['Normal CreateCertificate'],
    message: /Successfully created Certificate "web-tls"/,
  },
  {
    name: 'two listeners sharing one Secret: one Certificate covering both hostnames',
    objects: [edge([https('web', 'web.example.test', 'shared-tls'), https('www', 'www.example.test', 'shared-tls')])],
    writes: ['create Certificate shared-tls'],
    certificates: { 'shared-tls': { dnsNames: ['web.example.test', 'www.example.test'] } },
    events: ['Normal CreateCertificate'],
  },
  {
    name: 'a Gateway without cert-manager.io annotations: left alone',
    objects: [edge([https('web', 'web.example.test', 'web-tls')], {})],
    writes: [],
    certificates: { 'web-tls': null },
    events: [],
  },
  {
    name: 'the Certificate already says what the Gateway says: no write, no Event',
    objects: [edge([https('web', 'web.example.test', 'web-tls')]), shimCertificate('web-tls', ['web.example.test'])],
    writes: [],
    events: [],
  },
  {
    name: "a listener's hostname changed: the Certificate is updated to the new name",
    objects: [edge([https('web', 'shop.example.test', 'web-tls')]), shimCertificate('web-tls', ['web.example.test'])],
    writes: ['replace Certificate web-tls'],
    certificates: { 'web-tls': { dnsNames: ['shop.example.test'], annotations: PARENT_REF } },
    events: ['Normal UpdateCertificate'],
  },
  {
    name: 'a listener removed: its Certificate is deleted, the other kept',
    objects: [
      edge([https('web', 'web.example.test', 'web-tls')]),
      shimCertificate('web-tls', ['web.example.test']),
      shimCertificate('api-tls', ['api.example.test']),
    ],
    writes: ['delete Certificate api-tls'],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'] }, 'api-tls': null },
    events: ['Normal DeleteCertificate'],
  },
  {
    name: 'the Gateway is gone: its Certificates are deleted, with no Event',
    objects: [shimCertificate('web-tls', ['web.example.test'])],
    writes: ['delete Certificate web-tls'],
    certificates: { 'web-tls': null },
    events: [],
  },
  {
    name: 'the Gateway is being deleted (after a last edit): its Certificates are left to the garbage collector, not updated',
    objects: [
      edge([https('web', 'shop.example.test', 'web-tls')], LE, { deletionTimestamp: new Date('2026-01-01T00:00:00Z'), finalizers: ['foregroundDeletion'] }),
      shimCertificate('web-tls', ['web.example.test']),
    ],
    writes: [],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'] } },
    events: [],
  },
  {
    name: 'a Passthrough listener: no Certificate, and a Normal Event says the backend terminates TLS',
    objects: [edge([https('db', 'db.example.test', 'db-tls', { protocol: 'TLS', tls: { mode: 'Passthrough' } })])],
    writes: [],
    certificates: { 'db-tls': null },
    events: ['Normal SkippedListener'],
    message: /Skipped listener "db" \(spec.listeners\[0\]\): tls.mode is Passthrough/,
  },
  {
    name: 'a listener naming a Secret in another namespace: a Warning for it, and the other listener still gets its Certificate',
    objects: [
      edge([
        https('web', 'web.example.test', 'web-tls'),
        https('ops', 'ops.example.test', 'ops-tls', { tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'ops-tls', namespace: 'ops' }] } }),
      ]),
    ],
    writes: ['create Certificate web-tls'],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'] }, 'ops-tls': null },
    events: ['Warning BadConfig', 'Normal CreateCertificate'],
  },
  {
    name: 'a listener named in cert-manager.io/ignore-tls-listeners: its Certificate made earlier is deleted',
    objects: [
      edge([https('web', 'web.example.test', 'web-tls'), https('legacy', 'legacy.example.test', 'legacy-tls')], {
        ...LE,
        'cert-manager.io/ignore-tls-listeners': 'legacy',
      }),
      shimCertificate('web-tls', ['web.example.test']),
      shimCertificate('legacy-tls', ['legacy.example.test']),
    ],
    writes: ['delete Certificate legacy-tls'],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'] }, 'legacy-tls': null },
    events: ['Normal DeleteCertificate'],
  },
  {
    name: 'a Certificate of that name made by someone else: left alone, with a Warning',
    objects: [edge([https('web', 'web.example.test', 'web-tls')]), shimCertificate('web-tls', ['other.example.test'], true)],
    writes: [],
    certificates: { 'web-tls': { dnsNames: ['other.example.test'] } },
    events: ['Warning BadConfig'],
    message: /Certificate "web-tls" exists and is not owned by this Gateway/,
  },
  {
    name: 'a listener protocol the cluster declares as TLS (--gateway-api-extra-protocols): it gets a Certificate',
    objects: [edge([https('quic', 'quic.example.test', 'quic-tls', { protocol: 'example.com/QUIC' })])],
    config: withExtraProtocols(['example.com/QUIC']),
    writes: ['create Certificate quic-tls'],
    certificates: { 'quic-tls': { dnsNames: ['quic.example.test'] } },
    events: ['Normal CreateCertificate'],
  },
  {
    name: 'the same listener protocol without the flag: no Certificate',
    objects: [edge([https('quic', 'quic.example.test', 'quic-tls', { protocol: 'example.com/QUIC' })])],
    writes: [],
    certificates: { 'quic-tls': null },
    events: [],
  },
  {
    name: 'the webhook refuses the Certificate: a Warning with its reason and the fix, no success Event, no retry',
    objects: [edge([https('web', 'web.example.test', 'web-tls')])],
    refuse: refusedByWebhook,
    writes: ['create Certificate web-tls'],
    certificates: { 'web-tls': null },
    events: ['Warning CertificateRefused'],
    message: /Could not create Certificate "web-tls": admission webhook .* denied the request.*Fix the Gateway's cert-manager.io annotations or the listener/,
  },
  {
    name: 'the API server is unavailable: the error goes to the queue, which retries with backoff',
    objects: [edge([https('web', 'web.example.test', 'web-tls')])],
    refuse: apiServerDown,
    writes: ['create Certificate web-tls'],
    events: [],
    backoff: true,
  },
];

describe('gateway shim controller', () => {
  runShimCases(cases, OWNER, (w) => createGatewayShimController(w.ctx, w.cacheOf<Gateway>('Gateway')));
});
