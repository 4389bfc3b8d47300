// Kubernetes' own syntax rules for object names, label keys and values and annotation maps
// (apimachinery's validation), so the webhook refuses what the API server or a controller would
// refuse later. Each function returns undefined when valid, else the reason shown to the user.

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** The API server's limit on all annotations of one object together (keys and values). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** A Secret, IngressClass or other object name: a lower-case RFC 1123 subdomain. */
export function subdomainProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 253) return 'is longer than 253 characters';
  if (!SUBDOMAIN.test(name)) return "must be a lower-case RFC 1123 subdomain: a-z, 0-9, '-' and '.', starting and ending with a letter or digit (e.g. web-tls)";
  return undefined;
}

/** A label or annotation key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    const p = subdomainProblem(prefix);
    if (p) return `prefix "${prefix}" ${p}`;
  }
  if (name.length === 0) return 'has an empty name part';
  if (name.length > 63) return 'has a name part longer than 63 characters';
  if (!QUALIFIED_NAME.test(name)) return "name part may only hold letters, digits, '-', '_' and '.', and must start and end with a letter or digit";
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'is longer than 63 characters';
  if (!LABEL_VALUE.test(value)) return "must be empty or hold only letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return undefined;
}

/** Total size of an annotation map as the API server counts it. */
export function annotationsBytes(annotations: Readonly<Record<string, string>>): number {
  let n = 0;
  for (const [k, v] of Object.entries(annotations)) n += k.length + v.length;
  return n;
}
