// cert-manager's Secret policy tables built on server-side apply field ownership and on additional
// output formats (internal/controller/certificates/policies/checks_test.go:
// Test_SecretManagedLabelsAndAnnotationsManagedFieldsMismatch, Test_SecretSecretTemplateManagedFieldsMismatch,
// Test_SecretOwnerReferenceManagedFieldMismatch, Test_SecretAdditionalOutputFormatsMismatch,
// Test_SecretAdditionalOutputFormatsManagedFieldsMismatch), carried over as facts: the Certificate, the
// Secret, and whether cert-manager's check finds a violation (then it rewrites the Secret).
//
// cert-manager reads metadata.managedFields to learn which keys its own field manager wrote. certgate
// writes Secrets with update, not server-side apply, and keeps no such record, so each case is
// translated into the Secret it describes: every key some manager owns is on the Secret (a template
// key with the template's value, a cert-manager.io/ annotation with the value certgate would write,
// any other key with "value"). Then certgate's own checks run on it, the ones the worker runs before
// it rewrites a Secret's metadata (secretMetadataDrift, secretOwnerRefMismatch, evaluateSecret), and a
// Certificate asking for additionalOutputFormats goes through the CRD schema and the validating webhook
// (webhook/parity/harness.test-data.ts), where certgate refuses it. Each case states cert-manager's
// outcome and certgate's; a deliberate difference names its rule in README "Migrating from
// cert-manager" (controller side): no-field-ownership or unsupported-field.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KeyObject } from 'node:crypto';
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import type { Certificate, CertificateSpec } from '../../api/types.generated.ts';
import { createCsr, encodePrivateKeyPem, generatePrivateKey, inspectCertificate, signCertificate } from '../../lib/pki/index.ts';
import { certgateVerdict } from '../../webhook/parity/harness.test-data.ts';
import { evaluateSecret } from './policy.ts';
import { secretMetadataDrift, secretOwnerRefMismatch } from './secret-upkeep.ts';
import { secretAnnotationsFor, secretOwnerReferences } from './secret-writer.ts';

type Rule = 'no-field-ownership' | 'unsupported-field';

/** What certgate does with the case. */
interface Found {
  /** certgate rewrites the Secret (or re-issues) */
  acts: boolean;
  /** the Certificate is refused at admission: there is never a Secret to check */
  refusedAt?: { rules: string[]; reason: string };
  what: string;
}

interface PortedCase {
  /** cert-manager's case name, as in its table. */
  name: string;
  /** cert-manager's check finds a violation. */
  certManager: boolean;
  certgate: () => Promise<Found>;
  differs?: { rule: Rule; why: string };
}

interface PortedTable {
  source: string;
  cases: PortedCase[];
}

const TEST_ISSUER = { name: 'testissuer', kind: 'IssuerKind', group: 'group.example.com' };
const FAO = { 'controller.cert-manager.io/fao': 'true' };
const HOUR = 3_600_000;

let pair: { keyPem: string; certPem: string };
let now: number;

function certificate(spec: Partial<CertificateSpec> = {}): Certificate {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name: 'test-certificate', namespace: 'ns', uid: 'uid-123' },
    spec: { secretName: 'something', commonName: 'cert-manager', issuerRef: TEST_ISSUER, ...spec },
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
/** A Secret as certgate issued it for the Certificate (key pair, fao label, cert-manager.io/ annotations), plus `extra`. */
function issuedSecret(
  crt: Certificate,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string>; data?: Record<string, string> } = {},
): V1Secret {
  return {
    metadata: {
      name: 'something',
      labels: { ...FAO, ...extra.labels },
      annotations: { ...secretAnnotationsFor(crt, inspectCertificate(pair.certPem).names), ...extra.annotations },
    },
    data: { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem), ...Object.fromEntries(Object.entries(extra.data ?? {}).map(([k, v]) => [k, b64(v)])) },
  };
}

/** The worker's decision for a Secret, as upkeepSecretMetadata and the trigger make it. */
function upkeep(crt: Certificate, secret: V1Secret, ownerRefEnabled = false): Found {
  const evaluation = evaluateSecret(crt, secret, now);
  if (evaluation.reason) return { acts: true, what: `re-issues (${evaluation.reason})` };
  const found = [secretMetadataDrift(crt, secret), secretOwnerRefMismatch(crt, secret, ownerRefEnabled)].filter((f) => f !== undefined);
  return found.length ? { acts: true, what: found.map((f) => `${f.reason}: ${f.message}`).join('; ') } : { acts: false, what: 'leaves the Secret as it is' };
}

// --- Test_SecretManagedLabelsAndAnnotationsManagedFieldsMismatch ---------------------------------
// [name, annotation keys cert-manager's manager owns, the Secret holds a certificate, cert-manager's verdict]
const OPTIONAL = [
  'foo1',
  'foo2',
  'cert-manager.io/certificate-name',
  'cert-manager.io/issuer-name',
  'cert-manager.io/issuer-kind',
  'cert-manager.io/issuer-group',
];
const MANAGED_METADATA_CASES: Array<[string, string[], boolean, boolean]> = [
  ['if there are no cert-manager annotations and the certificate data is nil, should return false', [], false, false],
  ['if optional cert-manager annotations are present with no certificate data, should return false', OPTIONAL, false, false],
  [
    'if cert-manager annotations are present with certificate data, should return false',
    [...OPTIONAL, 'cert-manager.io/common-name', 'cert-manager.io/alt-names', 'cert-manager.io/ip-sans', 'cert-manager.io/uri-sans'],
    true,
    false,
  ],
  [
    'if required and optional cert-manager annotations are present with certificate data but certificate data is nil, should return true',
    [...OPTIONAL, 'cert-manager.io/uri-sans', 'cert-manager.io/ip-sans'],
    false,
    true,
  ],
];

const managedMetadataTable = (): PortedTable => ({
  source: 'Test_SecretManagedLabelsAndAnnotationsManagedFieldsMismatch',
  cases: MANAGED_METADATA_CASES.map(([name, keys, withCertificate, certManager]) => ({
    name,
    certManager,
    ...(certManager && {
      differs: {
        rule: 'no-field-ownership',
        why: 'a Secret without a certificate gets no metadata check: it is re-issued (MissingData), and issuing writes every cert-manager.io/ annotation anew, the stale SAN annotations included',
      },
    }),
    certgate: async () => {
      const crt = certificate();
      const wanted = secretAnnotationsFor(crt, inspectCertificate(pair.certPem).names);
      const secret: V1Secret = {
        metadata: { name: 'something', labels: FAO, annotations: Object.fromEntries(keys.map((k) => [k, wanted[k] ?? 'value'])) },
        data: withCertificate ? { 'tls.crt': b64(pair.certPem), 'tls.key': b64(pair.keyPem) } : {},
      };
      const drift = secretMetadataDrift(crt, secret);
      if (!withCertificate) assert.equal(evaluateSecret(crt, secret, now).reason, 'MissingData', 'a Secret without a certificate is re-issued');
      return drift ? { acts: true, what: `${drift.reason}: ${drift.message}` } : { acts: false, what: 'no metadata finding' };
    },
  })),
});

// --- Test_SecretSecretTemplateManagedFieldsMismatch ------------------------------------------------
type Keys = { annotations?: string[]; labels?: string[] };
type Template = { annotations?: Record<string, string>; labels?: Record<string, string> };
/** [name, template, keys cert-manager's manager owns (one entry per managedFields entry), keys another manager owns, cert-manager's verdict, the rule when certgate differs] */
const TEMPLATE_CASES: Array<[string, Template | undefined, Keys[], Keys, boolean, boolean]> = [
  ['if template is nil and no managed fields, should return false', undefined, [], {}, false, false],
  [
    'if template is nil, managed fields is not nil but not managed by cert-manager, should return false',
    undefined,
    [],
    { annotations: ['bar'], labels: ['123'] },
    false,
    false,
  ],
  ['if template is nil, managed fields is not nil but fields are nil, should return false', undefined, [{}], {}, false, false],
  ['if template is not-nil but managed fields is nil, should return true', { annotations: { foo: 'bar' }, labels: { abc: '123' } }, [], {}, true, false],
  ['if template is nil but managed fields is not nil, should return true', undefined, [{ annotations: ['foo'], labels: ['abc'] }], {}, true, true],
  [
    'if template annotations do not match managed fields, should return true',
    { annotations: { foo1: 'bar1', foo2: 'bar2', foo4: 'bar4' }, labels: { abc: '123', def: '456' } },
    [{ annotations: ['foo1', 'foo3'], labels: ['abc', 'def'] }],
    {},
    true,
    false,
  ],
  [
    'if template labels do not match managed fields, should return true',
    { annotations: { foo1: 'bar1', foo2: 'bar2' }, labels: { abc: '123', def: '456', ghi: '789' } },
    [{ annotations: ['foo1', 'foo2'], labels: ['abc', 'erg'] }],
    {},
    true,
    false,
  ],
  [
    'if template annotations and labels match managed fields, should return false',
    { annotations: { foo1: 'bar1', foo2: 'bar2' }, labels: { abc: '123', def: '456' } },
    [{ annotations: ['foo1', 'foo2'], labels: ['abc', 'def'] }],
    {},
    false,
    false,
  ],
  [
    'if template annotations is a subset of managed fields, return true',
    { annotations: { foo1: 'bar1', foo2: 'bar2' }, labels: { abc: '123', def: '456' } },
    [{ annotations: ['foo1', 'foo2', 'foo3', 'foo4'], labels: ['abc', 'def'] }],
    {},
    true,
    true,
  ],
  [
    'if template labels is a subset of managed fields, return true',
    { annotations: { foo1: 'bar1', foo2: 'bar2' }, labels: { abc: '123', def: '456' } },
    [{ annotations: ['foo1', 'foo2'], labels: ['abc', 'def', 'ghi', 'jkl'] }],
    {},
    true,
    true,
  ],
  [
    'if managed fields annotations is a subset of template, return true',
    { annotations: { foo1: 'bar1', foo2: 'bar2', foo3: 'bar3' }, labels: { abc: '123', def: '456' } },
    [{ annotations: ['foo1', 'foo2'], labels: ['abc', 'def'] }],
    {},
    true,
    false,
  ],
  [
    'if managed fields labels is a subset of template, return true',
    { annotations: { foo1: 'bar1', foo2: 'bar2' }, labels: { abc: '123', def: '456', ghi: '789' } },
    [{ annotations: ['foo1', 'foo2'], labels: ['abc', 'def'] }],
    {},
    true,
    false,
  ],
  [
    'if managed fields matches template but is split across multiple managed fields, should return false',
    { annotations: { foo1: 'bar1', foo2: 'bar2', foo3: 'bar3' }, labels: { abc: '123', def: '456', ghi: '789' } },
    [{ labels: ['ghi'] }, { annotations: ['foo1', 'foo3'], labels: ['abc', 'def'] }, { annotations: ['foo1', 'foo2'], labels: ['abc', 'def'] }],
    {},
    false,
    false,
  ],
  [
    'if managed fields matches template and cert-manager annotations are present, should return false',
    { annotations: { foo1: 'bar1', foo2: 'bar2' } },
    [{ annotations: ['foo1', 'foo2', 'cert-manager.io/foo1', 'cert-manager.io/foo2'] }],
    {},
    false,
    false,
  ],
];

/** The keys on the Secret: what any manager owns, valued from the template where it names the key. */
const onSecret = (entries: Keys[], values: Record<string, string> | undefined, which: keyof Keys) =>
  Object.fromEntries(entries.flatMap((e) => e[which] ?? []).map((k) => [k, values?.[k] ?? 'value']));

const templateTable = (): PortedTable => ({
  source: 'Test_SecretSecretTemplateManagedFieldsMismatch',
  cases: TEMPLATE_CASES.map(([name, template, mine, others, certManager, differs]) => ({
    name,
    certManager,
    ...(differs && {
      differs: {
        rule: 'no-field-ownership',
        why: 'keys a template does not (or no longer) name stay on the Secret: certgate cannot tell the ones it wrote from ones someone else added',
      },
    }),
    certgate: async () => {
      const crt = certificate(template ? { secretTemplate: template } : {});
      const all = [...mine, others];
      return upkeep(
        crt,
        issuedSecret(crt, { annotations: onSecret(all, template?.annotations, 'annotations'), labels: onSecret(all, template?.labels, 'labels') }),
      );
    },
  })),
});

// --- Test_SecretOwnerReferenceManagedFieldMismatch ---------------------------------------------------
const OTHER_UID = '4c71e68f-5271-4b8d-9df5-5eb71d130d7d';
/** The controller reference certgate writes for the Certificate (uid-123), or one for an earlier Certificate of the same name. */
const certificateRef = (uid: string): V1OwnerReference => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  name: 'test-certificate',
  uid,
  controller: true,
  blockOwnerDeletion: true,
});
/** [name, --enable-certificate-owner-ref, the owner reference uid some manager owns (none: no reference), cert-manager's verdict, certgate differs] */
const OWNER_REF_CASES: Array<[string, boolean, string | undefined, boolean, boolean]> = [
  ['ownerReferenceEnabled=false no secret managed field owner reference should return false', false, undefined, false, false],
  ['ownerReferenceEnabled=false secret managed field owner reference for different UID should return false', false, OTHER_UID, false, false],
  ['ownerReferenceEnabled=false secret managed field owner reference for same UID should return true', false, 'uid-123', true, true],
  ['ownerReferenceEnabled=false secret managed field different owner reference for same UID should return false', false, 'uid-123', false, false],
  ['ownerReferenceEnabled=true no secret managed field owner reference should return true', true, undefined, true, false],
  ['ownerReferenceEnabled=true secret managed field owner reference for different UID should return true', true, OTHER_UID, true, false],
  ['ownerReferenceEnabled=true secret managed field owner reference for same UID should return false', true, 'uid-123', false, false],
  ['ownerReferenceEnabled=true secret managed field different owner reference for same UID should return true', true, 'uid-123', true, true],
];

const ownerRefTable = (): PortedTable => ({
  source: 'Test_SecretOwnerReferenceManagedFieldMismatch',
  cases: OWNER_REF_CASES.map(([name, enabled, uid, certManager, differs]) => ({
    name,
    certManager,
    ...(differs && {
      differs: {
        rule: 'no-field-ownership',
        why: enabled
          ? 'the reference is there with the right values; who owns the field does not matter to certgate'
          : 'with --enable-certificate-owner-ref off, the reference certgate wrote earlier goes at the next issuance, not at once',
      },
    }),
    certgate: async () => {
      const crt = certificate();
      const refs = uid ? [certificateRef(uid)] : [];
      const found = upkeep(crt, { ...issuedSecret(crt), metadata: { ...issuedSecret(crt).metadata, ownerReferences: refs } }, enabled);
      if (!enabled && uid === 'uid-123') assert.equal(secretOwnerReferences(crt, refs, false), undefined, 'the next issuance writes the Secret without it');
      return found;
    },
  })),
});

// --- Test_SecretAdditionalOutputFormatsMismatch and ...ManagedFieldsMismatch --------------------------
const COMBINED = { type: 'CombinedPEM' };
const DER = { type: 'DER' };

/** certgate's answer to a Certificate with these formats: admission refuses it; without formats, the worker looks at the Secret. */
async function formatsCase(formats: Array<{ type: string }>, dataKeys: string[]): Promise<Found> {
  if (formats.length) {
    const verdict = certgateVerdict({
      name: 'additionalOutputFormats',
      certManager: 'accepted',
      object: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'test-certificate', namespace: 'default' },
        spec: { secretName: 'something', dnsNames: ['example.com'], issuerRef: { name: 'name', kind: 'ClusterIssuer' }, additionalOutputFormats: formats },
      },
    });
    return { acts: false, refusedAt: { rules: verdict.rules, reason: verdict.reason }, what: `refused at admission: ${verdict.reason}` };
  }
  const crt = certificate();
  return upkeep(crt, issuedSecret(crt, { data: Object.fromEntries(dataKeys.map((k) => [k, 'left by cert-manager'])) }));
}

const UNSUPPORTED = {
  rule: 'unsupported-field' as const,
  why: 'certgate refuses additionalOutputFormats at admission (api/unsupported.ts): no Certificate asks for them, so no Secret is checked for them',
};
const formatsCaseOf = (name: string, formats: Array<{ type: string }>, dataKeys: string[], certManager: boolean, stale = false): PortedCase => ({
  name,
  certManager,
  certgate: () => formatsCase(formats, dataKeys),
  ...(formats.length
    ? { differs: UNSUPPORTED }
    : stale && {
        differs: {
          rule: 'no-field-ownership' as const,
          why: "certgate does not act on cert-manager's tls-combined.pem and key.der by themselves: they stay until the next issuance, which removes them",
        },
      }),
});

// cert-manager's Secret data for the formats check: "right" and "wrong" values of the keys; certgate never reaches them.
const formatsTable = (): PortedTable => ({
  source: 'Test_SecretAdditionalOutputFormatsMismatch',
  cases: [
    formatsCaseOf('if additional output formats is empty and secret has no keys, should return false', [], [], false),
    formatsCaseOf('if additional output formats is empty and secret has output format keys, should return false', [], ['combined-tls.pem', 'key.der'], false),
    formatsCaseOf('if additional output has combined pem and Secret has wrong combined, should return true', [COMBINED], [], true),
    formatsCaseOf('if additional output has combined pem and Secret has no combined pem, should return true', [COMBINED], [], true),
    formatsCaseOf('if additional output has combined pem and Secret has correct combined, should return false', [COMBINED], [], false),
    formatsCaseOf('if additional output has der and Secret has no key, should return true', [DER], [], true),
    formatsCaseOf('if additional output has der and Secret has wrong der key, should return true', [DER], [], true),
    formatsCaseOf('if additional output has der and Secret has correct der key, should return false', [DER], [], false),
    formatsCaseOf('if additional output has combined and der and Secret has correct combined and der, should return false', [COMBINED, DER], [], false),
    formatsCaseOf(
      'if additional output has combined and der and Secret has correct combined and wrong der value, should return true',
      [COMBINED, DER],
      [],
      true,
    ),
    formatsCaseOf(
      'if additional output has combined and der and Secret has wrong combined value and correct der value, should return true',
      [COMBINED, DER],
      [],
      true,
    ),
    formatsCaseOf(
      'if additional output has combined and der and Secret has correct combined value and missing der key, should return true',
      [COMBINED, DER],
      [],
      true,
    ),
    formatsCaseOf(
      'if additional output has combined and der and Secret has missing combined key and correct der value, should return true',
      [COMBINED, DER],
      [],
      true,
    ),
  ],
});

const formatsManagedFieldsTable = (): PortedTable => ({
  source: 'Test_SecretAdditionalOutputFormatsManagedFieldsMismatch',
  cases: [
    formatsCaseOf('if additional output formats is empty and secret has no managed fields, should return false', [], [], false),
    formatsCaseOf('if additional output formats has combined pem and secret has no managed fields, should return true', [COMBINED], [], true),
    formatsCaseOf('if additional output formats has der and secret has no managed fields, should return true', [DER], [], true),
    formatsCaseOf('if additional output formats has combined pem and der, and secret has no managed fields, should return true', [COMBINED, DER], [], true),
    formatsCaseOf(
      'if additional output formats is empty, and secret has managed fields for combined pem for another managed, should return false',
      [],
      ['tls-combined.pem'],
      false,
    ),
    formatsCaseOf(
      'if additional output formats is empty, and secret has managed fields for der for another managed, should return false',
      [],
      ['key.der'],
      false,
    ),
    formatsCaseOf(
      'if additional output formats is empty, and secret has managed fields for combined pem and der for another managed, should return false',
      [],
      ['tls-combined.pem', 'key.der'],
      false,
    ),
    formatsCaseOf(
      'if additional output formats is empty, and secret has managed fields for combined pem, should return true',
      [],
      ['tls-combined.pem'],
      true,
      true,
    ),
    formatsCaseOf('if additional output formats is empty, and secret has managed fields for der, should return true', [], ['key.der'], true, true),
    formatsCaseOf(
      'if additional output formats is empty, and secret has managed fields for combined pem and der, should return true',
      [],
      ['tls-combined.pem', 'key.der'],
      true,
      true,
    ),
    formatsCaseOf(
      'if additional output formats has combined pem, and secret has managed fields for combined pem for wrong manager, should return true',
      [COMBINED],
      [],
      true,
    ),
    formatsCaseOf('if additional output formats has der, and secret has managed fields for der for wrong manager, should return true', [DER], [], true),
    formatsCaseOf(
      'if additional output formats has combined pem and der, and secret has managed fields for combined pem and der for wrong manager, should return true',
      [COMBINED, DER],
      [],
      true,
    ),
    formatsCaseOf('if additional output formats has combined pem, and secret has managed fields for combined pem, should return false', [COMBINED], [], false),
    formatsCaseOf('if additional output formats has der, and secret has managed fields for der, should return false', [DER], [], false),
    formatsCaseOf(
      'if additional output formats has combined pem and der, and secret has managed fields for combined pem and der, should return false',
      [COMBINED, DER],
      [],
      false,
    ),
    formatsCaseOf(
      'if additional output formats has combined pem and der, and secret has managed fields for combined pem and der in different slice elements, should return false',
      [COMBINED, DER],
      [],
      false,
    ),
    formatsCaseOf(
      'if additional output formats has combined pem and der, and secret has managed fields for combined pem and der, and is also managed by another manager, should return false',
      [COMBINED, DER],
      [],
      false,
    ),
  ],
});

const tables = [managedMetadataTable(), templateTable(), ownerRefTable(), formatsTable(), formatsManagedFieldsTable()];

before(async () => {
  now = Date.now();
  const key: KeyObject = await generatePrivateKey({ algorithm: 'RSA' });
  const csr = await createCsr(key, { commonName: 'cert-manager' });
  pair = { keyPem: encodePrivateKeyPem(key), certPem: await signCertificate({ csr, durationMs: 24 * HOUR, signerKey: key, now: new Date(now - HOUR) }) };
});

for (const table of tables) {
  describe(`cert-manager's ${table.source}`, () => {
    for (const c of table.cases) {
      const label = c.differs
        ? `cert-manager ${c.certManager ? 'acts' : 'leaves it'}; certgate differs by [${c.differs.rule}]`
        : `both ${c.certManager ? 'act' : 'leave it'}`;
      it(`${c.name} (${label})`, async () => {
        const found = await c.certgate();
        if (c.differs?.rule === 'unsupported-field') {
          assert.ok(found.refusedAt, `expected a refusal at admission; certgate ${found.what}`);
          assert.ok(found.refusedAt.rules.includes('unsupported-field') && found.refusedAt.reason.includes('spec.additionalOutputFormats'), found.what);
          return;
        }
        assert.equal(found.refusedAt, undefined, found.what);
        assert.equal(found.acts, c.differs ? !c.certManager : c.certManager, `certgate ${found.what}`);
      });
    }
  });
}

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')
  // Table cells as one space each side, however a formatter padded them.
  .replace(/ *\| */g, ' | ');

describe('ported field-ownership and output-format tables: counts', () => {
  it('README "Migrating from cert-manager" (controller side) states them', () => {
    const cases = tables.flatMap((t) => t.cases);
    const different = cases.filter((c) => c.differs).length;
    const row = `| ${cases.length} | ${cases.length - different} | ${different} |`;
    assert.deepEqual(
      tables.map((t) => t.cases.length),
      [4, 14, 8, 13, 18],
    );
    assert.ok(readme.includes(`\`worker/certificates/cert-manager-checks-ownership.test.ts\` ${row}`), `README row ending ${row}`);
  });
});
