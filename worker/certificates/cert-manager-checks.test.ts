// cert-manager's re-issuance policy tables (internal/controller/certificates/policies/checks_test.go:
// Test_NewTriggerPolicyChain, Test_SecretSecretTemplateMismatch,
// Test_SecretCertificateNameAnnotationsMismatch, Test_SecretOwnerReferenceMismatch; and
// pkg/util/pki/match_test.go for RequestMatchesSpec, behind RequestChanged), carried over as facts: the Certificate, Secret and
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
import { createCsr, encodePrivateKeyPem, generatePrivateKey, signCertificate, type CertificateNames } from '../../lib/pki/index.ts';
import { usageExtensions } from '../../lib/pki/usages.ts';
import { toCryptoKeyPair, x509 } from '../../lib/pki/webcrypto.ts';
import { evaluateSecret } from './policy.ts';
import { requestMismatches } from './request-match.ts';
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
  cert(key: KeyObject, names: Partial<CertificateNames>, from?: number, to?: number): Promise<string>;
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

/** Go's rule (encoding/asn1): a value of these characters is a PrintableString, others UTF8String. */
const goDirectoryString = (v: string) => (/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(v) ? { printableString: v } : { utf8String: v });

/**
 * A CSR as cert-manager's pki.GenerateCSR writes it for a Certificate spec: the subject in Go's
 * pkix.Name order (C, ST, L, STREET, POSTALCODE, O, OU, CN, SERIALNUMBER), one multi-valued RDN
 * per attribute, PrintableString where it can; the SANs; the usages encoded in the request.
 */
async function certManagerCsr(key: KeyObject, spec: Partial<CertificateSpec>): Promise<string> {
  const s = spec.subject ?? {};
  const rdns: Array<Record<string, Array<ReturnType<typeof goDirectoryString>>>> = [];
  const rdn = (type: string, values: Array<string | undefined> = []) => {
    const present = values.filter((v): v is string => !!v);
    if (present.length) rdns.push({ [type]: present.map(goDirectoryString) });
  };
  rdn('C', s.countries);
  rdn('ST', s.provinces);
  rdn('L', s.localities);
  rdn('2.5.4.9', s.streetAddresses);
  rdn('2.5.4.17', s.postalCodes);
  rdn('O', s.organizations);
  rdn('OU', s.organizationalUnits);
  rdn('CN', [spec.commonName]);
  rdn('2.5.4.5', [s.serialNumber]);
  const sans: x509.JsonGeneralName[] = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    ...(spec.uris ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(spec.emailAddresses ?? []).map((value) => ({ type: 'email' as const, value })),
  ];
  const keys = await toCryptoKeyPair(key);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: new x509.Name(rdns),
    keys,
    signingAlgorithm: keys.algorithm,
    extensions: [
      ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
      ...usageExtensions(spec.usages?.length ? spec.usages : undefined, !!spec.isCA),
    ],
  });
  return csr.toString('pem');
}

/** A CertificateRequest as cert-manager's request manager makes it: spec fields copied from the Certificate as they are (usages and duration left out when unset). */
async function certManagerRequest(key: KeyObject, spec: Partial<CertificateSpec>): Promise<CertificateRequest> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: {
      name: 'test-certificate-1',
      namespace: 'ns',
      annotations: {
        'cert-manager.io/certificate-name': 'test-certificate',
        'cert-manager.io/certificate-revision': '1',
        'cert-manager.io/private-key-secret-name': 'test-certificate-abcde',
      },
    },
    spec: {
      request: b64(await certManagerCsr(key, spec)),
      issuerRef: spec.issuerRef ?? { name: '' },
      ...(spec.duration !== undefined ? { duration: spec.duration } : {}),
      ...(spec.usages !== undefined ? { usages: spec.usages } : {}),
      ...(spec.isCA ? { isCA: true } : {}),
    },
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
    // certgate has no such key check (import-keeps-valid-pair), but the certificate's common name was not asked for: the same verdict.
    certManager: reissue('SecretMismatch'),
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

/** A Certificate cert-manager issued, then certgate's webhook wrote the key and usage defaults into (on the first update after the switch). */
const MIGRATED_SPEC: Partial<CertificateSpec> = {
  commonName: 'example.com',
  dnsNames: ['example.com', 'www.example.com'],
  ipAddresses: ['192.0.2.1'],
  subject: { organizations: ['Acme Ltd', 'Ötherß GmbH'], countries: ['GB'], serialNumber: '42' },
  issuerRef: TEST_ISSUER,
  duration: '720h',
};
const AS_DEFAULTED_BY_CERTGATE: Partial<CertificateSpec> = {
  privateKey: { algorithm: 'RSA', size: 2048, encoding: 'PKCS1', rotationPolicy: 'Always' },
  usages: ['digital signature', 'key encipherment'],
};

/** The Certificate `spec` asks for, with the Secret and current request cert-manager made for MIGRATED_SPEC. */
async function afterMigration(spec: Partial<CertificateSpec>) {
  const { commonName, dnsNames, ipAddresses } = MIGRATED_SPEC;
  return {
    certificate: certificate({ ...MIGRATED_SPEC, ...AS_DEFAULTED_BY_CERTGATE, ...spec }),
    secret: secret(
      { 'tls.key': crypto.fixedKeyPem, 'tls.crt': await crypto.cert(crypto.fixedKey, { commonName, dnsNames, ipAddresses }) },
      { ...TEST_ISSUER_ANNOTATIONS, 'cert-manager.io/certificate-name': 'test-certificate' },
    ),
    request: await certManagerRequest(crypto.fixedKey, MIGRATED_SPEC),
  };
}

/** RequestChanged cases for the fields cert-manager's RequestMatchesSpec compares (its checks table has only the commonName one). */
const REQUEST_CHANGED_CASES: Array<Omit<TriggerCase, 'certgate'>> = [
  {
    name: "migration: cert-manager's request (usages and duration as the spec had them, Go's subject encoding) and Secret for an unchanged Certificate: nothing to do",
    input: () => afterMigration({}),
    certManager: NO_ACTION,
  },
  {
    name: 'spec.subject.organizations changed: RequestChanged',
    input: () => afterMigration({ subject: { ...MIGRATED_SPEC.subject, organizations: ['Acme Ltd'] } }),
    certManager: reissue('RequestChanged'),
  },
  {
    name: 'spec.subject.organizations in another order: nothing to do',
    input: () => afterMigration({ subject: { ...MIGRATED_SPEC.subject, organizations: ['Ötherß GmbH', 'Acme Ltd'] } }),
    certManager: NO_ACTION,
  },
  {
    name: 'spec.usages changed: RequestChanged',
    input: () => afterMigration({ usages: ['digital signature', 'key encipherment', 'client auth'] }),
    certManager: reissue('RequestChanged'),
  },
  {
    name: 'spec.commonName removed (the names stay in dnsNames): RequestChanged',
    input: () => afterMigration({ commonName: undefined }),
    certManager: reissue('RequestChanged'),
  },
  {
    name: 'spec.duration written another way ("720h0m0s"): nothing to do',
    input: () => afterMigration({ duration: '720h0m0s' }),
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

describe("cert-manager's RequestChanged for each compared field", () => {
  for (const c of REQUEST_CHANGED_CASES) it(c.name, async () => assert.deepEqual(await verdict(c), c.certManager));
  it('the message names the changed field', async () => {
    const { certificate: crt, secret: s, request: r } = await afterMigration({ subject: { organizations: ['Acme Ltd'] } });
    assert.equal(
      evaluateSecret(crt, s, crypto.now, r).message,
      'Fields on existing CertificateRequest resource not up to date: [spec.subject.serialNumber spec.subject.organizations spec.subject.countries]',
    );
  });
});

// RequestMatchesSpec (pkg/util/pki/match.go): TestRequestMatchesSpecIssuerRef as ported, then one
// case per field the function compares, built from its code (its own tests cover only issuerRef,
// otherNames and literalSubject; certgate's webhook refuses the last two: api/unsupported.ts). The
// request is the one cert-manager makes for `madeFor`; the Certificate asks for `spec`.
interface MatchCase {
  name: string;
  madeFor: Partial<CertificateSpec>;
  spec: Partial<CertificateSpec>;
  certManager: string[];
  certgate?: { fields: string[]; rule: string };
}

const ref = (name: string, kind?: string, group?: string) => ({ name, ...(kind ? { kind } : {}), ...(group ? { group } : {}) });
const CN = 'dummy-common-name';
const EVERY_FIELD: Partial<CertificateSpec> = {
  commonName: 'every.example.com',
  dnsNames: ['every.example.com', 'www.every.example.com'],
  ipAddresses: ['192.0.2.7', '2001:db8::7'],
  uris: ['spiffe://cluster.local/ns/a/sa/b'],
  emailAddresses: ['ops@example.com'],
  subject: {
    organizations: ['Acme Ltd', 'Acme Holdings'],
    organizationalUnits: ['Platform'],
    countries: ['GB'],
    provinces: ['Greater London'],
    localities: ['London'],
    streetAddresses: ['1 High Street'],
    postalCodes: ['EC1A 1BB'],
    serialNumber: '1234',
  },
  usages: ['digital signature', 'key encipherment', 'server auth'],
  duration: '720h',
  issuerRef: ref('test-issuer', 'Issuer', 'cert-manager.io'),
};
const changed = (subject: Partial<NonNullable<CertificateSpec['subject']>>) => ({ ...EVERY_FIELD, subject: { ...EVERY_FIELD.subject, ...subject } });

const MATCH_CASES: MatchCase[] = [
  ...(
    [
      [
        "should not report any violation if Certificate issuerRef matches the CertificateRequest's",
        ref('test-issuer', 'Issuer', 'cert-manager.io'),
        ref('test-issuer', 'Issuer', 'cert-manager.io'),
        [],
      ],
      [
        'should not report any violation if both Certificate and CertificateRequest issuerRef Kind and Group are empty',
        ref('test-issuer'),
        ref('test-issuer'),
        [],
      ],
      [
        'should not report any violation if Certificate issuerRef Kind and Group are defaulted and CertificateRequest issuerRef Group is empty',
        ref('test-issuer', 'Issuer'),
        ref('test-issuer', 'Issuer', 'cert-manager.io'),
        [],
      ],
      [
        'should not report any violation if Certificate issuerRef Kind and Group are defaulted and CertificateRequest issuerRef Kind is empty',
        ref('test-issuer', undefined, 'cert-manager.io'),
        ref('test-issuer', 'Issuer', 'cert-manager.io'),
        [],
      ],
      [
        "should report violation if Certificate issuerRef name mismatches the CertificateRequest's",
        ref('test-issuer', 'Issuer', 'cert-manager.io'),
        ref('different-issuer', 'Issuer', 'cert-manager.io'),
        ['spec.issuerRef'],
      ],
      [
        "should not report any violation if Certificate issuerRef Kind and Group are defaulted and CertificateRequest's are empty",
        ref('test-issuer'),
        ref('test-issuer', 'Issuer', 'cert-manager.io'),
        [],
      ],
      [
        "should report violation if Certificate issuerRef Kind mismatches the CertificateRequest's (defaulted vs non-defaulted)",
        ref('test-issuer', 'ClusterIssuer', 'cert-manager.io'),
        ref('test-issuer', 'Issuer', 'cert-manager.io'),
        ['spec.issuerRef'],
      ],
      [
        "should report violation if Certificate issuerRef Group mismatches the CertificateRequest's (defaulted vs non-defaulted)",
        ref('test-issuer', 'Issuer', 'different-group.io'),
        ref('test-issuer', 'Issuer', 'cert-manager.io'),
        ['spec.issuerRef'],
      ],
    ] as const
  ).map(([name, was, now, fields]) => ({
    name,
    madeFor: { commonName: CN, issuerRef: was },
    spec: { commonName: CN, issuerRef: now },
    certManager: [...fields],
  })),
  { name: 'every field unchanged: no violation', madeFor: EVERY_FIELD, spec: EVERY_FIELD, certManager: [] },
  { name: 'spec.commonName changed', madeFor: EVERY_FIELD, spec: { ...EVERY_FIELD, commonName: 'www.every.example.com' }, certManager: ['spec.commonName'] },
  { name: 'spec.commonName removed', madeFor: EVERY_FIELD, spec: { ...EVERY_FIELD, commonName: undefined }, certManager: ['spec.commonName'] },
  {
    name: 'spec.dnsNames: one added',
    madeFor: EVERY_FIELD,
    spec: { ...EVERY_FIELD, dnsNames: [...EVERY_FIELD.dnsNames!, 'api.example.com'] },
    certManager: ['spec.dnsNames'],
  },
  { name: 'spec.dnsNames in another order', madeFor: EVERY_FIELD, spec: { ...EVERY_FIELD, dnsNames: [...EVERY_FIELD.dnsNames!].reverse() }, certManager: [] },
  {
    name: 'spec.dnsNames in upper case',
    madeFor: EVERY_FIELD,
    spec: { ...EVERY_FIELD, dnsNames: EVERY_FIELD.dnsNames!.map((d) => d.toUpperCase()) },
    certManager: ['spec.dnsNames'],
    certgate: { fields: [], rule: 'request-compared-by-meaning' },
  },
  {
    name: 'spec.ipAddresses changed',
    madeFor: EVERY_FIELD,
    spec: { ...EVERY_FIELD, ipAddresses: ['192.0.2.8', '2001:db8::7'] },
    certManager: ['spec.ipAddresses'],
  },
  {
    name: 'spec.ipAddresses written another way',
    madeFor: EVERY_FIELD,
    spec: { ...EVERY_FIELD, ipAddresses: ['192.0.2.7', '2001:db8:0:0:0:0:0:7'] },
    certManager: [],
  },
  { name: 'spec.uris changed', madeFor: EVERY_FIELD, spec: { ...EVERY_FIELD, uris: ['spiffe://cluster.local/ns/a/sa/c'] }, certManager: ['spec.uris'] },
  { name: 'spec.emailAddresses removed', madeFor: EVERY_FIELD, spec: { ...EVERY_FIELD, emailAddresses: undefined }, certManager: ['spec.emailAddresses'] },
  {
    name: 'spec.subject.organizations: one removed',
    madeFor: EVERY_FIELD,
    spec: changed({ organizations: ['Acme Ltd'] }),
    certManager: ['spec.subject.organizations'],
  },
  {
    name: 'spec.subject.organizations in another order',
    madeFor: EVERY_FIELD,
    spec: changed({ organizations: ['Acme Holdings', 'Acme Ltd'] }),
    certManager: [],
  },
  {
    name: 'every other subject field changed',
    madeFor: EVERY_FIELD,
    spec: changed({
      organizationalUnits: ['Security'],
      countries: ['IE'],
      provinces: ['Leinster'],
      localities: ['Dublin'],
      streetAddresses: ['2 Low Street'],
      serialNumber: '5678',
    }),
    certManager: [
      'spec.subject.serialNumber',
      'spec.subject.countries',
      'spec.subject.localities',
      'spec.subject.organizationalUnits',
      'spec.subject.provinces',
      'spec.subject.streetAddresses',
    ],
  },
  {
    name: 'spec.subject.postalCodes changed',
    madeFor: EVERY_FIELD,
    spec: changed({ postalCodes: ['D02 X285'] }),
    certManager: ['spec.subject.postCodes'],
    certgate: { fields: ['spec.subject.postalCodes'], rule: 'field-named-as-in-the-spec' },
  },
  {
    name: 'spec.subject removed',
    madeFor: { commonName: CN, subject: { organizations: ['Acme Ltd'] } },
    spec: { commonName: CN },
    certManager: ['spec.subject.organizations'],
  },
  { name: 'spec.isCA set', madeFor: EVERY_FIELD, spec: { ...EVERY_FIELD, isCA: true }, certManager: ['spec.isCA'] },
  {
    name: 'spec.usages: one added',
    madeFor: EVERY_FIELD,
    spec: { ...EVERY_FIELD, usages: [...EVERY_FIELD.usages!, 'client auth'] },
    certManager: ['spec.usages'],
  },
  { name: 'spec.usages in another order', madeFor: EVERY_FIELD, spec: { ...EVERY_FIELD, usages: [...EVERY_FIELD.usages!].reverse() }, certManager: [] },
  {
    name: "spec.usages: the defaults written out (certgate's webhook does) where the request has none",
    madeFor: { commonName: CN },
    spec: { commonName: CN, usages: ['digital signature', 'key encipherment'] },
    certManager: ['spec.usages'],
    certgate: { fields: [], rule: 'request-compared-by-meaning' },
  },
  {
    name: 'spec.usages: "signing" where the request says "digital signature"',
    madeFor: { commonName: CN, usages: ['digital signature', 'key encipherment'] },
    spec: { commonName: CN, usages: ['signing', 'key encipherment'] },
    certManager: ['spec.usages'],
    certgate: { fields: [], rule: 'request-compared-by-meaning' },
  },
  { name: 'spec.duration changed', madeFor: EVERY_FIELD, spec: { ...EVERY_FIELD, duration: '1440h' }, certManager: ['spec.duration'] },
  { name: 'spec.duration written another way', madeFor: EVERY_FIELD, spec: { ...EVERY_FIELD, duration: '720h0m0s' }, certManager: [] },
  { name: 'spec.duration set where the request has none', madeFor: { commonName: CN }, spec: { commonName: CN, duration: '720h' }, certManager: [] },
  {
    name: 'spec.duration removed (the request has one)',
    madeFor: { commonName: CN, duration: '720h' },
    spec: { commonName: CN },
    certManager: [],
    certgate: { fields: ['spec.duration'], rule: 'unset-duration-is-90-days' },
  },
];

describe("cert-manager's RequestMatchesSpec (TestRequestMatchesSpecIssuerRef and each compared field)", () => {
  for (const c of MATCH_CASES) {
    it(c.certgate ? `${c.name} [deliberate difference: ${c.certgate.rule}]` : c.name, async () => {
      const compared = requestMismatches(certificate(c.spec), await certManagerRequest(crypto.fixedKey, c.madeFor));
      assert.deepEqual(compared, { fields: c.certgate ? c.certgate.fields : c.certManager });
    });
  }
  it('a CSR that cannot be read: its names and subject are not compared, the other fields are', async () => {
    const cr = await certManagerRequest(crypto.fixedKey, EVERY_FIELD);
    cr.spec.request = b64('not a CSR');
    const compared = requestMismatches(certificate({ ...EVERY_FIELD, commonName: 'other.example.com', usages: ['client auth'] }), cr);
    assert.deepEqual(compared.fields, ['spec.usages']);
    assert.match(compared.unreadableCsr ?? '', /not a PEM certificate request/);
  });
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
    const differences =
      TRIGGER_CASES.filter((c) => c.certgate).length + Object.keys(TEMPLATE_DIFFERENCES).length + MATCH_CASES.filter((c) => c.certgate).length;
    const total = TRIGGER_CASES.length + CERTIFICATE_NAME_CASES.length + TEMPLATE_CASES.length + OWNER_REF_CASES.length + MATCH_CASES.length;
    // Reported in README "Migrating from cert-manager" (controller side); keep both in step.
    assert.deepEqual({ total, same: total - differences, deliberate: differences }, { total: 80, same: 71, deliberate: 9 });
  });
});
