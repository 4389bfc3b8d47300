// cert-manager's ingress-shim table (pkg/controller/certificate-shim/sync_test.go: TestSync's
// Ingress cases, TestIssuerForIngress, Test_hasShimAnnotation, Test_splitHosts), carried over as
// facts: the Ingress and Certificates going in, and what cert-manager creates, updates, deletes
// and records. Each case runs certgate's own decision (planIngress, what the worker's ingress shim
// carries out) and states certgate's outcome: the same as cert-manager's, or a deliberate
// difference naming the README rule ("Migrating from cert-manager", controller side).
// TestSync's Gateway cases are in worker/gateway-shim/cert-manager-sync.test.ts; its ListenerSet cases
// are not carried over (ListenerSet is in Gateway API's experimental channel, unsupported).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Ingress, V1IngressTLS } from '@kubernetes/client-node';
import type { Certificate, CertificateSpec } from '../../api/types.generated.ts';
import type { IssuerRef } from '../config.ts';
import { planIngress } from './plan.ts';
import {
  assertOutcome,
  cn,
  created,
  existingCertificate,
  NOTHING,
  ownerMeta,
  REFUSED,
  updated,
  withLabel,
  type CertOut,
  type Outcome,
  type OwnerInput,
} from '../../test/worker/shim-sync-table.ts';
import { desiredCertificates, IngressConfigError, ingressIssuer } from './spec.ts';

const HOSTS = ['example.com', 'www.example.com'];
const CLUSTER_ISSUER = { 'cert-manager.io/cluster-issuer': 'issuer-name' };
const ISSUER = { 'cert-manager.io/issuer': 'issuer-name' };
const OVERRIDE_NAME = 'acme.cert-manager.io/http01-override-ingress-name';
const TEMPORARY = 'cert-manager.io/issue-temporary-certificate';

interface IngressInput extends OwnerInput {
  tls?: V1IngressTLS[];
}

function ingress(i: IngressInput): V1Ingress {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: ownerMeta('ingress-name', i), spec: i.tls ? { tls: i.tls } : {} };
}

/** A Certificate in the lister, owned by `owner` (an Ingress name), or by nothing with owner null. */
const existing = (c: CertOut, owner: string | null = 'ingress-name'): Certificate =>
  existingCertificate(c, owner === null ? null : { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: owner });

const cluster = (spec: Partial<CertificateSpec>, more: Omit<CertOut, 'spec' | 'name'> = {}): CertOut => ({
  name: 'example-com-tls',
  ...more,
  spec: { dnsNames: HOSTS, secretName: 'example-com-tls', issuerRef: { name: 'issuer-name', kind: 'ClusterIssuer' }, ...spec },
});
const namespaced = (name: string, spec: Partial<CertificateSpec>, more: Omit<CertOut, 'spec' | 'name'> = {}): CertOut => ({
  name,
  ...more,
  spec: { dnsNames: ['example.com'], secretName: name, issuerRef: { name: 'issuer-name', kind: 'Issuer' }, ...spec },
});

interface Case {
  name: string;
  ingress: IngressInput;
  existing?: Certificate[];
  defaultIssuer?: IssuerRef;
  /** What cert-manager does. */
  certManager: Outcome | typeof REFUSED;
  /** What certgate does when it differs, and the README rule that says why. */
  certgate?: { outcome: Outcome | typeof REFUSED; rule: string };
}

export const SYNC_CASES: Case[] = [
  {
    name: 'return a single Certificate for an ingress with a single valid TLS entry and common-name annotation',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster(cn, withLabel)),
  },
  {
    name: 'return a single Certificate for an ingress with dnsNames and ipv4 addresses',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn' },
      tls: [{ hosts: [...HOSTS, '10.112.234.34', '1.1.1.1'], secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({ ...cn, ipAddresses: ['10.112.234.34', '1.1.1.1'] }, withLabel)),
  },
  {
    name: 'return a single Certificate for an ingress with dnsNames and ipv6 addresses',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn' },
      tls: [{ hosts: [...HOSTS, '2a00:1450:4009:819::aaaa', '2a00:1450:4009:819::eeee'], secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({ ...cn, ipAddresses: ['2a00:1450:4009:819::aaaa', '2a00:1450:4009:819::eeee'] }, withLabel)),
  },
  {
    name: 'return a single Certificate for an ingress with dnsNames and ipv4 and ipv6 addresses',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn' },
      tls: [{ hosts: [...HOSTS, '1.1.1.1', '2a00:1450:4009:819::eeee'], secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({ ...cn, ipAddresses: ['1.1.1.1', '2a00:1450:4009:819::eeee'] }, withLabel)),
  },
  {
    name: 'return a single Certificate for an ingress with dnsNames and ipv4 and ipv6 addresses from ip-sans annotation',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn', 'cert-manager.io/ip-sans': '1.1.1.1,2a00:1450:4009:819::eeee' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({ ...cn, ipAddresses: ['1.1.1.1', '2a00:1450:4009:819::eeee'] }, withLabel)),
  },
  {
    name: 'return a single Certificate for an ingress with dnsNames and empty alt-names annotation and ipv4 and ipv6 addresses',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn', 'cert-manager.io/alt-names': '' },
      tls: [{ hosts: [...HOSTS, '1.1.1.1', '2a00:1450:4009:819::eeee'], secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({ ...cn, ipAddresses: ['1.1.1.1', '2a00:1450:4009:819::eeee'] }, withLabel)),
  },
  {
    name: 'return a single Certificate for an ingress with dnsNames and altNames from annotation and ipv4 and ipv6 addresses',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn', 'cert-manager.io/alt-names': 'foo.alt.example.com,bar.alt.example.com' },
      tls: [{ hosts: [...HOSTS, '1.1.1.1', '2a00:1450:4009:819::eeee'], secretName: 'example-com-tls' }],
    },
    certManager: created(
      cluster({ ...cn, dnsNames: [...HOSTS, 'foo.alt.example.com', 'bar.alt.example.com'], ipAddresses: ['1.1.1.1', '2a00:1450:4009:819::eeee'] }, withLabel),
    ),
  },
  {
    name: 'return a single HTTP01 Certificate for an ingress with a single valid TLS entry and HTTP01 annotations using edit-in-place',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'acme.cert-manager.io/http01-edit-in-place': 'true' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({}, { ...withLabel, annotations: { [OVERRIDE_NAME]: 'ingress-name', [TEMPORARY]: 'true' } })),
  },
  {
    name: 'create a Certificate with the HTTP01 name override if the given ingress uses http01 annotations',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'acme.cert-manager.io/http01-edit-in-place': 'true' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({}, { ...withLabel, annotations: { [OVERRIDE_NAME]: 'ingress-name', [TEMPORARY]: 'true' } })),
  },
  {
    name: 'return a single HTTP01 Certificate for an ingress with a single valid TLS entry and HTTP01 annotations with no ingress class set',
    ingress: { annotations: CLUSTER_ISSUER, tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }] },
    certManager: created(cluster({})),
  },
  {
    name: 'return a single HTTP01 Certificate for an ingress with a single valid TLS entry and HTTP01 annotations with a custom ingress class',
    ingress: { annotations: { ...CLUSTER_ISSUER, 'kubernetes.io/ingress.class': 'nginx-ing' }, tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }] },
    certManager: created(cluster({})),
  },
  {
    name: 'return a single HTTP01 Certificate for an ingress with a single valid TLS entry and HTTP01 annotations with a certificate ingress class',
    ingress: {
      annotations: { ...CLUSTER_ISSUER, 'acme.cert-manager.io/http01-ingress-class': 'cert-ing', 'kubernetes.io/ingress.class': 'nginx-ing' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({}, { annotations: { 'acme.cert-manager.io/http01-override-ingress-class': 'cert-ing' } })),
  },
  {
    name: 'return a single HTTP01 Certificate for an ingress with a single valid TLS entry and HTTP01 annotations with a certificate ingressClassName',
    ingress: {
      annotations: { ...CLUSTER_ISSUER, 'acme.cert-manager.io/http01-ingress-ingressclassname': 'cert-ing-class-name' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({}, { annotations: { 'acme.cert-manager.io/http01-override-ingress-ingressclassname': 'cert-ing-class-name' } })),
  },
  {
    name: 'return a single HTTP01 Certificate for an ingress with a single valid TLS entry and valid secret template annotation',
    ingress: {
      annotations: {
        ...CLUSTER_ISSUER,
        'cert-manager.io/secret-template': '{ "annotations": { "example-annotation" : "dummy-value" }, "labels": { "example-label" : "dummy-value" } }',
      },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({ secretTemplate: { annotations: { 'example-annotation': 'dummy-value' }, labels: { 'example-label': 'dummy-value' } } })),
  },
  {
    name: 'secret template annotation should not allow cert-manager.io/ annotations',
    ingress: {
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/secret-template': '{ "annotations": { "cert-manager.io/disallowed-annotation" : "dummy-value" } }' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: REFUSED,
  },
  {
    name: 'secret template annotation should not allow unknown fields',
    ingress: {
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/secret-template': '{ "unknown-field": "true" }' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: REFUSED,
  },
  {
    name: 'edit-in-place set to false should not trigger editing the ingress in-place',
    ingress: {
      annotations: { ...CLUSTER_ISSUER, 'kubernetes.io/ingress.class': 'nginx-ing', 'acme.cert-manager.io/http01-edit-in-place': 'false' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({})),
  },
  {
    name: 'return a single DNS01 Certificate for an ingress with a single valid TLS entry',
    ingress: { annotations: CLUSTER_ISSUER, tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }] },
    certManager: created(cluster({})),
  },
  {
    name: 'should return a basic certificate when no provider specific config is provided',
    ingress: { annotations: { 'kubernetes.io/tls-acme': 'true' }, tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }] },
    defaultIssuer: { name: 'issuer-name', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    certManager: created(cluster({ issuerRef: { name: 'issuer-name', kind: 'ClusterIssuer', group: 'cert-manager.io' } })),
  },
  {
    name: 'should skip an invalid TLS entry (no TLS hosts specified)',
    ingress: { annotations: ISSUER, tls: [{ secretName: 'example-com-tls-invalid' }, { secretName: 'example-com-tls', hosts: HOSTS }] },
    certManager: {
      create: [namespaced('example-com-tls', { dnsNames: HOSTS })],
      events: [
        'Warning BadConfig Skipped a TLS block: spec.tls[0].hosts: Required value',
        'Normal CreateCertificate Successfully created Certificate "example-com-tls"',
      ],
    },
  },
  {
    name: 'should skip an invalid TLS entry (no TLS secret name specified)',
    ingress: { annotations: ISSUER, tls: [{ hosts: ['example.com'] }, { hosts: HOSTS, secretName: 'example-com-tls' }] },
    certManager: {
      create: [namespaced('example-com-tls', { dnsNames: HOSTS })],
      events: [
        'Warning BadConfig Skipped a TLS block: spec.tls[0].secretName: Required value',
        'Normal CreateCertificate Successfully created Certificate "example-com-tls"',
      ],
    },
  },
  {
    name: 'should error if the specified issuer is not found',
    ingress: { annotations: { 'cert-manager.io/issuer': 'invalid-issuer-name' } },
    certManager: NOTHING,
  },
  {
    name: 'should not return any certificates if a correct Certificate already exists',
    ingress: { annotations: ISSUER, tls: [{ hosts: ['example.com'], secretName: 'existing-crt' }] },
    existing: [
      existing(
        namespaced('existing-crt', {
          issuerRef: { name: 'issuer-name', kind: 'Issuer', group: 'cert-manager.io' },
          usages: ['digital signature', 'key encipherment'],
        }),
      ),
    ],
    certManager: NOTHING,
  },
  {
    name: 'should update a certificate if an incorrect Certificate exists',
    ingress: { annotations: ISSUER, tls: [{ hosts: ['example.com'], secretName: 'existing-crt' }] },
    existing: [existing({ name: 'existing-crt', spec: {} })],
    certManager: updated(namespaced('existing-crt', {})),
  },
  {
    name: 'should update an existing Certificate resource with new labels if they do not match those specified on the IngressLike',
    ingress: { ...withLabel, annotations: ISSUER, tls: [{ hosts: ['example.com'], secretName: 'cert-secret-name' }] },
    existing: [existing(namespaced('cert-secret-name', {}, { labels: { 'a-different-value': 'should be removed' } }))],
    certManager: updated(namespaced('cert-secret-name', {}, withLabel)),
  },
  {
    name: 'should update an existing Certificate resource with different revision limit if it does not match specified on the IngressLike',
    ingress: { annotations: { ...ISSUER, 'cert-manager.io/revision-history-limit': '1' }, tls: [{ hosts: ['example.com'], secretName: 'cert-secret-name' }] },
    existing: [existing(namespaced('cert-secret-name', { revisionHistoryLimit: 7 }))],
    certManager: updated(namespaced('cert-secret-name', { revisionHistoryLimit: 1 })),
  },
  {
    name: 'should update an existing Certificate resource with different rsa private key size if it does not match specified on the IngressLike',
    ingress: {
      annotations: { ...ISSUER, 'cert-manager.io/private-key-algorithm': 'RSA', 'cert-manager.io/private-key-size': '4096' },
      tls: [{ hosts: ['example.com'], secretName: 'cert-secret-name' }],
    },
    existing: [existing(namespaced('cert-secret-name', { privateKey: { algorithm: 'RSA', size: 2048 } }))],
    certManager: updated(namespaced('cert-secret-name', { privateKey: { algorithm: 'RSA', size: 4096 } })),
  },
  {
    name: 'should update an existing Certificate resource with different ecdsa private key size if it does not match specified on the IngressLike',
    ingress: {
      annotations: { ...ISSUER, 'cert-manager.io/private-key-algorithm': 'ECDSA', 'cert-manager.io/private-key-size': '384' },
      tls: [{ hosts: ['example.com'], secretName: 'cert-secret-name' }],
    },
    existing: [existing(namespaced('cert-secret-name', { privateKey: { algorithm: 'ECDSA', size: 256 } }))],
    certManager: updated(namespaced('cert-secret-name', { privateKey: { algorithm: 'ECDSA', size: 384 } })),
  },
  {
    name: 'should update an existing Certificate resource with different private key encoding if it does not match specified on the IngressLike',
    ingress: {
      annotations: {
        ...ISSUER,
        'cert-manager.io/private-key-algorithm': 'ECDSA',
        'cert-manager.io/private-key-encoding': 'PKCS8',
        'cert-manager.io/private-key-size': '384',
      },
      tls: [{ hosts: ['example.com'], secretName: 'cert-secret-name' }],
    },
    existing: [existing(namespaced('cert-secret-name', { privateKey: { algorithm: 'ECDSA', size: 384 } }))],
    certManager: updated(namespaced('cert-secret-name', { privateKey: { algorithm: 'ECDSA', encoding: 'PKCS8', size: 384 } })),
  },
  {
    name: 'should update an existing Certificate resource with different private key rotation policy if it does not match specified on the IngressLike',
    ingress: {
      annotations: {
        ...ISSUER,
        'cert-manager.io/private-key-algorithm': 'ECDSA',
        'cert-manager.io/private-key-encoding': 'PKCS1',
        'cert-manager.io/private-key-size': '384',
        'cert-manager.io/private-key-rotation-policy': 'Always',
      },
      tls: [{ hosts: ['example.com'], secretName: 'cert-secret-name' }],
    },
    existing: [existing(namespaced('cert-secret-name', { privateKey: { algorithm: 'ECDSA', size: 384 } }))],
    certManager: updated(namespaced('cert-secret-name', { privateKey: { algorithm: 'ECDSA', encoding: 'PKCS1', size: 384, rotationPolicy: 'Always' } })),
    // PKCS1 and Always are the defaults, so the existing spec already means exactly this.
    certgate: { outcome: NOTHING, rule: 'shim-compares-with-defaults' },
  },
  {
    name: 'should update an existing Certificate resource with different Duration if it does not match specified on the IngressLike',
    ingress: { annotations: { ...ISSUER, 'cert-manager.io/duration': '3600s' }, tls: [{ hosts: ['example.com'], secretName: 'cert-secret-name' }] },
    existing: [existing(namespaced('cert-secret-name', { duration: '2h0m0s' }))],
    certManager: updated(namespaced('cert-secret-name', { duration: '3600s' })),
  },
  {
    name: 'should update an existing Certificate resource with different RenewBefore if it does not match specified on the IngressLike',
    ingress: { annotations: { ...ISSUER, 'cert-manager.io/renew-before': '3600s' }, tls: [{ hosts: ['example.com'], secretName: 'cert-secret-name' }] },
    existing: [existing(namespaced('cert-secret-name', { renewBefore: '2h0m0s' }))],
    certManager: updated(namespaced('cert-secret-name', { renewBefore: '3600s' })),
  },
  {
    name: 'should not update an existing Certificate if there are no changes (testing elements that default to the nil pointer)',
    ingress: {
      annotations: { ...ISSUER, 'cert-manager.io/duration': '7200s', 'cert-manager.io/renew-before': '3600s', 'cert-manager.io/revision-history-limit': '1' },
      tls: [{ hosts: ['example.com'], secretName: 'cert-secret-name' }],
    },
    existing: [existing(namespaced('cert-secret-name', { duration: '2h0m0s', renewBefore: '1h0m0s', revisionHistoryLimit: 1 }))],
    certManager: NOTHING,
  },
  {
    name: 'should not update certificate if it does not belong to any ingress',
    ingress: { annotations: { ...ISSUER, 'kubernetes.io/ingress.class': 'toot-ing' }, tls: [{ hosts: ['example.com'], secretName: 'existing-crt' }] },
    existing: [existing(namespaced('existing-crt', {}), null)],
    certManager: NOTHING,
    certgate: {
      outcome: { events: ['Warning BadConfig Certificate "existing-crt" exists and is not owned by this Ingress; leaving it alone'] },
      rule: 'shim-says-why',
    },
  },
  {
    name: 'should not update certificate if it does not belong to the ingress',
    ingress: { annotations: { ...ISSUER, 'kubernetes.io/ingress.class': 'toot-ing' }, tls: [{ hosts: ['example.com'], secretName: 'existing-crt' }] },
    existing: [existing(namespaced('existing-crt', {}), 'not-ingress-name')],
    certManager: NOTHING,
    certgate: {
      outcome: { events: ['Warning BadConfig Certificate "existing-crt" exists and is not owned by this Ingress; leaving it alone'] },
      rule: 'shim-says-why',
    },
  },
  {
    name: 'should delete a Certificate if its SecretName is not present in the ingress',
    ingress: { annotations: ISSUER },
    existing: [existing(namespaced('existing-crt', {}))],
    certManager: { delete: ['existing-crt'], events: ['Normal DeleteCertificate Successfully deleted unrequired Certificate "existing-crt"'] },
  },
  {
    name: 'should update a Certificate if is contains a Common Name that is not defined on the ingress annotations',
    ingress: {
      annotations: { ...ISSUER, 'cert-manager.io/issuer-kind': 'Issuer', 'cert-manager.io/issuer-group': 'cert-manager.io' },
      tls: [{ hosts: ['example.com'], secretName: 'example-com-tls' }],
    },
    existing: [
      existing(
        namespaced('example-com-tls', { commonName: 'example-common-name', issuerRef: { name: 'issuer-name', kind: 'Issuer', group: 'cert-manager.io' } }),
      ),
    ],
    certManager: updated(namespaced('example-com-tls', { issuerRef: { name: 'issuer-name', kind: 'Issuer', group: 'cert-manager.io' } })),
  },
  {
    name: 'if an ingress contains multiple tls entries that specify the same secretName, an error should be logged and no action taken',
    ingress: {
      annotations: { ...ISSUER, 'cert-manager.io/issuer-kind': 'Issuer', 'cert-manager.io/issuer-group': 'cert-manager.io' },
      tls: [
        { hosts: ['example.com'], secretName: 'example-com-tls' },
        { hosts: ['notexample.com'], secretName: 'example-com-tls' },
      ],
    },
    certManager: {
      events: [
        'Warning BadConfig spec.tls[0].secretName: Invalid value: "example-com-tls": this secret name must only appear in a single TLS entry but is also used in spec.tls[1].secretName',
      ],
    },
  },
  {
    name: 'Failure to translateIngressAnnotations',
    ingress: {
      annotations: {
        ...ISSUER,
        'cert-manager.io/issuer-kind': 'Issuer',
        'cert-manager.io/issuer-group': 'cert-manager.io',
        'cert-manager.io/renew-before': 'invalid renew before value',
        'cert-manager.io/revision-history-limit': 'invalid revision history limit value',
        'cert-manager.io/private-key-algorithm': 'invalid private key algorithm value',
        'cert-manager.io/private-key-encoding': 'invalid private key encoding value',
        'cert-manager.io/private-key-size': 'invalid private key size value',
        'cert-manager.io/private-key-rotation-policy': 'invalid private key rotation policy value',
      },
      tls: [{ hosts: ['example.com'], secretName: 'example-com-tls' }],
    },
    certManager: REFUSED,
  },
  {
    name: 'return a single Certificate for an ingress with a single valid TLS entry with common-name and keyusage annotation',
    ingress: {
      ...withLabel,
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn', 'cert-manager.io/usages': 'signing,digital signature,content commitment' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({ ...cn, usages: ['signing', 'digital signature', 'content commitment'] }, withLabel)),
  },
  {
    name: 'return a single Certificate for an ingress with a single valid TLS entry with common-name and subject street addresses annotation',
    ingress: {
      ...withLabel,
      annotations: {
        ...CLUSTER_ISSUER,
        'cert-manager.io/common-name': 'my-cn',
        'cert-manager.io/subject-streetaddresses': '"1725 Slough Avenue, Suite 200, Scranton Business Park"',
      },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster({ ...cn, subject: { streetAddresses: ['1725 Slough Avenue, Suite 200, Scranton Business Park'] } }, withLabel)),
  },
  {
    name: 'should not trigger an ingress sync if deleted in foreground',
    ingress: { annotations: { 'cert-manager.io/issuer': '' }, deleting: true },
    defaultIssuer: { name: 'issuer-name', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    certManager: NOTHING,
  },
  {
    name: 'should not propagate the applyset label',
    ingress: {
      labels: { 'my-test-label': 'should be copied', 'applyset.kubernetes.io/part-of': 'should not be propagated' },
      annotations: { ...CLUSTER_ISSUER, 'cert-manager.io/common-name': 'my-cn' },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster(cn, withLabel)),
  },
  {
    name: 'extra Ingress annotation is copied to Certificate object',
    ingress: {
      labels: {},
      annotations: {
        ...CLUSTER_ISSUER,
        'cert-manager.io/common-name': 'my-cn',
        'venafi.cert-manager.io/custom-fields': 'foo',
        'venafi.cert-manager.io/do-not-copy': 'bar',
      },
      tls: [{ hosts: HOSTS, secretName: 'example-com-tls' }],
    },
    certManager: created(cluster(cn, { annotations: { 'venafi.cert-manager.io/custom-fields': 'foo' } })),
    certgate: { outcome: created(cluster(cn)), rule: 'no-extra-certificate-annotations' },
  },
  {
    name: 'should update a Certificate annotations if custom annotation is needed',
    ingress: {
      annotations: {
        ...ISSUER,
        'cert-manager.io/issuer-kind': 'Issuer',
        'cert-manager.io/issuer-group': 'cert-manager.io',
        'venafi.cert-manager.io/custom-fields': 'foo',
      },
      tls: [{ hosts: ['example.com'], secretName: 'example-com-tls' }],
    },
    existing: [existing(namespaced('example-com-tls', { commonName: 'example-common-name' }))],
    certManager: updated(namespaced('example-com-tls', {}, { annotations: { 'venafi.cert-manager.io/custom-fields': 'foo' } })),
    certgate: { outcome: updated(namespaced('example-com-tls', {})), rule: 'no-extra-certificate-annotations' },
  },
  {
    name: 'should append a Certificate annotations if annotation is set',
    ingress: {
      annotations: {
        ...ISSUER,
        'cert-manager.io/issuer-kind': 'Issuer',
        'cert-manager.io/issuer-group': 'cert-manager.io',
        'venafi.cert-manager.io/custom-fields': 'foo',
      },
      tls: [{ hosts: ['example.com'], secretName: 'example-com-tls' }],
    },
    existing: [
      existing(namespaced('example-com-tls', { commonName: 'example-common-name' }, { annotations: { 'venafi.cert-manager.io/custom-fields': 'bar' } })),
    ],
    certManager: updated(namespaced('example-com-tls', {}, { annotations: { 'venafi.cert-manager.io/custom-fields': 'foo' } })),
    // certgate leaves annotations it does not manage as they are.
    certgate: {
      outcome: updated(namespaced('example-com-tls', {}, { annotations: { 'venafi.cert-manager.io/custom-fields': 'bar' } })),
      rule: 'no-extra-certificate-annotations',
    },
  },
];

/** A Certificate as compared: defaults filled in (cert-manager's shim writes usages out, certgate leaves defaults implicit), the default issuer group spelled out. */
describe("cert-manager's ingress-shim TestSync (Ingress cases)", () => {
  for (const c of SYNC_CASES) {
    const label = c.certgate ? `${c.name} [deliberate difference: ${c.certgate.rule}]` : c.name;
    it(label, () => {
      const ing = ingress(c.ingress);
      const plan = planIngress('ingress-name', ing, c.existing ?? [], c.defaultIssuer);
      assertOutcome(plan, c.certgate ? c.certgate.outcome : c.certManager);
    });
  }
});

// cert-manager's TestIssuerForIngress: [annotations, default issuer, expected issuer or error].
const ISSUER_CASES: Array<[Record<string, string> | undefined, IssuerRef | undefined, IssuerRef | RegExp | undefined]> = [
  [{ 'cert-manager.io/issuer': 'issuer', 'cert-manager.io/issuer-group': 'foo.bar' }, undefined, { name: 'issuer', kind: 'Issuer', group: 'foo.bar' }],
  [{ 'cert-manager.io/cluster-issuer': 'clusterissuer' }, undefined, { name: 'clusterissuer', kind: 'ClusterIssuer', group: 'cert-manager.io' }],
  [
    { 'kubernetes.io/tls-acme': 'true' },
    { name: 'default-name', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    { name: 'default-name', kind: 'ClusterIssuer', group: 'cert-manager.io' },
  ],
  // cert-manager: no annotation is an error from issuerForIngressLike; its sync never calls it then (hasShimAnnotation is false). certgate: not annotated.
  [undefined, undefined, undefined],
  [{ 'kubernetes.io/tls-acme': 'true' }, undefined, /no --default-issuer/],
  [
    { 'cert-manager.io/cluster-issuer': 'clusterissuer', 'cert-manager.io/issuer': 'issuer', 'cert-manager.io/issuer-group': 'group.io' },
    undefined,
    /both "cert-manager.io\/issuer" and "cert-manager.io\/cluster-issuer" may not be set.*both "cert-manager.io\/cluster-issuer" and "cert-manager.io\/issuer-group" may not be set/,
  ],
];

describe("cert-manager's TestIssuerForIngress", () => {
  for (const [i, [annotations, defaults, want]] of ISSUER_CASES.entries()) {
    it(`case ${i + 1}: ${JSON.stringify(annotations ?? null)}`, () => {
      const ing = ingress({ annotations });
      if (want instanceof RegExp)
        assert.throws(
          () => ingressIssuer(ing, defaults),
          (e: Error) => e instanceof IngressConfigError && want.test(e.message),
        );
      else assert.deepEqual(ingressIssuer(ing, defaults), want);
    });
  }
});

// cert-manager's Test_hasShimAnnotation (Ingress): whether the annotations make the shim act.
const SHIM_ANNOTATION_CASES: Array<[Record<string, string> | undefined, boolean]> = [
  [{ 'cert-manager.io/issuer': '' }, true],
  [{ 'cert-manager.io/cluster-issuer': '' }, true],
  [{ 'kubernetes.io/tls-acme': 'true' }, true],
  [{ 'kubernetes.io/tls-acme': 'false' }, false],
  [{ 'kubernetes.io/tls-acme': '' }, false],
  [undefined, false],
];

describe("cert-manager's Test_hasShimAnnotation", () => {
  const defaults: IssuerRef = { name: 'default', kind: 'ClusterIssuer', group: 'cert-manager.io' };
  for (const [annotations, acts] of SHIM_ANNOTATION_CASES) {
    it(`${JSON.stringify(annotations ?? null)} → ${acts ? 'acted on' : 'ignored'}`, () => {
      // An empty issuer name is acted on: the Ingress gets a BadConfig Event saying so, as in cert-manager.
      const outcome = (() => {
        try {
          return ingressIssuer(ingress({ annotations }), defaults) ? 'acted on' : 'ignored';
        } catch (e) {
          if (e instanceof IngressConfigError) return 'acted on';
          throw e;
        }
      })();
      assert.equal(outcome, acts ? 'acted on' : 'ignored');
    });
  }
});

// cert-manager's Test_splitHosts: hosts de-duplicated in first-seen order, IPs apart.
const SPLIT_CASES: Array<[string[], string[] | undefined, string[] | undefined]> = [
  [['example.com', 'www.example.com', 'example.com', 'www.example.com'], ['example.com', 'www.example.com'], undefined],
  [['example.com', '192.0.2.1', '2001:db8::1'], ['example.com'], ['192.0.2.1', '2001:db8::1']],
  [['example.com', '192.0.2.1', 'example.com', '192.0.2.1'], ['example.com'], ['192.0.2.1']],
];

describe("cert-manager's Test_splitHosts", () => {
  for (const [hosts, dnsNames, ipAddresses] of SPLIT_CASES) {
    it(hosts.join(' '), () => {
      const [c] = desiredCertificates(ingress({ tls: [{ hosts, secretName: 's' }] }), { name: 'i', kind: 'Issuer', group: 'cert-manager.io' }).certificates;
      assert.deepEqual([c.spec.dnsNames, c.spec.ipAddresses], [dnsNames, ipAddresses]);
    });
  }
});

describe('ported ingress-shim table: counts', () => {
  it('every case is the same as cert-manager or names its rule', () => {
    const differences = SYNC_CASES.filter((c) => c.certgate);
    for (const c of differences) assert.match(c.certgate!.rule, /^[a-z-]+$/);
    const total = SYNC_CASES.length + ISSUER_CASES.length + SHIM_ANNOTATION_CASES.length + SPLIT_CASES.length;
    // Reported in README "Migrating from cert-manager" (controller side); keep both in step.
    assert.deepEqual({ total, same: total - differences.length, deliberate: differences.length }, { total: 61, same: 55, deliberate: 6 });
  });
});
