// cert-manager's re-issuance policy tables (internal/controller/certificates/policies/checks_test.go:
// Test_NewTriggerPolicyChain, Test_SecretSecretTemplateMismatch,
// Test_SecretCertificateNameAnnotationsMismatch, Test_SecretOwnerReferenceMismatch), carried over as facts: the Certificate, Secret and
// current CertificateRequest going in, and whether cert-manager re-issues and with which reason.
// Each case runs certgate's own policy functions (evaluateSecret: what the trigger and readiness
// controllers decide; secretMetadataDrift: what the issuing controller puts back without
// re-issuing; secretOwnerRefMismatch: the owner reference it puts back) and states certgate's outcome: the same, or a deliberate difference naming the
// README rule ("Migrating from cert-manager", controller side).
// The tables built on server-side apply managedFields and on additionalOutputFormats are carried over
// in cert-manager-checks-ownership.test.ts.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate, CertificateRequest, CertificateSpec } from '../../api/types.generated.ts';
import { createCsr, encodePrivateKeyPem, generatePrivateKey, signCertificate } from '../../lib/pki/index.ts';
import { evaluateSecret } from './policy.ts';
import { secretMetadataDrift, secretOwnerRefMismatch } from './secret-upkeep.ts';
import { secretAnnotationsFor } from './secret-writer.ts';
import { inspectCertificate } from '../../lib/pki/index.ts';

const MINUTE = 60_000;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const TEST_ISSUER = { name: 'testissuer', kind: 'IssuerKind', group: 'group.example.com' };
const TEST_ISSUER_ANNOTATIONS = {
  'cert-manager.io/issuer-name': 'testissuer',
  'cert-manager.io/issuer-kind': 'IssuerKind',
  'cert-manager.io/issuer-group': 'group.example.com',
};

/** Key material the cases share, made once (cert-manager's testcrypto helpers). */
interface Crypto {
  now: number;
  fixedKey: KeyObject;
  fixedKeyPem: string;
  otherKeyPem: string;
  ec521KeyPem: string;
  /** A certificate for the names, signed by `key`, valid from..to (default: now-1h .. now+24h). */
  cert(key: KeyObject, names: { commonName?: string }, from?: number, to?: number): Promise<string>;
  csr(key: KeyObject, commonName: string): Promise<string>;
}

let crypto: Crypto;

function certificate(spec: Partial<CertificateSpec>): Certificate {
  // Go's zero IssuerReference is an empty name, kind and group.
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'test-certificate', namespace: 'ns' },
    spec: { secretName: 'something', issuerRef: { name: '' }, ...spec },
  };
}

function secret(data: Record<string, string> | undefined, annotations?: Record<string, string>, labels?: Record<string, string>): V1Secret {
  return {
    metadata: { name: 'something', annotations, labels },
    ...(data ? { data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) } : {}),
  };
}

function request(csrPem: string): CertificateRequest {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: { name: 'cr', namespace: 'ns' },
    spec: { issuerRef: TEST_ISSUER, request: b64(csrPem) },
  };
}

interface Verdict {
  reason?: string;
  reissue: boolean;
}

interface TriggerCase {
  name: string;
  input: () => Promise<{ certificate: Certificate; secret?: V1Secret; request?: CertificateRequest }>;
  certManager: Verdict;
  certgate?: { verdict: Verdict; rule: string };
}

const reissue = (reason: string): Verdict => ({ reason, reissue: true });
const NO_ACTION: Verdict = { reissue: false };

export const TRIGGER_CASES: TriggerCase[] = [
  { name: 'trigger issuance if Secret is missing', input: async () => ({ certificate: certificate({}) }), certManager: reissue('DoesNotExist') },
  {
    name: 'trigger issuance as Secret does not contain any data',
    input: async () => ({ certificate: certificate({}), secret: secret(undefined) }),
    certManager: reissue('MissingData'),
  },
  {
    name: 'trigger issuance as Secret is missing private key',
    input: async () => ({ certificate: certificate({}), secret: secret({ 'tls.crt': 'test' }) }),
    certManager: reissue('MissingData'),
  },
  {
    name: 'trigger issuance as Secret is missing certificate',
    input: async () => ({ certificate: certificate({}), secret: secret({ 'tls.key': 'test' }) }),
    certManager: reissue('MissingData'),
  },
  {
    name: 'trigger issuance as Secret contains corrupt private key and certificate data',
    input: async () => ({ certificate: certificate({}), secret: secret({ 'tls.key': 'test', 'tls.crt': 'test' }) }),
    certManager: reissue('InvalidKeyPair'),
  },
  {
    name: 'trigger issuance as Secret contains corrupt certificate data',
    input: async () => ({ certificate: certificate({}), secret: secret({ 'tls.key': crypto.otherKeyPem, 'tls.crt': 'test' }) }),
    certManager: reissue('InvalidCertificate'),
  },
  {
    name: 'trigger issuance as Secret contains corrupt private key data',
    input: async () => ({
      certificate: certificate({}),
      secret: secret({ 'tls.key': 'invalid', 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) }),
    }),
    certManager: reissue('InvalidKeyPair'),
  },
  {
    name: 'trigger issuance as Secret contains a non-matching key-pair',
    input: async () => ({
      certificate: certificate({}),
      secret: secret({ 'tls.key': crypto.otherKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) }),
    }),
    certManager: reissue('InvalidKeyPair'),
  },
  {
    name: "trigger issuance as Secret has old or incorrect 'issuer name' annotation",
    input: async () => ({
      certificate: certificate({ issuerRef: { name: 'testissuer' } }),
      secret: secret(
        { 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) },
        { 'cert-manager.io/issuer-name': 'oldissuer' },
      ),
    }),
    certManager: reissue('IncorrectIssuer'),
  },
  {
    name: "trigger issuance as Secret has old or incorrect 'issuer kind' annotation",
    input: async () => ({
      certificate: certificate({ issuerRef: { name: 'testissuer', kind: 'NewIssuerKind' } }),
      secret: secret(
        { 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) },
        { 'cert-manager.io/issuer-name': 'testissuer', 'cert-manager.io/issuer-kind': 'OldIssuerKind' },
      ),
    }),
    certManager: reissue('IncorrectIssuer'),
  },
  {
    name: "trigger issuance as Secret has old or incorrect 'issuer group' annotation",
    input: async () => ({
      certificate: certificate({ issuerRef: { name: 'testissuer', kind: 'IssuerKind', group: 'old.example.com' } }),
      secret: secret(
        { 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) },
        { ...TEST_ISSUER_ANNOTATIONS, 'cert-manager.io/issuer-group': 'new.example.com' },
      ),
    }),
    certManager: reissue('IncorrectIssuer'),
  },
  {
    name: 'trigger issuance as private key properties do not meet the requested properties',
    input: async () => {
      const { parsePrivateKeyPem } = await import('../../lib/pki/index.ts');
      return {
        certificate: certificate({}),
        secret: secret({ 'tls.key': crypto.ec521KeyPem, 'tls.crt': await crypto.cert(parsePrivateKeyPem(crypto.ec521KeyPem), { commonName: 'example.com' }) }),
      };
    },
    certManager: reissue('SecretMismatch'),
  },
  {
    name: 'trigger if the Secret contains a different private key than was used to sign the CSR',
    input: async () => ({
      certificate: certificate({}),
      secret: secret({ 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) }),
      request: request(await crypto.csr(await generatePrivateKey({ algorithm: 'RSA' }), 'example.com')),
    }),
    certManager: reissue('SecretMismatch'),
    certgate: { verdict: NO_ACTION, rule: 'import-keeps-valid-pair' },
  },
  {
    name: 'trigger issuance when CertificateRequest does not match certificate spec',
    input: async () => ({
      certificate: certificate({ commonName: 'new.example.com', issuerRef: TEST_ISSUER }),
      secret: secret(
        { 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'does-not-matter.example.com' }) },
        TEST_ISSUER_ANNOTATIONS,
      ),
      request: request(await crypto.csr(crypto.fixedKey, 'old.example.com')),
    }),
    certManager: reissue('RequestChanged'),
    certgate: { verdict: reissue('SecretMismatch'), rule: 'names-checked-on-the-stored-certificate' },
  },
  {
    name: 'do nothing if CertificateRequest matches spec',
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER }),
      secret: secret(
        { 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'does-not-matter.example.com' }) },
        TEST_ISSUER_ANNOTATIONS,
      ),
      request: request(await crypto.csr(crypto.fixedKey, 'example.com')),
    }),
    certManager: NO_ACTION,
    certgate: { verdict: reissue('SecretMismatch'), rule: 'names-checked-on-the-stored-certificate' },
  },
  {
    name: 'compare signed x509 certificate in Secret with spec if CertificateRequest does not exist',
    input: async () => ({
      certificate: certificate({ commonName: 'new.example.com', issuerRef: TEST_ISSUER }),
      secret: secret(
        { 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'old.example.com' }) },
        TEST_ISSUER_ANNOTATIONS,
      ),
    }),
    certManager: reissue('SecretMismatch'),
  },
  {
    name: 'do nothing if signed x509 certificate in Secret matches spec (when request does not exist)',
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER }),
      secret: secret({ 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) }, TEST_ISSUER_ANNOTATIONS),
    }),
    certManager: NO_ACTION,
  },
  {
    name: 'trigger renewal if renewalTime is right now',
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER, renewBefore: '5m' }),
      secret: secret(
        {
          'tls.key': crypto.fixedKeyPem,
          'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }, crypto.now - 30 * MINUTE, crypto.now + 1 * MINUTE),
        },
        TEST_ISSUER_ANNOTATIONS,
      ),
    }),
    certManager: reissue('Renewing'),
  },
  {
    name: 'trigger renewal if renewalTime is in the past',
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER, renewBefore: '5m' }),
      secret: secret(
        {
          'tls.key': crypto.fixedKeyPem,
          'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }, crypto.now - 30 * MINUTE, crypto.now + 1 * MINUTE),
        },
        TEST_ISSUER_ANNOTATIONS,
      ),
    }),
    certManager: reissue('Renewing'),
  },
  {
    name: "does not trigger renewal if the x509 cert has been re-issued, but Certificate's renewal time has not been updated yet",
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER, renewBefore: '1m' }),
      secret: secret(
        { 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }, crypto.now, crypto.now + 30 * MINUTE) },
        TEST_ISSUER_ANNOTATIONS,
      ),
    }),
    certManager: NO_ACTION,
  },
  {
    name: 'does not trigger renewal if renewal time is in 1 minute',
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER, renewBefore: '1m' }),
      secret: secret(
        {
          'tls.key': crypto.fixedKeyPem,
          'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }, crypto.now - 30 * MINUTE, crypto.now + 5 * MINUTE),
        },
        TEST_ISSUER_ANNOTATIONS,
      ),
    }),
    certManager: NO_ACTION,
  },
  {
    name: 'does not trigger renewal if renewal policy is disabled',
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER, renewal: { policy: 'Disabled' } } as Partial<CertificateSpec>),
      secret: secret(
        {
          'tls.key': crypto.fixedKeyPem,
          'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }, crypto.now - 30 * MINUTE, crypto.now + 5 * MINUTE),
        },
        TEST_ISSUER_ANNOTATIONS,
      ),
    }),
    certManager: NO_ACTION,
  },
];

/** certgate-only cases that pin the rules the differences name. */
const CERTGATE_RULE_CASES: Array<Omit<TriggerCase, 'certgate'>> = [
  {
    name: "import-keeps-valid-pair: a valid pair for the right names, with a key other than the current request's, stays",
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER }),
      secret: secret({ 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) }, TEST_ISSUER_ANNOTATIONS),
      request: request(await crypto.csr(await generatePrivateKey({ algorithm: 'RSA' }), 'example.com')),
    }),
    certManager: NO_ACTION,
  },
  {
    name: 'a changed duration re-issues through the current request (RequestChanged)',
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER, duration: '48h' }),
      secret: secret({ 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) }, TEST_ISSUER_ANNOTATIONS),
      request: { ...request(await crypto.csr(crypto.fixedKey, 'example.com')), spec: { issuerRef: TEST_ISSUER, request: '', duration: '24h0m0s' } },
    }),
    certManager: reissue('RequestChanged'),
  },
  {
    name: 'the same duration written another way does not re-issue',
    input: async () => ({
      certificate: certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER, duration: '24h' }),
      secret: secret({ 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) }, TEST_ISSUER_ANNOTATIONS),
      request: { ...request(await crypto.csr(crypto.fixedKey, 'example.com')), spec: { issuerRef: TEST_ISSUER, request: '', duration: '1440m' } },
    }),
    certManager: NO_ACTION,
  },
];

async function verdict(c: Omit<TriggerCase, 'certgate'>): Promise<Verdict> {
  const { certificate: crt, secret: s, request: r } = await c.input();
  const e = evaluateSecret(crt, s, crypto.now, r);
  return e.reason ? { reason: e.reason, reissue: true } : NO_ACTION;
}

before(async () => {
  const now = Date.now();
  const fixedKey = await generatePrivateKey({ algorithm: 'RSA' });
  crypto = {
    now,
    fixedKey,
    fixedKeyPem: encodePrivateKeyPem(fixedKey),
    otherKeyPem: encodePrivateKeyPem(await generatePrivateKey({ algorithm: 'RSA' })),
    ec521KeyPem: encodePrivateKeyPem(await generatePrivateKey({ algorithm: 'ECDSA', size: 521 }), 'PKCS8'),
    csr: (key, commonName) => createCsr(key, { commonName }),
    cert: async (key, names, from = now - 60 * MINUTE, to = now + 24 * 60 * MINUTE) =>
      signCertificate({ csr: await createCsr(key, names), durationMs: to - from, signerKey: key, now: new Date(from) }),
  };
});

describe("cert-manager's Test_NewTriggerPolicyChain", () => {
  for (const c of TRIGGER_CASES) {
    it(c.certgate ? `${c.name} [deliberate difference: ${c.certgate.rule}]` : c.name, async () => {
      assert.deepEqual(await verdict(c), c.certgate ? c.certgate.verdict : c.certManager);
    });
  }
});

describe('certgate rules behind the differences', () => {
  for (const c of CERTGATE_RULE_CASES) it(c.name, async () => assert.deepEqual(await verdict(c), c.certManager));
});

// Test_SecretCertificateNameAnnotationsMismatch: [annotation on the Secret, cert-manager's verdict and message].
const CERTIFICATE_NAME_CASES: Array<[string, string | undefined, Verdict, string | undefined]> = [
  ['without a CertificateName annotation, should return false', undefined, NO_ACTION, undefined],
  ['with a matching CertificateName annotation, should return false', 'test-certificate', NO_ACTION, undefined],
  [
    'with a non-matching CertificateName annotation, should return true',
    'foo',
    reissue('IncorrectCertificate'),
    'Secret was issued for "foo". If this message is not transient, you might have two conflicting Certificates pointing to the same secret.',
  ],
];

describe("cert-manager's Test_SecretCertificateNameAnnotationsMismatch", () => {
  for (const [name, annotation, want, message] of CERTIFICATE_NAME_CASES) {
    it(name, async () => {
      const crt = certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER });
      const annotations = { ...TEST_ISSUER_ANNOTATIONS, ...(annotation === undefined ? {} : { 'cert-manager.io/certificate-name': annotation }) };
      const e = evaluateSecret(
        crt,
        secret({ 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName: 'example.com' }) }, annotations),
        crypto.now,
      );
      assert.deepEqual(e.reason ? reissue(e.reason) : NO_ACTION, want);
      assert.equal(e.message, message);
    });
  }
});

// Test_SecretSecretTemplateMismatch: [template, the Secret's annotations and labels, cert-manager's reason and message or none].
type Maps = { annotations?: Record<string, string>; labels?: Record<string, string> } | undefined;
const TEMPLATE = { annotations: { foo1: 'bar1', foo2: 'bar2' }, labels: { abc: '123', def: '456' } };
const TEMPLATE_CASES: Array<[string, Maps, Maps, [string, string] | undefined]> = [
  ['if SecretTemplate is nil, Secret Annotations and Labels are nil, return false', undefined, {}, undefined],
  ['if SecretTemplate is nil, Secret Annotations are nil, Labels are non-nil, return false', undefined, { labels: { foo: 'bar' } }, undefined],
  ['if SecretTemplate is nil, Secret Annotations are non-nil, Labels are nil, return false', undefined, { annotations: { foo: 'bar' } }, undefined],
  [
    'if SecretTemplate is nil, Secret Annotations and Labels are non-nil, return false',
    undefined,
    { annotations: { foo: 'bar' }, labels: { bar: 'foo' } },
    undefined,
  ],
  [
    'if SecretTemplate is non-nil, Secret Annotations match and there are no common Labels, return false',
    TEMPLATE,
    { annotations: TEMPLATE.annotations },
    undefined,
  ],
  ['if SecretTemplate is non-nil, Secret Labels match and there are no common Annotations, return false', TEMPLATE, { labels: TEMPLATE.labels }, undefined],
  [
    "if SecretTemplate is non-nil, Secret Labels match but Annotations don't match values, return true",
    TEMPLATE,
    { annotations: { foo1: 'bar2', foo2: 'bar1' }, labels: TEMPLATE.labels },
    ['SecretTemplateMismatch', "Certificate's SecretTemplate Annotations missing or incorrect value on Secret"],
  ],
  [
    "if SecretTemplate is non-nil, Secret Annotations match but Labels don't match values, return true",
    TEMPLATE,
    { annotations: TEMPLATE.annotations, labels: { abc: '456', def: '123' } },
    ['SecretTemplateMismatch', "Certificate's SecretTemplate Labels missing or incorrect value on Secret"],
  ],
  ['if SecretTemplate is non-nil, Secret Annotations and Labels match, return false', TEMPLATE, TEMPLATE, undefined],
];

/** Cases where cert-manager reports nothing because a template key is wholly missing (its managedFields check covers those), and certgate puts it back. */
const TEMPLATE_DIFFERENCES: Record<string, [string, string]> = {
  'if SecretTemplate is non-nil, Secret Annotations match and there are no common Labels, return false': [
    'SecretTemplateMismatch',
    "Certificate's SecretTemplate Labels missing or incorrect value on Secret",
  ],
  'if SecretTemplate is non-nil, Secret Labels match and there are no common Annotations, return false': [
    'SecretTemplateMismatch',
    "Certificate's SecretTemplate Annotations missing or incorrect value on Secret",
  ],
};

describe("cert-manager's Test_SecretSecretTemplateMismatch", () => {
  for (const [name, template, onSecret, want] of TEMPLATE_CASES) {
    const difference = TEMPLATE_DIFFERENCES[name];
    it(difference ? `${name} [deliberate difference: secret-template-keys-put-back]` : name, async () => {
      const crt = certificate({ commonName: 'example.com', issuerRef: TEST_ISSUER, ...(template ? { secretTemplate: template } : {}) });
      const pem = await crypto.cert(crypto.fixedKey, { commonName: 'example.com' });
      // The Secret otherwise as certgate writes it (fao label, certificate details), so only the template decides.
      const details = secretAnnotationsFor(crt, inspectCertificate(pem).names);
      const s = secret(
        { 'tls.key': crypto.fixedKeyPem, 'tls.crt': pem },
        { ...details, ...onSecret?.annotations },
        { 'controller.cert-manager.io/fao': 'true', ...onSecret?.labels },
      );
      const drift = secretMetadataDrift(crt, s);
      assert.deepEqual(drift && [drift.reason, drift.message], difference ?? want);
      if (drift) {
        assert.deepEqual(Object.fromEntries(Object.keys(template!.labels!).map((k) => [k, drift.labels[k]])), template!.labels, 'labels put back');
        assert.deepEqual(
          Object.fromEntries(Object.keys(template!.annotations!).map((k) => [k, drift.annotations[k]])),
          template!.annotations,
          'annotations put back',
        );
      }
    });
  }
});

type OwnerRef = { apiVersion: string; kind: string; name: string; uid: string; controller: boolean; blockOwnerDeletion: boolean };
const FOO_REF: OwnerRef = { apiVersion: 'foo.bar/v1', kind: 'Foo', name: 'foo', uid: 'abc', controller: false, blockOwnerDeletion: false };
const BAR_REF: OwnerRef = { apiVersion: 'bar.foo/v1', kind: 'Bar', name: 'bar', uid: 'def', controller: true, blockOwnerDeletion: true };
const CERT_REF: OwnerRef = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  name: 'test-certificate',
  uid: 'uid-123',
  controller: true,
  blockOwnerDeletion: true,
};
const OWNER_REF_MESSAGE = 'unexpected Secret Owner Reference value on Secret --enable-certificate-owner-ref=true';

/** [name, --enable-certificate-owner-ref, the Secret's ownerReferences, whether cert-manager reports SecretOwnerRefMismatch]. */
const OWNER_REF_CASES: Array<[string, boolean, OwnerRef[], boolean]> = [
  ['ownerReferenceEnabled=false no secret owner reference should return false', false, [], false],
  ['ownerReferenceEnabled=false secret has random owner reference should return false', false, [FOO_REF], false],
  ['ownerReferenceEnabled=false secret has multiple random owner reference should return false', false, [FOO_REF, BAR_REF], false],
  ['ownerReferenceEnabled=false secret has owner reference for certificate with correct value should return false', false, [FOO_REF, BAR_REF, CERT_REF], false],
  [
    'ownerReferenceEnabled=false secret has owner reference for certificate with in-correct value should return false',
    false,
    [FOO_REF, BAR_REF, { ...CERT_REF, name: 'foo' }],
    false,
  ],
  ['ownerReferenceEnabled=false no secret owner reference should return true', true, [], true],
  ['ownerReferenceEnabled=true secret has random owner reference should return true', true, [FOO_REF], true],
  ['ownerReferenceEnabled=true secret has multiple random owner reference should return true', true, [FOO_REF, BAR_REF], true],
  ['ownerReferenceEnabled=true secret has owner reference for certificate with correct value should return false', true, [FOO_REF, BAR_REF, CERT_REF], false],
  [
    'ownerReferenceEnabled=true secret has owner reference for certificate with wrong Name value should return true',
    true,
    [FOO_REF, BAR_REF, { ...CERT_REF, name: 'foo' }],
    true,
  ],
  [
    'ownerReferenceEnabled=true secret has owner reference for certificate with wrong APIVersion value should return true',
    true,
    [FOO_REF, BAR_REF, { ...CERT_REF, apiVersion: 'acme.cert-manager.io/v1' }],
    true,
  ],
  [
    'ownerReferenceEnabled=true secret has owner reference for certificate with wrong Kind value should return true',
    true,
    [FOO_REF, BAR_REF, { ...CERT_REF, kind: 'Issuer' }],
    true,
  ],
  [
    'ownerReferenceEnabled=true secret has owner reference for certificate with wrong Controller value should return true',
    true,
    [FOO_REF, BAR_REF, { ...CERT_REF, controller: false }],
    true,
  ],
  [
    'ownerReferenceEnabled=true secret has owner reference for certificate with wrong BlockDeletion value should return true',
    true,
    [FOO_REF, BAR_REF, { ...CERT_REF, blockOwnerDeletion: false }],
    true,
  ],
];

describe("cert-manager's Test_SecretOwnerReferenceMismatch", () => {
  for (const [name, enabled, refs, violation] of OWNER_REF_CASES) {
    it(name, () => {
      const crt = certificate({});
      crt.metadata.uid = 'uid-123';
      const found = secretOwnerRefMismatch(crt, { metadata: { name: 'something', ownerReferences: refs } }, enabled);
      assert.deepEqual(found && [found.reason, found.message], violation ? ['SecretOwnerRefMismatch', OWNER_REF_MESSAGE] : undefined);
      // What is put back: the Certificate's controller reference once, other owners kept.
      if (found) assert.deepEqual(found.ownerReferences, [...refs.filter((r) => r.uid !== 'uid-123'), CERT_REF]);
    });
  }
});

describe('ported re-issuance tables: counts', () => {
  it('every case is the same as cert-manager or names its rule', () => {
    const differences = TRIGGER_CASES.filter((c) => c.certgate).length + Object.keys(TEMPLATE_DIFFERENCES).length;
    const total = TRIGGER_CASES.length + CERTIFICATE_NAME_CASES.length + TEMPLATE_CASES.length + OWNER_REF_CASES.length;
    // Reported in README "Migrating from cert-manager" (controller side); keep both in step.
    assert.deepEqual({ total, same: total - differences, deliberate: differences }, { total: 48, same: 43, deliberate: 5 });
  });
});
