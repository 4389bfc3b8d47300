// The ingress shim controller as a table (cert-manager's trigger_controller_test.go shape): the
// Ingresses, Certificates and Namespaces in the caches; the writes it makes (Certificates created,
// updated, deleted; the Ingress patched for transparent TLS), the Events on the Ingress and the
// requeue out. planIngress's own decisions are cert-manager's sync table (cert-manager-sync.test.ts);
// these cases are about the controller around it: what reaches the API server, and what a refused
// or failed write does.
import { describe } from 'node:test';
import type { V1Ingress, V1IngressTLS, V1Namespace } from '@kubernetes/client-node';
import type { Certificate } from '../../api/types.generated.ts';
import { ingress, ingressRule } from '../../test/fixtures.ts';
import { Resources, tlsSecret } from '../../test/worker/fake-context.ts';
import { apiServerDown, madeFor, refusedByWebhook, runShimCases, type ShimCase } from '../../test/worker/shim-table.ts';
import { createIngressShimController } from './controller.ts';

const NS = 'apps';
const UID = 'ingress-web-uid';
const LE = { 'cert-manager.io/cluster-issuer': 'letsencrypt' };

/** The Ingress "web" with these tls entries (one rule per host) and annotations. */
function web(tls: V1IngressTLS[], annotations: Record<string, string> | undefined = LE, extra: Partial<V1Ingress['metadata']> = {}): V1Ingress {
  const hosts = tls.flatMap((t) => t.hosts ?? []);
  const i = ingress(
    NS,
    'web',
    { rules: (hosts.length ? hosts : ['web.example.test']).map((h) => ingressRule(h)), ...(tls.length ? { tls } : {}) },
    annotations,
  );
  i.metadata = { ...i.metadata, uid: UID, creationTimestamp: new Date('2026-01-01T00:00:00Z'), ...extra };
  return i;
}

const OWNER = { kind: 'Ingress', namespace: NS, name: 'web', uid: UID } as const;
/** A Certificate the shim made for Ingress "web" earlier, or, with someoneElse, one it did not make. */
const shimCertificate = (secretName: string, dnsNames: string[], issuer = 'letsencrypt', someoneElse = false): Certificate =>
  madeFor(someoneElse ? { ...OWNER, uid: null } : OWNER, secretName, dnsNames, { issuer });

const namespace = (labels: Record<string, string>, annotations: Record<string, string> = {}): V1Namespace => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: NS, labels, annotations },
});

const cases: ShimCase[] = [
  {
    name: 'an annotated Ingress with one tls entry: its Certificate is created, owned by the Ingress',
    objects: [web([{ hosts: ['web.example.test'], secretName: 'web-tls' }])],
    writes: ['create Certificate web-tls'],
    certificates: {
      'web-tls': { secretName: 'web-tls', dnsNames: ['web.example.test'], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' } },
    },
    events: ['Normal CreateCertificate'],
    message: /Successfully created Certificate "web-tls"/,
  },
  {
    name: 'an Ingress without cert-manager.io annotations: left alone',
    objects: [web([{ hosts: ['web.example.test'], secretName: 'web-tls' }], {})],
    writes: [],
    certificates: { 'web-tls': null },
    events: [],
  },
  {
    name: 'the Certificate already says what the Ingress says: no write, no Event',
    objects: [web([{ hosts: ['web.example.test'], secretName: 'web-tls' }]), shimCertificate('web-tls', ['web.example.test'])],
    writes: [],
    events: [],
  },
  {
    name: 'a host added to the tls entry: the Certificate is updated to cover it',
    objects: [web([{ hosts: ['web.example.test', 'www.example.test'], secretName: 'web-tls' }]), shimCertificate('web-tls', ['web.example.test'])],
    writes: ['replace Certificate web-tls'],
    certificates: { 'web-tls': { dnsNames: ['web.example.test', 'www.example.test'] } },
    events: ['Normal UpdateCertificate'],
  },
  {
    name: 'the issuer annotation changed: the Certificate is pointed at the new issuer',
    objects: [web([{ hosts: ['web.example.test'], secretName: 'web-tls' }]), shimCertificate('web-tls', ['web.example.test'], 'letsencrypt-staging')],
    writes: ['replace Certificate web-tls'],
    certificates: { 'web-tls': { issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' } } },
    events: ['Normal UpdateCertificate'],
  },
  {
    name: 'a tls entry removed: its Certificate is deleted, its Secret kept',
    objects: [
      web([{ hosts: ['web.example.test'], secretName: 'web-tls' }]),
      shimCertificate('web-tls', ['web.example.test']),
      shimCertificate('api-tls', ['api.example.test']),
      tlsSecret(NS, 'api-tls', { cert: 'CERT', key: 'KEY' }),
    ],
    writes: ['delete Certificate api-tls'],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'] }, 'api-tls': null },
    events: ['Normal DeleteCertificate'],
    message: /Successfully deleted unrequired Certificate "api-tls"/,
  },
  {
    name: 'the issuer annotation removed: the Certificates the Ingress asked for are deleted',
    objects: [web([{ hosts: ['web.example.test'], secretName: 'web-tls' }], {}), shimCertificate('web-tls', ['web.example.test'])],
    writes: ['delete Certificate web-tls'],
    certificates: { 'web-tls': null },
    events: ['Normal DeleteCertificate'],
  },
  {
    name: 'the Ingress is gone: its Certificates are deleted, with no Event (there is nothing to record it on)',
    objects: [shimCertificate('web-tls', ['web.example.test'])],
    writes: ['delete Certificate web-tls'],
    certificates: { 'web-tls': null },
    events: [],
  },
  {
    name: 'the Ingress is being deleted (after a last edit): its Certificates are left to the garbage collector, not updated',
    objects: [
      web([{ hosts: ['web.example.test', 'www.example.test'], secretName: 'web-tls' }], LE, {
        deletionTimestamp: new Date('2026-01-01T00:00:00Z'),
        finalizers: ['foregroundDeletion'],
      }),
      shimCertificate('web-tls', ['web.example.test']),
    ],
    writes: [],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'] } },
    events: [],
  },
  {
    name: 'a Certificate of that name made by someone else: left alone, with a Warning',
    objects: [web([{ hosts: ['web.example.test'], secretName: 'web-tls' }]), shimCertificate('web-tls', ['other.example.test'], 'letsencrypt', true)],
    writes: [],
    certificates: { 'web-tls': { dnsNames: ['other.example.test'] } },
    events: ['Warning BadConfig'],
    message: /Certificate "web-tls" exists and is not owned by this Ingress/,
  },
  {
    name: 'conflicting issuer annotations: a Warning, and the Certificate made earlier is kept as it is',
    objects: [
      web([{ hosts: ['web.example.test', 'www.example.test'], secretName: 'web-tls' }], { ...LE, 'cert-manager.io/issuer': 'ca' }),
      shimCertificate('web-tls', ['web.example.test']),
    ],
    writes: [],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'] } },
    events: ['Warning BadConfig'],
    message: /both "cert-manager.io\/issuer" and "cert-manager.io\/cluster-issuer" may not be set/,
  },
  {
    name: 'a tls entry without hosts: a Warning for it, and the other entry still gets its Certificate',
    objects: [web([{ secretName: 'broken-tls' }, { hosts: ['web.example.test'], secretName: 'web-tls' }])],
    writes: ['create Certificate web-tls'],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'] }, 'broken-tls': null },
    events: ['Warning BadConfig', 'Normal CreateCertificate'],
  },
  {
    name: 'the webhook refuses the Certificate: a Warning with its reason and the fix, no success Event, no retry',
    objects: [web([{ hosts: ['web.example.test'], secretName: 'web-tls' }])],
    refuse: refusedByWebhook,
    writes: ['create Certificate web-tls'],
    certificates: { 'web-tls': null },
    events: ['Warning CertificateRefused'],
    message: /Could not create Certificate "web-tls": admission webhook .* denied the request.*Fix the Ingress's cert-manager.io annotations/,
  },
  {
    name: 'the API server is unavailable: the error goes to the queue, which retries with backoff',
    objects: [web([{ hosts: ['web.example.test'], secretName: 'web-tls' }])],
    refuse: apiServerDown,
    writes: ['create Certificate web-tls'],
    events: [],
    backoff: true,
  },
  {
    name: 'an older Ingress asks for the same Secret: a Warning naming it, and no Certificate for this one',
    objects: [
      web([{ hosts: ['web.example.test'], secretName: 'shared-tls' }]),
      ingress(NS, 'old', { rules: [ingressRule('old.example.test')], tls: [{ hosts: ['old.example.test'], secretName: 'shared-tls' }] }, LE),
    ].map((i, n) => (n === 1 ? { ...i, metadata: { ...i.metadata, creationTimestamp: new Date('2025-06-01T00:00:00Z') } } : i)),
    writes: [],
    certificates: { 'shared-tls': null },
    events: ['Warning SecretNameTaken'],
    message: /also requested by Ingress "old", which is older/,
  },
  {
    name: 'an older Ingress with conflicting issuer annotations asks for the same Secret: it claims nothing, and this one gets the Certificate',
    objects: [
      web([{ hosts: ['web.example.test'], secretName: 'shared-tls' }]),
      ingress(
        NS,
        'old',
        { rules: [ingressRule('old.example.test')], tls: [{ hosts: ['old.example.test'], secretName: 'shared-tls' }] },
        { ...LE, 'cert-manager.io/issuer': 'ca' },
      ),
    ].map((i, n) => (n === 1 ? { ...i, metadata: { ...i.metadata, creationTimestamp: new Date('2025-06-01T00:00:00Z') } } : i)),
    writes: ['create Certificate shared-tls'],
    certificates: { 'shared-tls': { dnsNames: ['web.example.test'] } },
    events: ['Normal CreateCertificate'],
  },
  {
    name: 'transparent TLS in a namespace labelled certgate.io/tls=enforce: the tls block and issuer are added, then the Certificate made',
    objects: [namespace({ 'certgate.io/tls': 'enforce' }, { 'certgate.io/default-issuer': 'ClusterIssuer.letsencrypt' }), web([], {})],
    writes: ['patch Ingress web', 'create Certificate web-tls'],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' } } },
    events: ['Normal TransparentTLS', 'Normal CreateCertificate'],
  },
  {
    name: 'transparent TLS while the user edits the Ingress: the stale patch fails its test, and the new version is patched instead',
    objects: [namespace({ 'certgate.io/tls': 'enforce' }, { 'certgate.io/default-issuer': 'ClusterIssuer.letsencrypt' }), web([], {})],
    meanwhile: (w) => {
      const edited = structuredClone(w.stored<V1Ingress>(Resources.Ingress, NS, 'web')!);
      edited.metadata!.labels = { team: 'web' };
      w.changedElsewhere(edited);
    },
    writes: ['patch Ingress web', 'patch Ingress web', 'create Certificate web-tls'],
    certificates: { 'web-tls': { dnsNames: ['web.example.test'] } },
    events: ['Normal TransparentTLS', 'Normal CreateCertificate'],
  },
  {
    name: 'transparent TLS with no default issuer anywhere: a Warning says what to set, nothing written',
    objects: [namespace({ 'certgate.io/tls': 'enforce' }), web([], {})],
    writes: [],
    events: ['Warning TransparentTLSSkipped'],
    message: /no default issuer/,
  },
];

describe('ingress shim controller', () => {
  runShimCases(cases, OWNER, (w) => createIngressShimController(w.ctx));
});
