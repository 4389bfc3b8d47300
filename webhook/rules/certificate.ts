// Validation rules for cert-manager.io/v1 Certificate. Pure: (certificate, view) -> findings.
import { ISSUER_GROUP } from '../../api/constants.ts';
import { formatDuration, parseDuration } from '../../api/duration.ts';
import { DEFAULT_DURATION_MS, MIN_DURATION_MS, MIN_RENEW_BEFORE_MS } from '../../api/defaults.ts';
import { findUnsupportedFields } from '../../api/unsupported.ts';
import type { ClusterView } from '../cluster-view.ts';
import { secretWinner } from '../../lib/secret-claims.ts';
import { certificateSpecFindings } from './certificate-spec.ts';
import { acmeOf, lookupIssuer } from './issuer-lookup.ts';
import type { Finding } from './ids.ts';
import { byteLength, dnsNameProblem, emailProblem, ipProblem, MAX_COMMON_NAME_BYTES, uriProblem } from '../../lib/identity-syntax.ts';
import { asArr, asObj, asStr, metaOf, specOf } from '../../lib/untrusted.ts';

/**
 * Sizes each key algorithm accepts (cert-manager's validation), with the help text. A Map: the
 * algorithm is user input, and an object literal answers "__proto__" or "constructor" with what it inherits.
 */
const KEY_SIZES: ReadonlyMap<string, { accepts: (size: number) => boolean; help: string }> = new Map([
  ['RSA', { accepts: (s: number) => Number.isInteger(s) && s >= 2048 && s <= 8192, help: '2048 to 8192 (usually 2048, 3072 or 4096)' }],
  ['ECDSA', { accepts: (s: number) => s === 256 || s === 384 || s === 521, help: '256, 384 or 521' }],
  ['Ed25519', { accepts: () => true, help: 'ignored' }], // the size is ignored
]);

function identities(spec: Record<string, unknown>): { name: string; values: unknown[] }[] {
  return ['dnsNames', 'ipAddresses', 'uris', 'emailAddresses'].map((name) => ({ name, values: asArr(spec[name]) }));
}

export function validateCertificate(cert: unknown, view: ClusterView): Finding[] {
  const meta = metaOf(cert);
  const spec = specOf(cert);
  const out: Finding[] = [];

  const commonName = asStr(spec.commonName);
  const hasIdentity = Boolean(commonName) || Boolean(asStr(spec.literalSubject)) || identities(spec).some((i) => i.values.length > 0);
  if (!hasIdentity) {
    out.push({
      rule: 'certificate-no-identity',
      field: 'spec',
      message: 'a Certificate needs at least one of commonName, dnsNames, ipAddresses, uris or emailAddresses; add the names it should cover to spec.dnsNames',
      severity: 'deny',
    });
  }
  if (commonName && byteLength(commonName) > MAX_COMMON_NAME_BYTES) {
    out.push({
      rule: 'common-name-too-long',
      field: 'spec.commonName',
      value: commonName,
      message: `is ${byteLength(commonName)} bytes; a commonName holds at most ${MAX_COMMON_NAME_BYTES} (RFC 5280): drop commonName and rely on dnsNames, or use a shorter name`,
      severity: 'deny',
    });
  }

  const checks = {
    dnsNames: ['invalid-dns-name', (v: string) => dnsNameProblem(v)],
    ipAddresses: ['invalid-ip-address', ipProblem],
    uris: ['invalid-uri', uriProblem],
    emailAddresses: ['invalid-email', emailProblem],
  } as const;
  for (const { name, values } of identities(spec)) {
    const [rule, check] = checks[name as keyof typeof checks];
    values.forEach((v, i) => {
      const problem = typeof v === 'string' ? check(v) : 'is not a string';
      if (problem) out.push({ rule, field: `spec.${name}[${i}]`, value: v, message: problem, severity: 'deny' });
    });
  }

  out.push(
    ...durationFindings(spec),
    ...keyFindings(spec),
    ...issuerRefFindings(spec),
    ...certificateSpecFindings(spec),
    ...acmeCommonNameFindings(meta.namespace, spec, view),
  );

  const secretName = asStr(spec.secretName);
  if (secretName) {
    // Not a conflict: this Certificate itself, and the Ingress or Gateway that owns it (the shims).
    const owners = new Set(meta.ownerReferences.filter((o) => o.kind === 'Ingress' || o.kind === 'Gateway').map((o) => `${o.kind}/${o.name}`));
    const isOwner = (w: { kind: string; name: string }) => owners.has(`${w.kind}/${w.name}`);
    const writers = view.secretWriters(meta.namespace, secretName);
    // Two Ingresses (or Gateways) that asked for this Secret at once were both admitted; the shim
    // makes the Certificate only for the older one, and the other gets a Warning naming it.
    const winner = secretWinner(writers.filter((w) => w.kind !== 'Certificate'));
    const ownerWins = winner !== undefined && isOwner(winner);
    const other = writers.find((w) => !(w.kind === 'Certificate' && w.name === meta.name) && !(w.kind !== 'Certificate' && (ownerWins || isOwner(w))));
    if (other) {
      out.push({
        rule: 'secret-name-conflict',
        field: 'spec.secretName',
        value: secretName,
        message: `${other.kind} "${other.name}" already ${other.kind === 'Certificate' ? 'writes' : 'requests a certificate into'} this Secret, and the two would replace each other's certificate forever; use a different secretName`,
        severity: 'deny',
      });
    }
  }

  for (const use of findUnsupportedFields('Certificate', cert)) {
    out.push({ rule: 'unsupported-field', field: use.path, message: `certgate does not support this field: ${use.reason}; remove it`, severity: 'deny' });
  }
  return out;
}

function durationField(spec: Record<string, unknown>, field: string, out: Finding[]): number | undefined {
  const raw = spec[field];
  if (raw === undefined || raw === null) return undefined;
  try {
    if (typeof raw !== 'string') throw new Error('not a string');
    return parseDuration(raw);
  } catch {
    out.push({
      rule: 'invalid-duration',
      field: `spec.${field}`,
      value: raw,
      message: 'is not a Go duration; write it like "2160h" or "720h30m"',
      severity: 'deny',
    });
    return undefined;
  }
}

function durationFindings(spec: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  const duration = durationField(spec, 'duration', out);
  const renewBefore = durationField(spec, 'renewBefore', out);
  const effective = duration ?? DEFAULT_DURATION_MS;
  const durationText = `${duration === undefined ? 'default ' : ''}${formatDuration(effective)}`;
  if (duration !== undefined && duration < MIN_DURATION_MS) {
    out.push({
      rule: 'duration-too-short',
      field: 'spec.duration',
      value: spec.duration,
      message: `must be at least ${formatDuration(MIN_DURATION_MS)}; certificates this short are renewed before they can be used`,
      severity: 'deny',
    });
  }
  if (renewBefore !== undefined) {
    if (renewBefore < MIN_RENEW_BEFORE_MS) {
      out.push({
        rule: 'renew-before-invalid',
        field: 'spec.renewBefore',
        value: spec.renewBefore,
        message: `must be at least ${formatDuration(MIN_RENEW_BEFORE_MS)} so a renewal has time to finish`,
        severity: 'deny',
      });
    } else if (renewBefore >= effective) {
      out.push({
        rule: 'renew-before-invalid',
        field: 'spec.renewBefore',
        value: spec.renewBefore,
        message: `must be shorter than the duration (${durationText}), or the certificate is renewed as soon as it is issued; try a third of the duration`,
        severity: 'deny',
      });
    }
  }
  const percentage = spec.renewBeforePercentage;
  if (percentage === undefined || percentage === null) return out;
  if (spec.renewBefore !== undefined && spec.renewBefore !== null) {
    out.push({
      rule: 'renew-before-invalid',
      field: 'spec.renewBeforePercentage',
      value: percentage,
      message: 'renewBefore and renewBeforePercentage are mutually exclusive; keep one',
      severity: 'deny',
    });
  } else if (typeof percentage !== 'number' || !Number.isInteger(percentage)) {
    out.push({
      rule: 'renew-before-invalid',
      field: 'spec.renewBeforePercentage',
      value: percentage,
      message: 'must be a whole number of percent',
      severity: 'deny',
    });
  } else {
    // cert-manager's webhook checks (100 - p)% of the duration here (its controller renews at p%); the same
    // formula gives the same verdicts: 0 and 100 are refused, and so is a percentage too close to 100 on a short duration.
    const renewBeforeMs = (effective * (100 - percentage)) / 100;
    if (renewBeforeMs < MIN_RENEW_BEFORE_MS) {
      out.push({
        rule: 'renew-before-invalid',
        field: 'spec.renewBeforePercentage',
        value: percentage,
        message: `leaves less than ${formatDuration(MIN_RENEW_BEFORE_MS)} before expiry for the renewal (duration ${durationText}); use a smaller percentage`,
        severity: 'deny',
      });
    } else if (renewBeforeMs >= effective) {
      out.push({
        rule: 'renew-before-invalid',
        field: 'spec.renewBeforePercentage',
        value: percentage,
        message: `would renew as soon as the certificate is issued (duration ${durationText}); use a percentage between 1 and 99`,
        severity: 'deny',
      });
    }
  }
  return out;
}

function keyFindings(spec: Record<string, unknown>): Finding[] {
  const key = asObj(spec.privateKey);
  if (!key) return [];
  const algorithm = key.algorithm ?? 'RSA';
  const sizes = typeof algorithm === 'string' ? KEY_SIZES.get(algorithm) : undefined;
  if (!sizes) {
    return [
      { rule: 'key-algorithm-invalid', field: 'spec.privateKey.algorithm', value: key.algorithm, message: 'must be RSA, ECDSA or Ed25519', severity: 'deny' },
    ];
  }
  if (key.size === undefined || key.size === null || key.size === 0) return [];
  if (typeof key.size !== 'number' || !sizes.accepts(key.size)) {
    return [
      { rule: 'key-algorithm-invalid', field: 'spec.privateKey.size', value: key.size, message: `${algorithm} keys take size ${sizes.help}`, severity: 'deny' },
    ];
  }
  return [];
}

/**
 * An ACME CA orders every name of the certificate and refuses a CSR whose commonName is not also a
 * SAN ("Order includes different number of DNSnames identifiers than CSR specifies"), after the
 * challenges were solved. Refused here, before any order spends the CA's rate limits.
 */
function acmeCommonNameFindings(namespace: string, spec: Record<string, unknown>, view: ClusterView): Finding[] {
  const commonName = asStr(spec.commonName);
  const ref = asObj(spec.issuerRef);
  const name = asStr(ref?.name);
  if (!commonName || !name || (asStr(ref?.group) || ISSUER_GROUP) !== ISSUER_GROUP) return [];
  const issuer = lookupIssuer(view, namespace, { kind: ref?.kind === 'ClusterIssuer' ? 'ClusterIssuer' : 'Issuer', name });
  if (!issuer || !acmeOf(issuer)) return [];
  const sans = new Set([...asArr(spec.dnsNames), ...asArr(spec.ipAddresses)]);
  if (sans.has(commonName)) return [];
  return [
    {
      rule: 'acme-common-name-not-in-dns-names',
      field: 'spec.commonName',
      value: commonName,
      message: `the ACME issuer "${name}" orders every name in the certificate, and the CA refuses a commonName that is not also in spec.dnsNames or spec.ipAddresses (after the challenges are solved); add it to spec.dnsNames, or drop commonName`,
      severity: 'deny',
    },
  ];
}

export function issuerRefFindings(spec: Record<string, unknown>): Finding[] {
  const ref = asObj(spec.issuerRef);
  if (!ref || !asStr(ref.name)) {
    return [
      { rule: 'issuer-ref-invalid', field: 'spec.issuerRef.name', message: 'name the Issuer or ClusterIssuer that signs this certificate', severity: 'deny' },
    ];
  }
  const group = asStr(ref.group) ?? '';
  const kind = asStr(ref.kind) ?? '';
  if (group !== '' && group !== ISSUER_GROUP) {
    return [
      {
        rule: 'issuer-ref-invalid',
        field: 'spec.issuerRef.group',
        value: group,
        message: `certgate signs only with ${ISSUER_GROUP} issuers; this Certificate waits for an external issuer controller`,
        severity: 'warn',
      },
    ];
  }
  if (kind !== '' && kind !== 'Issuer' && kind !== 'ClusterIssuer') {
    const hint = group === '' ? '; for an external issuer, set spec.issuerRef.group too' : '';
    return [
      {
        rule: 'issuer-ref-invalid',
        field: 'spec.issuerRef.kind',
        value: kind,
        message: `must be Issuer or ClusterIssuer (case matters)${hint}`,
        severity: 'deny',
      },
    ];
  }
  return [];
}
