// cert-manager's Certificate validation table (internal/apis/certmanager/validation/certificate_test.go:
// TestValidateCertificate, TestValidateDuration, Test_validateAdditionalOutputFormats,
// Test_validateLiteralSubject, Test_validateKeystores), carried over as inputs and outcomes.
import { runParityTable, type ParityCase, type ParityTable } from './harness.test-data.ts';

const ref = { name: 'name', kind: 'ClusterIssuer' };
const base = { commonName: 'testcn', secretName: 'abc', issuerRef: ref };
const cert = (spec: Record<string, unknown>) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'test', namespace: 'default' },
  spec,
});
const ok = (name: string, spec: Record<string, unknown>, extra: Partial<ParityCase> = {}): ParityCase => ({
  name,
  object: cert(spec),
  certManager: 'accepted',
  ...extra,
});
const no = (name: string, spec: Record<string, unknown>, refusedAt?: string, extra: Partial<ParityCase> = {}): ParityCase => ({
  name,
  object: cert(spec),
  certManager: 'refused',
  refusedAt,
  ...extra,
});

const UNSUPPORTED = (why: string) => ({ differs: { rule: 'unsupported-field' as const, why } });
const key = (privateKey: Record<string, unknown>) => ({ ...base, privateKey });
const H = (h: number) => `${h}h0m0s`;

export const certificateTable: ParityTable = {
  source: 'certificate_test.go',
  cases: [
    // TestValidateCertificate
    ok('valid basic certificate', base),
    ok('valid with blank issuerRef kind and no group', { ...base, issuerRef: { name: 'valid' } }),
    ok("valid with 'Issuer' issuerRef kind and no group", { ...base, issuerRef: { name: 'valid', kind: 'Issuer' } }),
    ok('valid with org set', { ...base, subject: { organizations: ['testorg'] } }),
    ok("valid with 'Issuer' issuerRef kind and explicit internal group", { ...base, issuerRef: { name: 'valid', kind: 'Issuer', group: 'cert-manager.io' } }),
    no('invalid with external issuerRef kind and empty group', { ...base, issuerRef: { name: 'abc', kind: 'AWSPCAClusterIssuer' } }, 'spec.issuerRef.kind'),
    ok('valid with external issuerRef kind and external group', {
      ...base,
      issuerRef: { name: 'abc', kind: 'AWSPCAClusterIssuer', group: 'awspca.cert-manager.io' },
    }),
    no('certificate missing secretName', { commonName: 'testcn', issuerRef: ref }, undefined, { differs: undefined }),
    no('certificate invalid secretName', { ...base, secretName: 'testFoo' }, 'spec.secretName'),
    no('certificate with no domains, URIs or common name', { secretName: 'abc', issuerRef: ref }, '[certificate-no-identity] spec'),
    no('invalid with no issuerRef', { commonName: 'testcn', secretName: 'abc' }),
    ok('valid certificate with only dnsNames', { dnsNames: ['validdnsname'], secretName: 'abc', issuerRef: ref }),
    ok('valid certificate with rsa keyAlgorithm specified and no keySize', key({ algorithm: 'RSA' })),
    ok('valid certificate with rsa keyAlgorithm specified with keySize 2048', key({ algorithm: 'RSA', size: 2048 })),
    ok('valid certificate with rsa keyAlgorithm specified with keySize 4096', key({ algorithm: 'RSA', size: 4096 })),
    ok('valid certificate with rsa keyAlgorithm specified with keySize 8192', key({ algorithm: 'RSA', size: 8192 })),
    ok('valid certificate with ecdsa keyAlgorithm specified and no keySize', key({ algorithm: 'ECDSA' })),
    ok('valid certificate with ecdsa keyAlgorithm specified with keySize 256', key({ algorithm: 'ECDSA', size: 256 })),
    ok('valid certificate with ecdsa keyAlgorithm specified with keySize 384', key({ algorithm: 'ECDSA', size: 384 })),
    ok('valid certificate with ecdsa keyAlgorithm specified with keySize 521', key({ algorithm: 'ECDSA', size: 521 })),
    ok('valid certificate with ed25519 keyAlgorithm', key({ algorithm: 'Ed25519', size: 521 })),
    ok('valid certificate with keyAlgorithm not specified and keySize specified', key({ size: 2048 })),
    no('certificate with rsa keyAlgorithm specified and invalid keysize 1024', key({ algorithm: 'RSA', size: 1024 }), 'spec.privateKey.size'),
    no('certificate with rsa keyAlgorithm specified and invalid keysize 8196', key({ algorithm: 'RSA', size: 8196 }), 'spec.privateKey.size'),
    no('certificate with ecdsa keyAlgorithm specified and invalid keysize', key({ algorithm: 'ECDSA', size: 100 }), 'spec.privateKey.size'),
    no('certificate with invalid keyAlgorithm', key({ algorithm: 'blah' }), 'spec.privateKey.algorithm'),
    ok('valid certificate with ipAddresses', { ...base, ipAddresses: ['127.0.0.1'] }),
    no('certificate with invalid ipAddresses', { ...base, ipAddresses: ['blah'] }, 'spec.ipAddresses[0]'),
    ok('valid certificate with commonName exactly 64 bytes', { ...base, commonName: 'this-is-a-big-long-string-which-is-exactly-sixty-four-characters' }),
    no(
      'invalid certificate with commonName longer than 64 bytes',
      { ...base, commonName: 'this-is-a-big-long-string-which-has-exactly-sixty-five-characters' },
      'spec.commonName',
    ),
    ok(
      'valid certificate with no commonName and second dnsName longer than 64 bytes',
      { secretName: 'abc', issuerRef: ref, dnsNames: ['dnsName', 'this-is-a-big-long-string-which-has-exactly-sixty-five-characters'] },
      {
        differs: {
          rule: 'invalid-dns-name',
          why: 'dnsNames must be lower case ("dnsName"): certificates carry names as DNS does, and a CA lower-cases or refuses them',
        },
      },
    ),
    ok(
      'valid certificate with commonName and first dnsName longer than 64 bytes',
      { ...base, dnsNames: ['this-is-a-big-long-string-which-has-exactly-sixty-five-characters', 'dnsName'] },
      {
        differs: { rule: 'invalid-dns-name', why: 'dnsNames must be lower case ("dnsName")' },
      },
    ),
    ok('valid certificate with basic keyusage', { ...base, usages: ['signing'] }),
    ok('valid certificate with multiple keyusage', { ...base, usages: ['signing', 's/mime'] }),
    no('invalid certificate with nonexistent keyusage', { ...base, usages: ['nonexistent'] }),
    ok(
      'valid certificate with only URI SAN name',
      { secretName: 'abc', issuerRef: ref, uris: ['foo.bar'] },
      {
        differs: { rule: 'invalid-uri', why: 'a URI SAN must be an absolute URI with a scheme (RFC 5280 4.2.1.6); "foo.bar" is not one' },
      },
    ),
    ok('valid certificate with only email SAN', { secretName: 'abc', issuerRef: ref, emailAddresses: ['alice@example.com'] }),
    no('invalid certificate with incorrect email', { secretName: 'abc', issuerRef: ref, emailAddresses: ['alice.example.com'] }, 'spec.emailAddresses[0]'),
    no(
      'invalid certificate with email formatted with name',
      { secretName: 'abc', issuerRef: ref, emailAddresses: ['Alice <alice@example.com>'] },
      'spec.emailAddresses[0]',
    ),
    no(
      'invalid certificate with email formatted with mailto',
      { secretName: 'abc', issuerRef: ref, emailAddresses: ['mailto:alice@example.com'] },
      'spec.emailAddresses[0]',
    ),
    ok('valid certificate with revision history limit == 1', { ...base, revisionHistoryLimit: 1 }),
    no('invalid certificate with revision history limit < 1', { ...base, revisionHistoryLimit: 0 }, 'spec.revisionHistoryLimit'),
    ok('valid with empty secretTemplate', { ...base, secretTemplate: { annotations: {}, labels: {} } }),
    ok("valid with 'CertificateSecretTemplate' labels and annotations", {
      ...base,
      secretTemplate: { annotations: { 'my-annotation.com/foo': 'app=bar' }, labels: { 'my-label.com/foo': 'evn-production' } },
    }),
    no(
      "invalid with disallowed 'CertificateSecretTemplate' annotations",
      {
        ...base,
        secretTemplate: {
          annotations: {
            'app.com/valid': 'valid',
            'cert-manager.io/alt-names': 'example.com',
            'cert-manager.io/certificate-name': 'selfsigned-cert',
            'cert-manager.io/allow-direct-injection': 'true',
          },
        },
      },
      'cert-manager.io/certificate-name',
    ),
    no(
      "invalid due to too long 'CertificateSecretTemplate' annotations",
      { ...base, secretTemplate: { annotations: { 'app.com/invalid': '0'.repeat(256 * 1024) } } },
      'spec.secretTemplate.annotations',
    ),
    no(
      "invalid due to not allowed 'CertificateSecretTemplate' labels",
      { ...base, secretTemplate: { labels: { 'app.com/invalid-chars': 'invalid=chars' } } },
      'spec.secretTemplate.labels',
    ),
    ok(
      'valid with name constraints',
      { ...base, isCA: true, nameConstraints: { permitted: { dnsDomains: ['example.com'] } } },
      UNSUPPORTED('name constraints are not put into issued CA certificates'),
    ),
    no('invalid with name constraints', { ...base, isCA: true, nameConstraints: {} }, 'spec.nameConstraints'),
    no(
      'valid name constraints with feature gate disabled',
      { ...base, isCA: true, nameConstraints: { permitted: { dnsDomains: ['example.com'], ipRanges: ['10.0.0.0'] } } },
      'spec.nameConstraints',
    ),
    ok(
      'valid with name constraints ipRanges',
      {
        ...base,
        isCA: true,
        nameConstraints: { permitted: { ipRanges: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'] }, excluded: { ipRanges: ['172.16.0.0/12', 'fd00::/8'] } },
      },
      UNSUPPORTED('name constraints are not implemented'),
    ),
    no(
      'invalid with name constraints ipRanges',
      {
        ...base,
        isCA: true,
        nameConstraints: { permitted: { ipRanges: ['10.0.0.0', '10.0.0.0/8', 'not-a-cidr'] }, excluded: { ipRanges: ['2001:db8::/32', '192.168.0.1'] } },
      },
      'spec.nameConstraints',
    ),
    ok(
      'signature algorithm SHA+RSA allowed for empty key (RSA)',
      { ...base, signatureAlgorithm: 'SHA256WithRSA' },
      UNSUPPORTED('the signature algorithm follows the key and cannot be chosen'),
    ),
    ok(
      'signature algorithm SHA+RSA allowed for RSA key',
      { ...key({ algorithm: 'RSA', size: 3072 }), signatureAlgorithm: 'SHA256WithRSA' },
      UNSUPPORTED('the signature algorithm follows the key'),
    ),
    no(
      'signature algorithm SHA+RSA not allowed for ECDSA key',
      { ...key({ algorithm: 'ECDSA' }), signatureAlgorithm: 'SHA256WithRSA' },
      'spec.signatureAlgorithm',
    ),
    ok(
      'signature algorithm SHA+ECDSA allowed for ECDSA key',
      { ...key({ algorithm: 'ECDSA' }), signatureAlgorithm: 'ECDSAWithSHA256' },
      UNSUPPORTED('the signature algorithm follows the key'),
    ),
    no(
      'signature algorithm SHA+ECDSA not allowed for RSA key',
      { ...key({ algorithm: 'RSA' }), signatureAlgorithm: 'ECDSAWithSHA256' },
      'spec.signatureAlgorithm',
    ),
    no('signature algorithm Ed25519 not allowed for RSA key', { ...key({ algorithm: 'RSA' }), signatureAlgorithm: 'PureEd25519' }, 'spec.signatureAlgorithm'),
    no(
      'signature algorithm Ed25519 not allowed for ECDSA key',
      { ...key({ algorithm: 'ECDSA' }), signatureAlgorithm: 'PureEd25519' },
      'spec.signatureAlgorithm',
    ),
    ok(
      'signature algorithm Ed25519 allowed for Ed25519 key',
      { ...key({ algorithm: 'Ed25519' }), signatureAlgorithm: 'PureEd25519' },
      UNSUPPORTED('the signature algorithm follows the key'),
    ),
    ok('explicit rotation policy', key({ rotationPolicy: 'Never' })),
    no(
      'invalid windows when renewal policy is disabled',
      { ...key({ rotationPolicy: 'Never' }), renewal: { policy: 'Disabled', windows: [{ windowDuration: '2h', cron: '0 12 * * *' }] } },
      'spec.renewal',
    ),
    ok(
      'valid renewal config with single window',
      { ...key({ rotationPolicy: 'Never' }), renewal: { policy: 'RenewBefore', windows: [{ windowDuration: '2h', cron: '0 12 * * *' }] } },
      UNSUPPORTED('renewal windows are not implemented; certgate renews at renewBefore'),
    ),
    no(
      'invalid renewal cron with timezone prefix and no schedule',
      { ...key({ rotationPolicy: 'Never' }), renewal: { policy: 'RenewBefore', windows: [{ windowDuration: '2h', cron: 'CRON_TZ=UTC' }] } },
      'spec.renewal.windows',
    ),

    // TestValidateDuration
    ok('default duration and renewBefore', base),
    ok('valid duration and renewBefore', { ...base, duration: H(8760), renewBefore: H(4320) }),
    ok('unset duration, valid renewBefore for default', { ...base, renewBefore: H(720) }),
    ok('unset renewBefore, valid duration for default', { ...base, duration: H(8760) }),
    no('renewBefore is bigger than the default duration', { ...base, renewBefore: H(87600) }, 'spec.renewBefore'),
    no('renewBefore is bigger than the duration', { ...base, duration: H(720), renewBefore: H(8760) }, 'spec.renewBefore'),
    no('renewBefore is less than the minimum permitted value', { ...base, renewBefore: '1s' }, 'spec.renewBefore'),
    no('renewBefore and renewBeforePercentage both set', { ...base, renewBefore: H(720), renewBeforePercentage: 95 }, 'spec.renewBeforePercentage'),
    ok('valid duration and renewBeforePercentage', { ...base, duration: H(8760), renewBeforePercentage: 95 }),
    ok('unset duration, valid renewBeforePercentage for default', { ...base, renewBeforePercentage: 95 }),
    no('renewBeforePercentage is equal to duration', { ...base, renewBeforePercentage: 0 }, 'spec.renewBeforePercentage'),
    no('renewBeforePercentage results in less than the minimum permitted value', { ...base, renewBeforePercentage: 100 }, 'spec.renewBeforePercentage'),
    no('duration is less than the minimum permitted value', { ...base, duration: '30m', renewBefore: '10m' }, 'spec.duration'),
    ok('renewBeforePercentage=1 with 10-year duration does not overflow int64', { ...base, duration: H(87600), renewBeforePercentage: 1 }),
    ok('renewBeforePercentage=1 with 3-year duration does not overflow int64', { ...base, duration: H(26280), renewBeforePercentage: 1 }),

    // Test_validateAdditionalOutputFormats (cert-manager checks only that types are unique)
    ok('if no formats defined, expect no error', { ...base, additionalOutputFormats: [] }),
    ok(
      'if single format defined, expect no error',
      { ...base, additionalOutputFormats: [{ type: 'DER' }] },
      UNSUPPORTED('DER and CombinedPEM outputs are not written'),
    ),
    ok(
      'if multiple unique formats defined, expect no error',
      { ...base, additionalOutputFormats: [{ type: 'DER' }, { type: 'CombinedPEM' }] },
      UNSUPPORTED('DER and CombinedPEM outputs are not written'),
    ),
    no(
      'if multiple formats defined but 2 non-unique, expect error',
      { ...base, additionalOutputFormats: [{ type: 'DER' }, { type: 'CombinedPEM' }, { type: 'DER' }] },
      'spec.additionalOutputFormats',
    ),

    // Test_validateLiteralSubject
    no(
      'featureGate should be enabled to use literalSubject (gate off)',
      { secretName: 'abc', issuerRef: ref, literalSubject: 'CN=testcn' },
      'spec.literalSubject',
    ),
    ok(
      'valid with only `literalSubject` and no `Subject` or `CommonName` provided',
      { secretName: 'abc', issuerRef: ref, literalSubject: 'CN=testcn' },
      UNSUPPORTED('literal RFC 4514 subjects are not supported; use commonName and subject'),
    ),
    no(
      'valid with only `literalSubject` and only a `Subject.SerialNumber` provided',
      { secretName: 'abc', issuerRef: ref, literalSubject: 'CN=testcn', subject: { serialNumber: '1' } },
      'spec.literalSubject',
    ),
    ok(
      'valid with a `literalSubject` containing CN with special characters, multiple DC and well-known rfc4514 and rfc5280 RDN OIDs',
      {
        secretName: 'abc',
        issuerRef: ref,
        literalSubject: 'CN=James \\"Jim\\" Smith\\, III,DC=dc,DC=net,UID=jamessmith,STREET=La Rambla,L=Barcelona,C=Spain,O=Acme,OU=IT,OU=Admins',
      },
      UNSUPPORTED('literal subjects are not supported'),
    ),
    no(
      'invalid with a `literalSubject` without CN and no dnsNames, ipAddresses, or emailAddress',
      { secretName: 'abc', issuerRef: ref, literalSubject: 'O=SomeCorp' },
      'spec',
    ),
    no(
      'invalid with a `literalSubject` and any `Subject` other than serialNumber',
      { secretName: 'abc', issuerRef: ref, literalSubject: 'CN=testcn', subject: { organizations: ['US'] } },
      'spec.literalSubject',
    ),
    no('invalid with a `literalSubject` and a `commonName`', { ...base, literalSubject: 'CN=testcn' }, 'spec.literalSubject'),
    no('invalid with an unknown OID', { secretName: 'abc', issuerRef: ref, literalSubject: 'C=O,B=TX,CN=foo' }, 'spec.literalSubject'),

    // Test_validateKeystores
    no(
      'JKS PasswordSecretRef and Password are mutually exclusive',
      { ...base, keystores: { jks: { create: true, passwordSecretRef: { name: 'secret', key: 'k' }, password: 'changeit' } } },
      'spec.keystores',
    ),
    no(
      'JKS one of PasswordSecretRef / Password is required (nil password)',
      { ...base, keystores: { jks: { create: true, passwordSecretRef: {} } } },
      'spec.keystores',
    ),
    no(
      'JKS one of PasswordSecretRef / Password is required (empty strings)',
      { ...base, keystores: { jks: { create: true, passwordSecretRef: { name: '' }, password: '' } } },
      'spec.keystores',
    ),
    no(
      'PKCS12 PasswordSecretRef and Password are mutually exclusive',
      { ...base, keystores: { pkcs12: { create: true, passwordSecretRef: { name: 'secret', key: 'k' }, password: 'changeit' } } },
      'spec.keystores',
    ),
    no(
      'PKCS12 one of PasswordSecretRef / Password is required (nil password)',
      { ...base, keystores: { pkcs12: { create: true, passwordSecretRef: {} } } },
      'spec.keystores',
    ),
    no(
      'PKCS12 one of PasswordSecretRef / Password is required (empty strings)',
      { ...base, keystores: { pkcs12: { create: true, passwordSecretRef: { name: '' }, password: '' } } },
      'spec.keystores',
    ),
  ],
};

runParityTable(certificateTable);
