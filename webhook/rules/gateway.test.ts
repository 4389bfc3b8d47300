// Gateway rules: accept and deny cases per rule, with the message a user reads, plus the other
// direction of the shared-Secret rule (Ingresses and Certificates see Gateways).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StaticObjects } from '../cluster-view.ts';
import { formatFinding } from './ids.ts';
import { validateCertificate } from './certificate.ts';
import { validateGateway } from './gateway.ts';
import { validateIngress } from './ingress.ts';
import { certificate, gateway, httpsListener, ingress, view } from './fixtures.test-data.ts';

const opts = { productionLabel: { key: 'certgate.io/environment', value: 'production' } };
const CI = { 'cert-manager.io/cluster-issuer': 'le-prod' };
const grant = (namespace: string, fromNamespace: string, secretName?: string) => ({
  apiVersion: 'gateway.networking.k8s.io/v1beta1',
  kind: 'ReferenceGrant',
  metadata: { name: `from-${fromNamespace}`, namespace },
  spec: {
    from: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: fromNamespace }],
    to: [{ group: '', kind: 'Secret', ...(secretName ? { name: secretName } : {}) }],
  },
});
// A cluster with Gateway API: an annotated Gateway that writes "gw-secret", a Certificate for
// shop.example.com and one for *.example.com, and grants in namespace "certs".
const cluster: StaticObjects = {
  gateways: [gateway('edge', [httpsListener('https', 'edge.example.com', ['gw-secret'])], CI)],
  certificates: [
    certificate('shop', { secretName: 'shop-tls', dnsNames: ['shop.example.com'], issuerRef: { name: 'le-prod', kind: 'ClusterIssuer' } }),
    certificate('wild', { secretName: 'wild-tls', dnsNames: ['*.example.com'], issuerRef: { name: 'le-dns', kind: 'ClusterIssuer' } }),
  ],
  referenceGrants: [grant('certs', 'apps', 'shared-cert'), grant('certs', 'other-team')],
};
const run = (obj: unknown, extra: StaticObjects = cluster) => validateGateway(obj, view(extra), opts);

test('gateway rules: correct Gateways have no findings', () => {
  assert.deepEqual(run(gateway('web', [httpsListener('https', 'a.example.com', ['web-tls'])], CI)), [], 'annotated, its own Secret');
  assert.deepEqual(
    run(gateway('web', [httpsListener('a', 'a.example.com', ['web-tls']), httpsListener('b', 'b.example.com', ['web-tls'])], CI)),
    [],
    'two listeners, one Secret',
  );
  assert.deepEqual(
    run(gateway('web', [httpsListener('https', 'shop.example.com', ['shop-tls'])])),
    [],
    'not annotated, a Certificate covering the hostname writes the Secret',
  );
  assert.deepEqual(run(gateway('web', [httpsListener('https', 'api.example.com', ['wild-tls'])])), [], 'a wildcard Certificate covers one label');
  assert.deepEqual(run(gateway('web', [httpsListener('https', 'a.example.com', ['bought-cert'])])), [], 'a Secret nobody issues into (managed by hand)');
  assert.deepEqual(
    run(gateway('web', [httpsListener('https', 'a.example.com', [{ name: 'shared-cert', namespace: 'certs' }])])),
    [],
    'cross-namespace with a ReferenceGrant for that Secret',
  );
  assert.deepEqual(
    run(gateway('web', [httpsListener('https', 'a.example.com', [{ name: 'any', namespace: 'certs' }])], {}, { namespace: 'other-team' })),
    [],
    'a grant for every Secret of the namespace',
  );
  assert.deepEqual(run(gateway('web', [{ name: 'http', protocol: 'HTTP', port: 80, hostname: 'a.example.com' }])), [], 'plain HTTP');
  assert.deepEqual(
    run(gateway('web', [{ name: 'pass', protocol: 'TLS', port: 443, hostname: 'a.example.com', tls: { mode: 'Passthrough' } }])),
    [],
    'TLS passthrough needs no certificate',
  );
  assert.deepEqual(
    run(gateway('web', [httpsListener('https', '*.example.com', ['wild'])], { 'cert-manager.io/cluster-issuer': 'le-dns' })),
    [],
    'wildcard with a DNS-01 issuer',
  );
  const own = certificate('gw-secret', { secretName: 'gw-secret', dnsNames: ['edge.example.com'] }, 'apps', {
    ownerReferences: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'edge', uid: 'u' }],
  });
  assert.deepEqual(
    run(gateway('edge', [httpsListener('https', 'edge.example.com', ['gw-secret'])], CI), { ...cluster, certificates: [own] }),
    [],
    'itself and the Certificate its shim made are no conflict',
  );
});

test('gateway rules: without Gateway API caches (referenceGrants unknown) a cross-namespace reference is not judged', () => {
  const findings = run(gateway('web', [httpsListener('https', 'a.example.com', [{ name: 'x', namespace: 'nowhere' }])]), {
    ...cluster,
    referenceGrants: undefined,
  });
  assert.deepEqual(findings, []);
});

const cases: Array<{ name: string; obj: unknown; extra?: StaticObjects; rule: string; field: string; severity?: 'deny' | 'warn'; text: RegExp }> = [
  {
    name: 'hostname not in the Certificate that writes the Secret',
    obj: gateway('web', [httpsListener('https', 'api.example.com', ['shop-tls'])]),
    rule: 'listener-host-not-in-certificate',
    field: 'spec.listeners[0].hostname',
    text: /"api\.example\.com": Secret "shop-tls" gets its certificate from Certificate "shop", for shop\.example\.com, which does not cover this hostname.*add the hostname to that Certificate's dnsNames/,
  },
  {
    name: 'hostname not in the Ingress-issued Secret',
    obj: gateway('web', [httpsListener('https', 'api.example.com', ['taken-by-ingress'])]),
    rule: 'listener-host-not-in-certificate',
    field: 'spec.listeners[0].hostname',
    text: /from Ingress "other", for x\.example\.com/,
  },
  {
    name: 'a wildcard hostname is not covered by a certificate one label down',
    obj: gateway('web', [httpsListener('https', '*.shop.example.com', ['wild-tls'])]),
    rule: 'listener-host-not-in-certificate',
    field: 'spec.listeners[0].hostname',
    text: /for \*\.example\.com, which does not cover/,
  },
  {
    name: 'annotated, but an unowned Certificate keeps the Secret and does not cover the hostname',
    obj: gateway('web', [httpsListener('https', 'api.example.com', ['shop-tls'])], CI),
    rule: 'listener-host-not-in-certificate',
    field: 'spec.listeners[0].hostname',
    text: /from Certificate "shop"/,
  },
  {
    name: 'Secret in another namespace without a ReferenceGrant',
    obj: gateway('web', [httpsListener('https', 'a.example.com', [{ name: 'other-cert', namespace: 'certs' }])]),
    rule: 'certificate-ref-not-permitted',
    field: 'spec.listeners[0].tls.certificateRefs[0].namespace',
    text: /"certs": no ReferenceGrant in namespace "certs" lets Gateways from "apps" use Secret "other-cert".*RefNotPermitted.*create one there/,
  },
  {
    name: 'Secret in a namespace without any ReferenceGrant',
    obj: gateway('web', [httpsListener('https', 'a.example.com', [{ name: 'c', namespace: 'empty' }])]),
    rule: 'certificate-ref-not-permitted',
    field: 'spec.listeners[0].tls.certificateRefs[0].namespace',
    text: /no ReferenceGrant in namespace "empty"/,
  },
  {
    name: 'two Gateways writing one Secret',
    obj: gateway('web', [httpsListener('https', 'a.example.com', ['gw-secret'])], CI),
    rule: 'secret-name-conflict',
    field: 'spec.listeners[0].tls.certificateRefs[0].name',
    text: /"gw-secret": Gateway "edge" also requests a certificate into this Secret.*reference a different Secret/,
  },
  {
    name: 'a Gateway writing the Secret of an Ingress',
    obj: gateway('web', [httpsListener('https', 'x.example.com', ['taken-by-ingress'])], CI),
    rule: 'secret-name-conflict',
    field: 'spec.listeners[0].tls.certificateRefs[0].name',
    text: /Ingress "other" also requests a certificate into this Secret/,
  },
  {
    name: 'a Gateway writing the Secret of an unowned Certificate',
    obj: gateway('web', [httpsListener('https', 'shop.example.com', ['shop-tls'])], CI),
    rule: 'secret-name-conflict',
    field: 'spec.listeners[0].tls.certificateRefs[0].name',
    severity: 'warn',
    text: /Certificate "shop" already writes this Secret and is not this Gateway's; it is left alone/,
  },
  {
    name: 'wildcard listener with an HTTP-01-only issuer',
    obj: gateway('web', [httpsListener('https', '*.example.com', ['w'])], CI),
    rule: 'wildcard-needs-dns01',
    field: 'spec.listeners[0].hostname',
    text: /"\*\.example\.com": ClusterIssuer "le-prod" only has HTTP-01 solvers.*add a dns01 solver/,
  },
  {
    name: 'issuer annotation naming a missing issuer',
    obj: gateway('web', [httpsListener('https', 'a.example.com', ['w'])], { 'cert-manager.io/cluster-issuer': 'letsencrypt-prd' }),
    rule: 'issuer-not-found',
    field: 'metadata.annotations["cert-manager.io/cluster-issuer"]',
    severity: 'warn',
    text: /no ClusterIssuer named "letsencrypt-prd" exists yet/,
  },
  {
    name: 'both issuer annotations',
    obj: gateway('web', [httpsListener('https', 'a.example.com', ['w'])], { ...CI, 'cert-manager.io/issuer': 'local' }),
    rule: 'issuer-annotation-conflict',
    field: 'metadata.annotations',
    text: /set only one of/,
  },
  {
    name: 'HTTPS listener without certificateRefs and no issuer annotation',
    obj: gateway('web', [{ name: 'https', protocol: 'HTTPS', port: 443, hostname: 'a.example.com' }]),
    rule: 'listener-certificate-missing',
    field: 'spec.listeners[0].tls.certificateRefs',
    text: /"https": this HTTPS listener has no certificateRefs and the Gateway has no cert-manager\.io\/cluster-issuer or cert-manager\.io\/issuer annotation, so nothing gives it a certificate/,
  },
  {
    name: 'TLS-terminating listener with an empty tls block',
    obj: gateway('web', [{ name: 'tls', protocol: 'TLS', port: 8443, hostname: 'a.example.com', tls: { mode: 'Terminate' } }]),
    rule: 'listener-certificate-missing',
    field: 'spec.listeners[0].tls.certificateRefs',
    text: /this TLS listener has no certificateRefs/,
  },
  {
    name: 'annotated, a listener without certificateRefs',
    obj: gateway('web', [httpsListener('a', 'a.example.com', ['w']), { name: 'b', protocol: 'HTTPS', port: 443, hostname: 'b.example.com' }], CI),
    rule: 'tls-secret-name-missing',
    field: 'spec.listeners[1].tls',
    severity: 'warn',
    text: /the listener has no tls block, so no certificate is made for this listener \(the others get theirs\)/,
  },
  {
    name: 'annotated, a listener without hostname',
    obj: gateway('web', [httpsListener('any', undefined, ['w'])], CI),
    rule: 'tls-hosts-missing',
    field: 'spec.listeners[0].hostname',
    severity: 'warn',
    text: /no hostname.*set the hostname the certificate should cover/,
  },
  {
    name: 'annotated, a permitted Secret in another namespace',
    obj: gateway('web', [httpsListener('https', 'a.example.com', [{ name: 'shared-cert', namespace: 'certs' }])], CI),
    rule: 'listener-not-issued',
    field: 'spec.listeners[0].tls.certificateRefs[0].namespace',
    severity: 'warn',
    text: /certificates are only issued into the Gateway's own namespace, so no certificate is made for this listener/,
  },
];

for (const c of cases) {
  test(`gateway rules: ${c.name} -> [${c.rule}]`, () => {
    const findings = run(c.obj, c.extra);
    const f = findings.find((x) => x.rule === c.rule);
    assert.ok(f, `expected ${c.rule}, got ${JSON.stringify(findings)}`);
    assert.equal(f.field, c.field);
    assert.equal(f.severity, c.severity ?? 'deny');
    assert.match(formatFinding(f), c.text);
  });
}

test('gateway rules: the other direction, an Ingress or a Certificate for the Secret an annotated Gateway writes is refused', () => {
  const ing = ingress('shop', { rules: [{ host: 'edge.example.com' }], tls: [{ hosts: ['edge.example.com'], secretName: 'gw-secret' }] }, CI);
  const fromIngress = validateIngress(ing, view(cluster), opts).find((f) => f.rule === 'secret-name-conflict');
  assert.ok(fromIngress, 'the Ingress rule sees the Gateway');
  assert.equal(fromIngress.severity, 'deny');
  assert.match(
    formatFinding(fromIngress),
    /\[secret-name-conflict\] spec\.tls\[0\]\.secretName "gw-secret": Gateway "edge" also requests a certificate into this Secret/,
  );

  const cert = certificate('mine', { secretName: 'gw-secret', dnsNames: ['edge.example.com'], issuerRef: { name: 'le-prod', kind: 'ClusterIssuer' } });
  const fromCert = validateCertificate(cert, view(cluster)).find((f) => f.rule === 'secret-name-conflict');
  assert.ok(fromCert, 'the Certificate rule sees the Gateway');
  assert.match(formatFinding(fromCert), /Gateway "edge" already requests a certificate into this Secret/);

  const shimmed = certificate(
    'gw-secret',
    { secretName: 'gw-secret', dnsNames: ['edge.example.com'], issuerRef: { name: 'le-prod', kind: 'ClusterIssuer' } },
    'apps',
    { ownerReferences: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: 'edge', uid: 'u' }] },
  );
  assert.deepEqual(
    validateCertificate(shimmed, view(cluster)).filter((f) => f.rule === 'secret-name-conflict'),
    [],
    "the gateway-shim's own Certificate",
  );
});

test('gateway rules: an Ingress without an issuer annotation only reads a Gateway-issued Secret: no conflict', () => {
  const ing = ingress('reader', { rules: [{ host: 'edge.example.com' }], tls: [{ hosts: ['edge.example.com'], secretName: 'gw-secret' }] });
  assert.deepEqual(validateIngress(ing, view(cluster), opts), []);
});

test('gateway rules: garbage shapes give findings or nothing, never an exception', () => {
  for (const listeners of [
    null,
    'x',
    [null, 7],
    [{ protocol: 'HTTPS', tls: 'x' }],
    [{ protocol: 'HTTPS', hostname: 5, tls: { certificateRefs: [null, { name: 3 }, { namespace: 'x' }] } }],
  ]) {
    assert.doesNotThrow(() => run(gateway('web', listeners as unknown[], CI)));
    assert.doesNotThrow(() => run(gateway('web', listeners as unknown[])));
  }
  assert.doesNotThrow(() => run({ kind: 'Gateway', metadata: 'x', spec: 3 }));
});
