// cert-manager's CertificateRequest validation tables (internal/apis/certmanager/validation/
// certificaterequest_test.go: TestValidateCertificateRequestUpdate, TestValidateCertificateRequest;
// test/integration/validation/certificaterequest_test.go), carried over as inputs and outcomes.
// The CSRs are made as cert-manager's test generator makes them (csr.test-data.ts).
import { x509 } from '../../lib/pki/webcrypto.ts';
import { csrFor } from './csr.test-data.ts';
import { runParityTable, type ParityCase, type ParityTable } from './harness.test-data.ts';

const ref = { name: 'name', kind: 'ClusterIssuer' };
type Cond = { type: string; status: string; reason?: string };
const cr = (spec: Record<string, unknown>, conditions?: Cond[], annotations?: Record<string, string>) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'CertificateRequest',
  metadata: { name: 'test', namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec,
  ...(conditions ? { status: { conditions } } : {}),
});
const ok = (name: string, object: Record<string, unknown>, old?: Record<string, unknown>): ParityCase => ({ name, object, old, certManager: 'accepted' });
const no = (name: string, object: Record<string, unknown>, refusedAt: string, old?: Record<string, unknown>): ParityCase => ({
  name,
  object,
  old,
  certManager: 'refused',
  refusedAt,
});

const base = await csrFor({});
const approved = (reason?: string): Cond => ({ type: 'Approved', status: 'True', ...(reason ? { reason } : {}) });
const denied = (reason?: string): Cond => ({ type: 'Denied', status: 'True', ...(reason ? { reason } : {}) });
const withConditions = (conditions: Cond[]) => cr({ request: base, issuerRef: ref }, conditions);

// The update table's base request: annotations of three kinds, user info, extra.
const annotated = { abc: '123', 'cert-manager.io/foo': 'abc', 'acme.cert-manager.io/bar': '123' };
const fullSpec = {
  request: base,
  issuerRef: ref,
  uid: 'abc',
  username: 'user-1',
  groups: ['group-1', 'group-2'],
  extra: { '1': ['abc', 'efg'], '2': ['efg', 'abc'] },
};
const baseCR = cr(fullSpec, undefined, annotated);

const caSpec = async (usages: string[]) => ({ request: await csrFor({ usages, isCA: true }), issuerRef: ref, isCA: true, usages });
const anyCA = await caSpec(['any']);
const emptyKeyUsage = await csrFor({ extensions: [new x509.KeyUsagesExtension(0 as x509.KeyUsageFlags, false)] });

export const certificateRequestTable: ParityTable = {
  source: 'certificaterequest_test.go',
  cases: [
    // TestValidateCertificateRequestUpdate. In the first two, the new spec keeps an issuerRef (cert-manager's
    // test leaves it out, which its CRD and certgate's refuse before any webhook), so the webhook's check runs.
    no(
      'if CertificateRequest spec and cert-manager.io annotations change, error',
      cr({ request: await csrFor({}), issuerRef: ref }, undefined, { 'acme.cert-manager.io/bar': '123', '123': 'abc' }),
      'cert-manager.io/foo',
      baseCR,
    ),
    no(
      'if CertificateRequest spec and acme.cert-manager.io annotations change, error',
      cr({ request: await csrFor({}), issuerRef: ref }, undefined, { 'cert-manager.io/foo': 'abc', '123': 'abc' }),
      'acme.cert-manager.io/bar',
      baseCR,
    ),
    ok("if CertificateRequest spec and annotations do not change, don't error", baseCR, baseCR),
    ok(
      "CertificateRequest with single Approved=true condition that doesn't change, shouldn't error",
      withConditions([approved()]),
      withConditions([approved()]),
    ),
    ok("CertificateRequest with single Denied=true condition that doesn't change, shouldn't error", withConditions([denied()]), withConditions([denied()])),
    no(
      'CertificateRequest with single Approved=false condition that changes, should error',
      withConditions([approved('cert-manager.io')]),
      'status.conditions',
      withConditions([{ type: 'Approved', status: 'False', reason: 'Foo' }]),
    ),
    no(
      'CertificateRequest with single Denied=false condition that changes, should error',
      withConditions([{ type: 'Denied', status: 'False', reason: 'test' }]),
      'status.conditions',
      withConditions([denied('Foo')]),
    ),
    no(
      'CertificateRequest with single Denied=true condition that changes to Approve=true, should error',
      withConditions([approved('cert-manager.io')]),
      'status.conditions',
      withConditions([denied('Foo')]),
    ),
    no(
      'CertificateRequest with single Approved=true condition that changes to Denied=true, should error',
      withConditions([denied('Foo')]),
      'status.conditions',
      withConditions([approved('cert-manager.io')]),
    ),
    ok("CertificateRequest with no condition that changes to Approve=true, shouldn't error", withConditions([approved('cert-manager.io')]), withConditions([])),
    ok("CertificateRequest with no condition that changes to Denied=true, shouldn't error", withConditions([denied('Foo')]), withConditions([])),
    no(
      'CertificateRequest with single Approved=true condition that is removed, should error',
      withConditions([]),
      'status.conditions',
      withConditions([approved()]),
    ),
    no(
      'CertificateRequest with single Denied=true condition that is removed, should error',
      withConditions([]),
      'status.conditions',
      withConditions([denied()]),
    ),

    // TestValidateCertificateRequest
    ok('Test csr with no usages', cr({ request: await csrFor({}), issuerRef: ref })),
    ok(
      'Test csr with double signature usages',
      cr({ request: await csrFor({ usages: ['signing', 'digital signature', 'key encipherment'] }), issuerRef: ref, usages: ['signing', 'key encipherment'] }),
    ),
    ok(
      'Test csr with double extended usages',
      cr({
        request: await csrFor({ usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'] }),
        issuerRef: ref,
        usages: ['signing', 'key encipherment', 'server auth', 'client auth'],
      }),
    ),
    ok(
      'Test csr with reordered usages',
      cr({
        request: await csrFor({ usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'] }),
        issuerRef: ref,
        usages: ['server auth', 'client auth', 'key encipherment', 'digital signature'],
      }),
    ),
    ok('Test csr that is CA with usages set', cr(await caSpec(['any', 'digital signature', 'key encipherment', 'cert sign']))),
    ok('Test csr that is CA but no cert sign in usages', cr(await caSpec(['any', 'digital signature', 'key encipherment', 'client auth', 'server auth']))),
    ok(
      'Test csr with default usages and isCA',
      cr({ request: await csrFor({ usages: ['digital signature', 'cert sign', 'key encipherment'], isCA: true }), issuerRef: ref, isCA: true }),
    ),
    ok('Test cr with default usages', cr({ request: await csrFor({}), issuerRef: ref, usages: ['key encipherment', 'digital signature'] })),
    ok(
      'Test cr with default usages, without any encoded in csr',
      cr({ request: await csrFor({ encodeUsages: false }), issuerRef: ref, usages: ['key encipherment', 'digital signature'] }),
    ),
    no(
      'Test cr with default usages, with empty set encoded in csr',
      cr({ request: emptyKeyUsage, issuerRef: ref, usages: ['key encipherment', 'digital signature'] }),
      'spec.request',
    ),
    no(
      'Error on csr not having all usages',
      cr({
        request: await csrFor({ usages: ['digital signature', 'key encipherment', 'server auth'] }),
        issuerRef: ref,
        usages: ['signing', 'key encipherment', 'server auth', 'client auth'],
      }),
      'spec.request',
    ),
    no(
      'Error on cr not having all usages',
      cr({
        request: await csrFor({ usages: ['digital signature', 'key encipherment', 'server auth', 'client auth'] }),
        issuerRef: ref,
        usages: ['signing', 'key encipherment'],
      }),
      'spec.request',
    ),
    ok(
      'Test csr with any, signing, digital signature, key encipherment, server and client auth',
      cr(await caSpec(['any', 'signing', 'key encipherment', 'client auth', 'server auth'])),
    ),
    ok("CertificateRequest with single Approved=true condition, shouldn't error", cr(anyCA, [approved()])),
    ok("CertificateRequest with single Denied=true condition, shouldn't error", cr(anyCA, [denied()])),
    no(
      'CertificateRequest with single Approved=false condition, should error',
      cr(anyCA, [{ type: 'Approved', status: 'False', reason: 'cert-manager.io' }]),
      'status.conditions',
    ),
    no(
      'CertificateRequest with single Denied=false condition, should error',
      cr(anyCA, [{ type: 'Denied', status: 'False', reason: 'Foo' }]),
      'status.conditions',
    ),
    no(
      'CertificateRequest with both Denied=false and Approved=false conditions, should error',
      cr(anyCA, [
        { type: 'Approved', status: 'False', reason: 'cert-manager.io' },
        { type: 'Denied', status: 'False', reason: 'Foo' },
      ]),
      'status.conditions',
    ),
    no(
      'CertificateRequest with both Denied=true and Approved=true conditions, should error',
      cr(anyCA, [approved('cert-manager.io'), denied('Foo')]),
      'status.conditions',
    ),
    no(
      'CertificateRequest with multiple Approved conditions, should error',
      cr(anyCA, [approved('cert-manager.io'), { type: 'Approved', status: 'False', reason: 'foo' }]),
      'status.conditions',
    ),
    no(
      'CertificateRequest with multiple Denied conditions, should error',
      cr(anyCA, [denied('Foo'), { type: 'Denied', status: 'False', reason: 'Foo' }]),
      'status.conditions',
    ),
  ],
};

const integration = (spec: Record<string, unknown>) => cr({ issuerRef: { name: 'test' }, ...spec });
const clientUsages = ['digital signature', 'key encipherment', 'client auth'];

export const certificateRequestIntegrationTable: ParityTable = {
  source: 'integration/validation/certificaterequest_test.go',
  cases: [
    ok('No errors on valid certificaterequest with no usages set', integration({ request: await csrFor({}), usages: [] })),
    ok('No errors on valid certificaterequest with special usages set', integration({ request: await csrFor({ usages: clientUsages }), usages: clientUsages })),
    no(
      'No errors on valid certificaterequest with special usages set only in CSR',
      integration({ request: await csrFor({ usages: clientUsages }) }),
      "extended key usages ['client auth'] differ from spec.usages, which asks for []",
    ),
    ok(
      'No errors on valid certificaterequest with special usages only set in spec',
      integration({ request: await csrFor({ encodeUsages: false }), usages: clientUsages }),
    ),
    no(
      'Errors on certificaterequest with mismatch of usages',
      integration({ request: await csrFor({ usages: clientUsages }), usages: ['digital signature', 'key encipherment', 'code signing'] }),
      "extended key usages ['client auth'] differ from spec.usages, which asks for ['code signing']",
    ),
    ok(
      "Shouldn't error when setting user info, since this will be overwritten by the mutating webhook",
      integration({ request: await csrFor({ encodeUsages: false }), usages: clientUsages, username: 'user-1', groups: ['group-1', 'group-2'] }),
    ),
  ],
};

runParityTable(certificateRequestTable);
runParityTable(certificateRequestIntegrationTable);
