// Makes cert-manager's Certificate defaults explicit in the stored object (private key algorithm,
// size, encoding, rotation policy; usages), so what `kubectl get -o yaml` shows is what is used.
// Edits a copy; the caller diffs it into a JSONPatch.
import { DEFAULT_USAGES, defaultPrivateKey } from '../../api/defaults.ts';
import type { CertificatePrivateKey } from '../../api/types.generated.ts';
import { asObj, asStr } from '../../lib/untrusted.ts';

const ALGORITHMS = new Set(['RSA', 'ECDSA', 'Ed25519']);

export function withCertificateDefaults(cert: unknown): unknown {
  // Copies only the two levels it edits (the rest is shared, and the diff skips shared parts at
  // once): a deep copy of a 3 MiB Certificate cost more than every rule together.
  const original = asObj(cert);
  const originalSpec = asObj(original?.spec);
  if (!original || !originalSpec) return cert; // nothing sane to default; validation reports it
  const spec: Record<string, unknown> = { ...originalSpec };
  const copy = { ...original, spec };
  const pk = spec.privateKey === undefined ? {} : asObj(spec.privateKey);
  const algorithm = pk?.algorithm;
  // Leave invalid input alone: the validating webhook explains it better than a half-default would.
  if (
    pk &&
    (algorithm === undefined || (typeof algorithm === 'string' && ALGORITHMS.has(algorithm))) &&
    (pk.size === undefined || typeof pk.size === 'number')
  ) {
    const resolved = defaultPrivateKey(pk as CertificatePrivateKey);
    const next: Record<string, unknown> = {
      ...pk,
      algorithm: resolved.algorithm,
      encoding: asStr(pk.encoding) ?? resolved.encoding,
      rotationPolicy: asStr(pk.rotationPolicy) ?? resolved.rotationPolicy,
    };
    if (resolved.size !== undefined) next.size = resolved.size;
    spec.privateKey = next;
  }
  if (spec.usages === undefined || (Array.isArray(spec.usages) && spec.usages.length === 0)) spec.usages = [...DEFAULT_USAGES];
  return copy;
}
