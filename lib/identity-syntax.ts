// Syntax checks for the identities a certificate can hold. Kept strict and explainable: each
// function returns undefined when valid, else the reason shown to the user.
import { isIP } from 'node:net';

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DIGITS_AND_DOTS = /^[0-9.]+$/;
// Dot-separated labels that each match LABEL (no empty label, none longer than 63).
const VALID_PLAIN_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** RFC 1123 host name, lower case, optionally with one leading "*." wildcard label. */
export function dnsNameProblem(name: string, allowWildcard = true): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 253) return 'is longer than 253 characters';
  // Fast path for the common case, a valid name without a wildcard, before the checks below (it
  // runs for every name of an object, up to 110,000 in one Certificate): only a-z, 0-9, "-" and
  // "." pass it, so it is lower case, ends in a label and holds no ":". Digits and dots alone may
  // be an IPv4 address: those take the long way.
  if (VALID_PLAIN_NAME.test(name) && !DIGITS_AND_DOTS.test(name)) return undefined;
  if (name !== name.toLowerCase()) return 'must be lower case';
  if (name.endsWith('.')) return 'must not end with a dot';
  // isIP runs a long IPv6 regex; only names made of digits and dots (IPv4) or holding ':' (IPv6) can be IPs.
  if ((name.includes(':') || DIGITS_AND_DOTS.test(name)) && isIP(name) !== 0)
    return 'is an IP address, not a DNS name (Certificates take IPs in spec.ipAddresses)';
  const labels = name.split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label === '*') {
      if (i !== 0) return 'may only use "*" as the whole leftmost label (e.g. *.example.com)';
      if (!allowWildcard) return 'may not be a wildcard here';
      if (labels.length < 3) return 'wildcard must cover a name with at least two labels (e.g. *.example.com)';
      continue;
    }
    if (label.length === 0) return 'has an empty label (two dots in a row)';
    if (label.length > 63) return `label "${label.slice(0, 20)}..." is longer than 63 characters`;
    if (!LABEL.test(label)) return `label "${label}" may only hold a-z, 0-9 and "-", and not start or end with "-"`;
  }
  return undefined;
}

export const isWildcard = (host: string): boolean => host.startsWith('*.');

/** Whether a certificate name (possibly a wildcard) covers host, as TLS clients match it. */
export function covers(certName: string, host: string): boolean {
  if (certName === host) return true;
  if (!isWildcard(certName)) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot) === certName.slice(1) && !isWildcard(host);
}

export function ipProblem(ip: string): string | undefined {
  return isIP(ip) === 0 ? 'is not an IPv4 or IPv6 address' : undefined;
}

export function uriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return 'is not an absolute URI (e.g. spiffe://cluster.local/ns/default/sa/web)';
  }
  if (!/^[a-z][a-z0-9+.-]*:$/.test(u.protocol)) return 'has an invalid scheme';
  return undefined;
}

// Local part: RFC 5322 dot-atom; domain: a DNS name. Quoted local parts are not accepted on purpose.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

export function emailProblem(email: string): string | undefined {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return 'is not an e-mail address (name@example.com)';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return 'has an invalid part before "@"';
  const d = dnsNameProblem(domain.toLowerCase(), false);
  if (d || !domain.includes('.')) return `has an invalid domain after "@"${d ? ` (${d})` : ''}`;
  return undefined;
}

/** UTF-8 length, the unit of the 64-byte commonName limit (RFC 5280 ub-common-name). */
export const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');
export const MAX_COMMON_NAME_BYTES = 64;
