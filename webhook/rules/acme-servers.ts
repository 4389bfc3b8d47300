// Well-known ACME directory URLs. Let's Encrypt's are checked exactly (a typo there is the most
// common Issuer mistake and fails only later, at registration); the rest mark staging vs production.
const LETSENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
const LETSENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

// A Map: the host comes from the user's URL, and an object literal would answer "constructor".
const LETSENCRYPT_HOSTS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'acme-v02.api.letsencrypt.org': LETSENCRYPT_PRODUCTION,
    'acme-staging-v02.api.letsencrypt.org': LETSENCRYPT_STAGING,
    // Old v1 endpoints and bare hosts people still paste.
    'acme-v01.api.letsencrypt.org': LETSENCRYPT_PRODUCTION,
    'acme-staging.api.letsencrypt.org': LETSENCRYPT_STAGING,
    'api.letsencrypt.org': LETSENCRYPT_PRODUCTION,
    'letsencrypt.org': LETSENCRYPT_PRODUCTION,
  }),
);

const STAGING_HOSTS = new Set([
  'acme-staging-v02.api.letsencrypt.org',
  'acme-staging.api.letsencrypt.org',
  'dv.acme-v02.test-api.pki.goog',
  'api.test4.buypass.com',
]);
const PRODUCTION_HOSTS = new Set(['acme-v02.api.letsencrypt.org', 'dv.acme-v02.api.pki.goog', 'acme.zerossl.com', 'api.buypass.com', 'acme.ssl.com']);

function parseHost(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

// Every Ingress request parses its issuer's server URL; the answer depends on the string alone,
// so remember it (bounded: cleared when full, so hostile Issuers cannot grow it).
const hostCache = new Map<string, string | undefined>();
const HOST_CACHE_SIZE = 256;
function hostOf(url: string): string | undefined {
  if (hostCache.has(url)) return hostCache.get(url);
  const host = parseHost(url);
  if (hostCache.size >= HOST_CACHE_SIZE) hostCache.clear();
  hostCache.set(url, host);
  return host;
}

/** For a URL on a Let's Encrypt host (or one letter away from it): the exact directory URL it should be, else undefined. */
export function letsEncryptSuggestion(url: string): string | undefined {
  const host = hostOf(url);
  if (!host) return undefined;
  const exact = LETSENCRYPT_HOSTS.get(host);
  if (exact) return exact;
  if (!host.includes('letsencrypt') && !host.includes('lets-encrypt') && !host.includes('letsencrpyt')) return undefined;
  return host.includes('staging') ? LETSENCRYPT_STAGING : LETSENCRYPT_PRODUCTION;
}

export const isLetsEncryptDirectory = (url: string): boolean => url === LETSENCRYPT_PRODUCTION || url === LETSENCRYPT_STAGING;
export const isStagingServer = (url: string): boolean => STAGING_HOSTS.has(hostOf(url) ?? '');
export const isProductionServer = (url: string): boolean => PRODUCTION_HOSTS.has(hostOf(url) ?? '');
