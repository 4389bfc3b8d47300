// Validation rules for cert-manager.io/v1 CertificateRequest, with cert-manager's meaning: a
// well-formed, correctly signed CSR whose usages and CA flag agree with the spec; the approval
// conditions; and, on UPDATE, an unchanged spec and unchanged cert-manager annotations.
// Pure: (request, old request) -> findings.
import { isDeepStrictEqual } from 'node:util';
import type { Finding } from './ids.ts';
import { issuerRefFindings } from './certificate.ts';
import { readCsrSync } from '../../lib/pki/csr-read.ts';
import { usageBits, usageNames } from '../../lib/pki/usages.ts';
import { asArr, asObj, asStrings, metaOf, specOf, statusOf } from '../../lib/untrusted.ts';

const PROTECTED_ANNOTATION_PREFIXES = ['cert-manager.io/', 'acme.cert-manager.io/'];
const APPROVAL_TYPES = ['Approved', 'Denied'] as const;

const list = (names: string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;

function requestFindings(spec: Record<string, unknown>): Finding[] {
  const request = spec.request;
  if (typeof request !== 'string' || request === '') {
    return [
      { rule: 'certificate-request-invalid', field: 'spec.request', message: 'holds no CSR; set the base64 of a PEM certificate request', severity: 'deny' },
    ];
  }
  const isCA = spec.isCA === true;
  const wanted = usageBits(asStrings(spec.usages), isCA);
  if (wanted.unknown.length > 0) {
    return [
      {
        rule: 'certificate-request-invalid',
        field: 'spec.usages',
        value: wanted.unknown,
        message: 'names unknown key usages; use names like "digital signature", "key encipherment", "server auth"',
        severity: 'deny',
      },
    ];
  }
  let csr;
  try {
    csr = readCsrSync(request);
  } catch (e) {
    return [{ rule: 'certificate-request-invalid', field: 'spec.request', message: (e as Error).message, severity: 'deny' }];
  }
  const out: Finding[] = [];
  if (csr.isCA !== undefined && csr.isCA !== isCA) {
    out.push({
      rule: 'certificate-request-invalid',
      field: 'spec.request',
      message: `the CSR asks for isCA ${csr.isCA} but spec.isCA is ${isCA}; make them agree`,
      severity: 'deny',
    });
  }
  // As in cert-manager: when the CSR encodes usages, they must equal what spec.usages asks for.
  if (csr.keyUsage !== undefined || csr.extKeyUsages !== undefined) {
    const inCsr = usageNames({ keyUsage: csr.keyUsage ?? 0, extKeyUsages: csr.extKeyUsages ?? [] });
    const expected = usageNames(wanted);
    if ((csr.keyUsage ?? 0) !== wanted.keyUsage) {
      out.push({
        rule: 'certificate-request-invalid',
        field: 'spec.request',
        message: `the CSR's key usages ${list(inCsr.keyUsages)} differ from spec.usages, which asks for ${list(expected.keyUsages)}; make them agree`,
        severity: 'deny',
      });
    } else if (!isDeepStrictEqual(csr.extKeyUsages ?? [], wanted.extKeyUsages)) {
      out.push({
        rule: 'certificate-request-invalid',
        field: 'spec.request',
        message: `the CSR's extended key usages ${list(inCsr.extKeyUsages)} differ from spec.usages, which asks for ${list(expected.extKeyUsages)}; make them agree`,
        severity: 'deny',
      });
    }
  }
  return out;
}

/** Approved and Denied may each appear once, only as True, and never together. */
function approvalFindings(conditions: unknown[]): Finding[] {
  const out: Finding[] = [];
  const field = 'status.conditions';
  const found = Object.fromEntries(APPROVAL_TYPES.map((t) => [t, conditions.map(asObj).filter((c) => c?.type === t)]));
  for (const type of APPROVAL_TYPES) {
    if (found[type].length > 1)
      out.push({ rule: 'approval-condition-invalid', field, value: type, message: `holds more than one ${type} condition; keep one`, severity: 'deny' });
    else if (found[type].length === 1 && found[type][0]?.status !== 'True')
      out.push({ rule: 'approval-condition-invalid', field, value: type, message: `a ${type} condition may only be True`, severity: 'deny' });
  }
  if (found.Approved.length > 0 && found.Denied.length > 0)
    out.push({ rule: 'approval-condition-invalid', field, message: 'holds both Approved and Denied; a request is one or the other', severity: 'deny' });
  return out;
}

function updateFindings(cr: unknown, old: unknown): Finding[] {
  const out: Finding[] = [];
  const before = metaOf(old).annotations;
  const after = metaOf(cr).annotations;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (PROTECTED_ANNOTATION_PREFIXES.some((p) => key.startsWith(p)) && before[key] !== after[key]) {
      out.push({
        rule: 'certificate-request-immutable',
        field: `metadata.annotations["${key}"]`,
        message: 'cert-manager annotations of a CertificateRequest cannot change after creation; create a new request',
        severity: 'deny',
      });
    }
  }
  if (!isDeepStrictEqual(specOf(cr), specOf(old))) {
    out.push({
      rule: 'certificate-request-immutable',
      field: 'spec',
      message: 'the spec of a CertificateRequest cannot change after creation; create a new request',
      severity: 'deny',
    });
  }
  const oldConditions = asArr(statusOf(old).conditions).map(asObj);
  const newConditions = asArr(statusOf(cr).conditions).map(asObj);
  for (const type of APPROVAL_TYPES) {
    const was = oldConditions.find((c) => c?.type === type);
    if (
      was &&
      !isDeepStrictEqual(
        was,
        newConditions.find((c) => c?.type === type),
      )
    ) {
      out.push({
        rule: 'approval-condition-invalid',
        field: 'status.conditions',
        value: type,
        message: `the ${type} condition cannot change or go away once set; create a new request`,
        severity: 'deny',
      });
    }
  }
  return out;
}

export function validateCertificateRequest(cr: unknown, old?: unknown): Finding[] {
  const spec = specOf(cr);
  return [
    ...issuerRefFindings(spec),
    ...requestFindings(spec),
    ...approvalFindings(asArr(statusOf(cr).conditions)),
    ...(old === undefined ? [] : updateFindings(cr, old)),
  ];
}
