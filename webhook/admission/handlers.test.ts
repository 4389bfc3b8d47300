import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticClusterView } from '../cluster-view.ts';
import { defaultWebhookConfig, parseIssuerRef } from '../config.ts';
import { admissionReview, CERTIFICATE_KIND, decodePatch, GATEWAY_KIND, INGRESS_KIND } from '../../test/webhook/admission.ts';
import { handleMutate, handleValidate, type HandlerContext } from './handlers.ts';
import { jsonPatchApply } from './json-patch-apply.test-data.ts';
import { decodeReview } from './review.ts';

const namespaces = [
  { metadata: { name: 'plain' } },
  { metadata: { name: 'tls', labels: { 'certgate.io/tls': 'enforce' }, annotations: { 'certgate.io/default-issuer': 'Issuer.team-ca' } } },
  { metadata: { name: 'lenient', labels: { 'certgate.io/tls': 'warn' } } },
  { metadata: { name: 'quiet', labels: { 'certgate.io/tls': 'audit' } } },
  { metadata: { name: 'ignored', labels: { 'certgate.io/tls': 'off' } } },
];
const ctx = (over: Partial<HandlerContext['config']> = {}): HandlerContext => ({
  view: staticClusterView({
    namespaces,
    issuers: [{ metadata: { name: 'team-ca', namespace: 'tls' }, spec: { selfSigned: {} }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }],
  }),
  config: defaultWebhookConfig(over),
});

const badIngress = { metadata: { name: 'web' }, spec: { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['b.example.com'], secretName: 's' }] } };
const plainIngress = {
  metadata: { name: 'web', annotations: { team: 'x' } },
  spec: { rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }, { host: 'a.example.com' }] },
};
const req = (obj: unknown, namespace: string, kind = INGRESS_KIND, opts: { operation?: string; oldObject?: unknown } = {}) =>
  decodeReview(admissionReview(kind, obj, { namespace, ...opts }));

test('validate: modes per namespace label', () => {
  const enforce = handleValidate(req(badIngress, 'plain'), ctx());
  assert.equal(enforce.response.allowed, false);
  assert.equal(enforce.response.status?.code, 403);
  assert.match(enforce.response.status!.message, /\[tls-host-not-in-rules\] spec\.tls\[0\]\.hosts\[0\] "b\.example\.com"/);
  assert.deepEqual(enforce.outcomes, [
    { rule: 'tls-host-not-in-rules', result: 'denied' },
    { rule: 'rule-host-not-in-tls', result: 'denied' },
  ]);

  const warn = handleValidate(req(badIngress, 'lenient'), ctx());
  assert.equal(warn.response.allowed, true);
  assert.equal(warn.response.warnings?.length, 2);

  const audit = handleValidate(req(badIngress, 'quiet'), ctx());
  assert.deepEqual([audit.response.allowed, audit.response.warnings, audit.outcomes.map((o) => o.result)], [true, undefined, ['audited', 'audited']]);
  assert.match(audit.response.auditAnnotations!.findings, /tls-host-not-in-rules/);

  const off = handleValidate(req(badIngress, 'ignored'), ctx());
  assert.deepEqual(off.response, { uid: off.response.uid, allowed: true });

  assert.equal(handleValidate(req(badIngress, 'plain'), ctx({ mode: 'warn' })).response.allowed, true, 'cluster-wide warn');
});

test('validate: UPDATE does not block on problems the stored object already had', () => {
  const withLabel = { ...badIngress, metadata: { ...badIngress.metadata, labels: { a: 'b' } } };
  const r = handleValidate(req(withLabel, 'plain', INGRESS_KIND, { operation: 'UPDATE', oldObject: badIngress }), ctx());
  assert.equal(r.response.allowed, true);
  assert.equal(r.response.warnings?.length, 2);
  const worse = { ...badIngress, spec: { ...badIngress.spec, tls: [{ hosts: ['b.example.com', 'c.example.com'], secretName: 's' }] } };
  const r2 = handleValidate(req(worse, 'plain', INGRESS_KIND, { operation: 'UPDATE', oldObject: badIngress }), ctx());
  assert.equal(r2.response.allowed, false);
  assert.match(r2.response.status!.message, /c\.example\.com/);
  assert.doesNotMatch(r2.response.status!.message, /"b\.example\.com"/);
});

test('validate: other kinds, DELETE and objects being deleted are allowed untouched', () => {
  const pod = decodeReview(admissionReview({ group: '', version: 'v1', kind: 'Pod' }, { metadata: { name: 'p' } }, { namespace: 'plain' }));
  assert.deepEqual(handleValidate(pod, ctx()).response.allowed, true);
  assert.equal(handleValidate(req(badIngress, 'plain', INGRESS_KIND, { operation: 'DELETE' }), ctx()).response.allowed, true);
  const deleting = { ...badIngress, metadata: { ...badIngress.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
  assert.equal(handleValidate(req(deleting, 'plain', INGRESS_KIND, { operation: 'UPDATE', oldObject: deleting }), ctx()).response.allowed, true);
});

test('mutate: transparent TLS in a namespace labelled enforce uses the namespace default issuer', () => {
  const r = handleMutate(req(plainIngress, 'tls'), ctx());
  assert.equal(r.response.patchType, 'JSONPatch');
  const patched = jsonPatchApply(plainIngress, decodePatch(r.response));
  assert.deepEqual(patched.spec.tls, [{ hosts: ['a.example.com', 'b.example.com'], secretName: 'web-tls' }]);
  assert.deepEqual(patched.metadata.annotations, { team: 'x', 'cert-manager.io/issuer': 'team-ca' });
  assert.deepEqual(r.outcomes, [{ rule: 'transparent-tls', result: 'allowed' }]);
  // The patched Ingress passes validation (a rule host is never left out).
  assert.deepEqual(handleValidate(req(patched, 'tls'), ctx()).outcomes, [{ rule: 'none', result: 'allowed' }]);
});

test('mutate: cluster-wide transparent TLS uses --default-issuer; never touches existing tls or issuer', () => {
  const config = { transparentTls: true, defaultIssuer: parseIssuerRef('ClusterIssuer/letsencrypt-prod') };
  const r = handleMutate(req(plainIngress, 'plain'), ctx(config));
  const patched = jsonPatchApply(plainIngress, decodePatch(r.response));
  assert.equal(patched.metadata.annotations['cert-manager.io/cluster-issuer'], 'letsencrypt-prod');
  assert.equal(handleMutate(req(badIngress, 'plain'), ctx(config)).response.patch, undefined, 'own tls block kept');
  const own = { ...plainIngress, metadata: { name: 'web', annotations: { 'cert-manager.io/issuer': 'mine' } } };
  const p2 = jsonPatchApply(own, decodePatch(handleMutate(req(own, 'plain'), ctx(config)).response));
  assert.deepEqual(p2.metadata.annotations, { 'cert-manager.io/issuer': 'mine' });
  assert.equal(p2.spec.tls[0].secretName, 'web-tls');
  assert.equal(handleMutate(req(plainIngress, 'ignored'), ctx(config)).response.patch, undefined, 'namespace off');
  const optOut = { ...plainIngress, metadata: { name: 'web', annotations: { 'certgate.io/transparent-tls': 'false' } } };
  assert.equal(handleMutate(req(optOut, 'plain'), ctx(config)).response.patch, undefined, 'Ingress opt-out');
});

test('mutate: transparent TLS without any default issuer warns instead of guessing', () => {
  const r = handleMutate(req(plainIngress, 'plain'), ctx({ transparentTls: true }));
  assert.equal(r.response.patch, undefined);
  assert.match(r.response.warnings![0], /no default issuer; set --default-issuer/);
});

test('mutate: Certificate defaults made explicit, user values kept', () => {
  const cert = { metadata: { name: 'c' }, spec: { secretName: 's', dnsNames: ['a.example.com'], issuerRef: { name: 'i' } } };
  const patched = jsonPatchApply(cert, decodePatch(handleMutate(req(cert, 'plain', CERTIFICATE_KIND), ctx()).response));
  assert.deepEqual(patched.spec.privateKey, { algorithm: 'RSA', size: 2048, encoding: 'PKCS1', rotationPolicy: 'Always' });
  assert.deepEqual(patched.spec.usages, ['digital signature', 'key encipherment']);
  const ec = { ...cert, spec: { ...cert.spec, privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Never' }, usages: ['server auth'] } };
  const p2 = jsonPatchApply(ec, decodePatch(handleMutate(req(ec, 'plain', CERTIFICATE_KIND), ctx()).response));
  assert.deepEqual(p2.spec.privateKey, { algorithm: 'ECDSA', size: 256, encoding: 'PKCS1', rotationPolicy: 'Never' });
  assert.deepEqual(p2.spec.usages, ['server auth']);
  const done = handleMutate(req(p2, 'plain', CERTIFICATE_KIND), ctx());
  assert.equal(done.response.patch, undefined, 'idempotent: a defaulted Certificate gets no patch');
});

const plainGateway = {
  metadata: { name: 'edge', annotations: { team: 'x' } },
  spec: {
    gatewayClassName: 'example',
    listeners: [
      { name: 'http', protocol: 'HTTP', port: 80, hostname: 'a.example.com' },
      { name: 'a', protocol: 'HTTPS', port: 443, hostname: 'a.example.com' },
      { name: 'b', protocol: 'HTTPS', port: 443, hostname: 'b.example.com', tls: { mode: 'Terminate' } },
      { name: 'any', protocol: 'HTTPS', port: 8443 },
      { name: 'own', protocol: 'HTTPS', port: 9443, hostname: 'c.example.com', tls: { certificateRefs: [{ name: 'mine' }] } },
    ],
  },
};

test('gateway: an HTTPS listener without certificateRefs and without an issuer annotation is denied, with the fix', () => {
  const r = handleValidate(req(plainGateway, 'plain', GATEWAY_KIND), ctx());
  assert.equal(r.response.allowed, false);
  assert.match(
    r.response.status!.message,
    /\[listener-certificate-missing\] spec\.listeners\[1\]\.tls\.certificateRefs "a": this HTTPS listener has no certificateRefs/,
  );
  assert.deepEqual(r.outcomes, [{ rule: 'listener-certificate-missing', result: 'denied' }]);
  assert.equal(handleValidate(req(plainGateway, 'lenient', GATEWAY_KIND), ctx()).response.allowed, true, 'warn mode');
});

test('gateway: transparent TLS in a namespace labelled enforce gives the bare HTTPS listeners with a hostname a Secret and the issuer', () => {
  const r = handleMutate(req(plainGateway, 'tls', GATEWAY_KIND), ctx());
  assert.deepEqual(r.outcomes, [{ rule: 'transparent-tls', result: 'allowed' }]);
  const patched = jsonPatchApply(plainGateway, decodePatch(r.response));
  const ref = [{ group: '', kind: 'Secret', name: 'edge-tls' }];
  assert.deepEqual(
    patched.spec.listeners.map((l: any) => l.tls),
    [undefined, { mode: 'Terminate', certificateRefs: ref }, { mode: 'Terminate', certificateRefs: ref }, undefined, { certificateRefs: [{ name: 'mine' }] }],
  );
  assert.deepEqual(patched.metadata.annotations, { team: 'x', 'cert-manager.io/issuer': 'team-ca' });
  // The patched Gateway passes validation except for the listener without a hostname, which gets a warning.
  const v = handleValidate(req(patched, 'tls', GATEWAY_KIND), ctx());
  assert.equal(v.response.allowed, true);
  assert.deepEqual(v.outcomes, [{ rule: 'tls-hosts-missing', result: 'warned' }]);
  assert.match(v.response.warnings![0]!, /\[tls-hosts-missing\] spec\.listeners\[3\]\.hostname/);
});

test('gateway: transparent TLS leaves alone opted-out Gateways, namespaces not enforcing, and warns without a default issuer', () => {
  assert.equal(handleMutate(req(plainGateway, 'plain', GATEWAY_KIND), ctx()).response.patch, undefined, 'not enforcing');
  const optOut = { ...plainGateway, metadata: { name: 'edge', annotations: { 'certgate.io/transparent-tls': 'false' } } };
  assert.equal(handleMutate(req(optOut, 'tls', GATEWAY_KIND), ctx()).response.patch, undefined, 'opt-out');
  const r = handleMutate(req(plainGateway, 'plain', GATEWAY_KIND), ctx({ transparentTls: true }));
  assert.equal(r.response.patch, undefined);
  assert.match(r.response.warnings![0]!, /no default issuer; set --default-issuer/);
  const own = { ...plainGateway, metadata: { name: 'edge', annotations: { 'cert-manager.io/cluster-issuer': 'mine' } } };
  const p = jsonPatchApply(own, decodePatch(handleMutate(req(own, 'plain', GATEWAY_KIND), ctx({ transparentTls: true })).response));
  assert.deepEqual(p.metadata.annotations, { 'cert-manager.io/cluster-issuer': 'mine' }, 'its own issuer annotation is kept');
  assert.equal(p.spec.listeners[1].tls.certificateRefs[0].name, 'edge-tls');
});
