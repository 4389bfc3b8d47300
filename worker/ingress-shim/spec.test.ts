import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Ingress, V1IngressTLS } from '@kubernetes/client-node';
import { desiredCertificates, ingressIssuer } from './spec.ts';

const HTTP01_OVERRIDE_INGRESS_NAME = 'acme.cert-manager.io/http01-override-ingress-name';

function ingress(annotations: Record<string, string>, tls: V1IngressTLS[] | undefined = [{ hosts: ['a.example.test'], secretName: 'a-tls' }]): V1Ingress {
  return { metadata: { name: 'web', namespace: 'apps', uid: 'uid-1', annotations }, spec: { tls } };
}

describe('ingress shim: issuer', () => {
  const cases: Array<[string, Record<string, string>, unknown]> = [
    ['issuer', { 'cert-manager.io/issuer': 'ca' }, { name: 'ca', kind: 'Issuer', group: 'cert-manager.io' }],
    ['cluster-issuer', { 'cert-manager.io/cluster-issuer': 'le' }, { name: 'le', kind: 'ClusterIssuer', group: 'cert-manager.io' }],
    [
      'issuer with kind and group',
      { 'cert-manager.io/issuer': 'x', 'cert-manager.io/issuer-kind': 'ClusterIssuer', 'cert-manager.io/issuer-group': 'cert-manager.io' },
      { name: 'x', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    ],
    ['tls-acme uses the default issuer', { 'kubernetes.io/tls-acme': 'true' }, { name: 'default', kind: 'ClusterIssuer', group: 'cert-manager.io' }],
    ['not annotated', {}, undefined],
  ];
  for (const [name, a, want] of cases)
    it(name, () => assert.deepEqual(ingressIssuer(ingress(a), { name: 'default', kind: 'ClusterIssuer', group: 'cert-manager.io' }), want));

  it('both issuer annotations is an error', () => {
    assert.throws(() => ingressIssuer(ingress({ 'cert-manager.io/issuer': 'a', 'cert-manager.io/cluster-issuer': 'b' })), /use one/);
  });
  it('tls-acme without a default issuer is an error', () => {
    assert.throws(() => ingressIssuer(ingress({ 'kubernetes.io/tls-acme': 'true' })), /no --default-issuer/);
  });
});

describe('ingress shim: desired Certificates', () => {
  const issuer = { name: 'ca', kind: 'Issuer' as const, group: 'cert-manager.io' };

  it('one Certificate per secretName, owned by the Ingress, annotations honoured', () => {
    const { certificates: certs } = desiredCertificates(
      ingress(
        {
          'cert-manager.io/common-name': 'a.example.test',
          'cert-manager.io/duration': '48h',
          'cert-manager.io/renew-before': '12h',
          'cert-manager.io/private-key-algorithm': 'ECDSA',
          'cert-manager.io/private-key-size': '384',
          'cert-manager.io/private-key-rotation-policy': 'Never',
          'cert-manager.io/private-key-encoding': 'PKCS8',
          'cert-manager.io/usages': 'digital signature, server auth',
          'cert-manager.io/subject-organizations': 'Acme',
          'acme.cert-manager.io/http01-edit-in-place': 'true',
        },
        [
          { hosts: ['a.example.test', 'www.a.example.test'], secretName: 'a-tls' },
          { hosts: ['b.example.test'], secretName: 'b-tls' },
        ],
      ),
      issuer,
    );
    assert.deepEqual(
      certs.map((c) => [c.metadata.name, c.spec.dnsNames]),
      [
        ['a-tls', ['a.example.test', 'www.a.example.test']],
        ['b-tls', ['b.example.test']],
      ],
    );
    const a = certs[0];
    assert.equal(a.spec.secretName, 'a-tls');
    assert.deepEqual(a.spec.issuerRef, { name: 'ca', kind: 'Issuer', group: 'cert-manager.io' });
    assert.equal(a.spec.commonName, 'a.example.test');
    assert.equal(a.spec.duration, '48h');
    assert.equal(a.spec.renewBefore, '12h');
    assert.deepEqual(a.spec.privateKey, { algorithm: 'ECDSA', size: 384, rotationPolicy: 'Never', encoding: 'PKCS8' });
    assert.deepEqual(a.spec.usages, ['digital signature', 'server auth']);
    assert.deepEqual(a.spec.subject, { organizations: ['Acme'] });
    assert.deepEqual(a.metadata.ownerReferences, [
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'web', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(a.metadata.annotations![HTTP01_OVERRIDE_INGRESS_NAME], 'web');
  });

  const bad: Array<[string, Record<string, string>, V1IngressTLS[] | undefined, RegExp]> = [
    [
      'two tls entries sharing a secretName',
      {},
      [
        { hosts: ['a.test'], secretName: 'x' },
        { hosts: ['b.test'], secretName: 'x' },
      ],
      /must only appear in a single TLS entry/,
    ],
    ['bad duration', { 'cert-manager.io/duration': 'soon' }, undefined, /cert-manager.io\/duration: invalid duration/],
    ['bad algorithm', { 'cert-manager.io/private-key-algorithm': 'DSA' }, undefined, /is not RSA, ECDSA or Ed25519/],
    ['bad size', { 'cert-manager.io/private-key-size': 'big' }, undefined, /is not a key size|is not an RSA key size/],
    ['bad rotation policy', { 'cert-manager.io/private-key-rotation-policy': 'Sometimes' }, undefined, /is not Always or Never/],
  ];
  for (const [name, a, tls, want] of bad) {
    it(`rejects ${name}`, () => assert.throws(() => desiredCertificates(ingress(a, tls ?? undefined), issuer), want));
  }
});
