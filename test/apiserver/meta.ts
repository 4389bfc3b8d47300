// ObjectMeta rules the real server applies on every write: names, generateName, uid,
// timestamps, and when metadata.generation moves.
import { randomUUID, randomInt } from 'node:crypto';
import { causes, type StatusCause } from './errors.ts';
import type { KObj } from './storage.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function validateName(name: string, kind: string): StatusCause[] {
  if (kind === 'Namespace') {
    if (name.length > 63 || !DNS1123_LABEL.test(name))
      return [
        causes.invalid(
          'metadata.name',
          name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
      ];
    return [];
  }
  if (kind.endsWith('Role') || kind.endsWith('RoleBinding'))
    return name.includes('/') || name.includes('%') ? [causes.invalid('metadata.name', name, 'may not contain "/"')] : [];
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name))
    return [
      causes.invalid(
        'metadata.name',
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    ];
  return [];
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export function generateNameSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

export const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Fill server-owned metadata on create. */
export function initMeta(obj: KObj, tracksGeneration: boolean): void {
  const m = obj.metadata;
  m.uid = randomUUID();
  m.creationTimestamp = now();
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.resourceVersion;
  delete m.selfLink;
  if (tracksGeneration) m.generation = 1;
  else delete m.generation;
}

/** Keep server-owned metadata from the stored object on update. */
export function carryMeta(next: KObj, old: KObj): void {
  const m = next.metadata;
  for (const f of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'namespace']) {
    if (old.metadata[f] === undefined) delete m[f];
    else m[f] = old.metadata[f];
  }
  delete m.selfLink;
}

/** ValidateNoNewFinalizers: once an object is being deleted, updates may only remove finalizers. */
export function noNewFinalizers(next: KObj, old: KObj): StatusCause[] {
  if (!old.metadata.deletionTimestamp) return [];
  const had = new Set<string>(old.metadata.finalizers ?? []);
  const added = [...new Set<string>(next.metadata.finalizers ?? [])].filter((f) => !had.has(f)).sort();
  if (added.length === 0) return [];
  const list = `[]string{${added.map((f) => JSON.stringify(f)).join(', ')}}`;
  return [causes.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${list}`)];
}

/** Everything except metadata (and status when it is a subresource) decides whether generation moves. */
export function specChanged(a: KObj, b: KObj, statusIsSubresource: boolean): boolean {
  const strip = (o: KObj) => {
    const { metadata: _m, status, ...rest } = o;
    return statusIsSubresource ? rest : { ...rest, status };
  };
  return !deepEqual(strip(a), strip(b));
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => deepEqual(x, (b as unknown[])[i]));
  const ka = Object.keys(a as object).filter((k) => (a as any)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as any)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as any)[k], (b as any)[k]));
}
