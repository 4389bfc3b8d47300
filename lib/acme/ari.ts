// ACME Renewal Information (ARI, RFC 9773): the certificate's ARI id, and the renewal window the
// CA suggests for it. acme-client 5.4 knows nothing of ARI, so the request goes through the same
// per-issuer transport as every other ACME call (its TLS trust, metrics and retries).
import { createHash, type X509Certificate } from 'node:crypto';
import { x509 } from '../pki/webcrypto.ts';
import { RecentValues } from '../recent-values.ts';
import { getDirectory, type AcmeClient } from './client.ts';
import type { AcmeHttpResponse } from './transport.ts';
import { AcmeProblemError, parseRetryAfter } from './errors.ts';

export class AriError extends Error {
  override name = 'AriError';
}

/**
 * RFC 9773 section 4.1: base64url(authority key identifier) "." base64url(serial number), the
 * serial as the bytes of its DER INTEGER (a leading zero byte when the high bit is set).
 */
export function ariCertId(cert: X509Certificate): string {
  const id = knownIds.get(cert.fingerprint256, () => computeAriCertId(cert));
  if (id === null) throw new AriError('the certificate has no authority key identifier, so it has no ARI id');
  return id;
}

// Reading the authority key identifier parses the whole certificate (asn1js, milliseconds), and the
// readiness, trigger and renewal-information controllers ask for the same certificate's id on many
// passes: remembered by SHA-256 fingerprint (which node computes natively, in microseconds).
const knownIds = new RecentValues<string, string | null>(4096);

/** null: the certificate has no authority key identifier. */
function computeAriCertId(cert: X509Certificate): string | null {
  const aki = new x509.X509Certificate(cert.raw).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  if (!aki) return null;
  let serial = cert.serialNumber.toLowerCase().replace(/^0+(?=.)/, '');
  if (serial.length % 2) serial = `0${serial}`;
  if (parseInt(serial.slice(0, 2), 16) >= 0x80) serial = `00${serial}`;
  return `${Buffer.from(aki, 'hex').toString('base64url')}.${Buffer.from(serial, 'hex').toString('base64url')}`;
}

export interface RenewalInfo {
  windowStart: Date;
  windowEnd: Date;
  explanationURL?: string;
  /** From the answer's Retry-After: when the CA wants to be asked again. */
  retryAfterMs?: number;
}

/** The directory's renewalInfo URL; undefined when the CA does not offer ARI. */
async function renewalInfoUrl(client: AcmeClient): Promise<string | undefined> {
  const url = (await getDirectory(client))?.renewalInfo;
  return typeof url === 'string' && url ? url : undefined;
}

/** Whether the CA offers ARI (its directory names renewalInfo; the directory is read once per client). */
export async function offersRenewalInfo(client: AcmeClient): Promise<boolean> {
  return (await renewalInfoUrl(client)) !== undefined;
}

/**
 * GETs the renewalInfo of `certId` (unauthenticated, RFC 9773 section 4.2). Undefined when the
 * CA has no renewalInfo; AriError for an answer that is not a valid window; AcmeProblemError for
 * a problem document (e.g. 404 for a certificate the CA does not know).
 */
export async function fetchRenewalInfo(client: AcmeClient, certId: string): Promise<RenewalInfo | undefined> {
  const base = await renewalInfoUrl(client);
  if (!base) return undefined;
  const request = (client as unknown as { http: { request(url: string, method: string): Promise<AcmeHttpResponse> } }).http.request;
  const res = await request(`${base.replace(/\/$/, '')}/${certId}`, 'get');
  if (res.status !== 200) throw new AcmeProblemError('urn:ietf:params:acme:error:serverInternal', `renewalInfo answered HTTP ${res.status}`, res.status);
  return { ...parseRenewalInfo(res.data), retryAfterMs: parseRetryAfter(res.headers['retry-after']) };
}

/** Validates a renewalInfo body: a suggestedWindow whose start precedes its end, and an optional https or http explanationURL. */
export function parseRenewalInfo(body: unknown): Omit<RenewalInfo, 'retryAfterMs'> {
  const data = typeof body === 'string' ? safeJson(body) : body;
  const window = (data as { suggestedWindow?: { start?: unknown; end?: unknown } } | undefined)?.suggestedWindow;
  const start = typeof window?.start === 'string' ? new Date(window.start) : undefined;
  const end = typeof window?.end === 'string' ? new Date(window.end) : undefined;
  if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw new AriError('renewalInfo has no valid suggestedWindow');
  if (end.getTime() <= start.getTime()) throw new AriError(`renewalInfo suggestedWindow ends (${end.toISOString()}) before it starts (${start.toISOString()})`);
  const explanation = (data as { explanationURL?: unknown }).explanationURL;
  const explanationURL = typeof explanation === 'string' && /^https?:\/\//.test(explanation) ? explanation : undefined;
  return { windowStart: start, windowEnd: end, ...(explanationURL ? { explanationURL } : {}) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AriError('renewalInfo is not JSON');
  }
}

/**
 * The renewal time inside [start, end]: RFC 9773 asks for a uniformly random point, so that
 * certificates issued together do not renew together. The point is drawn from a hash of the ARI id,
 * so every check of the same certificate and window lands on the same time (no state to keep).
 */
export function pointInWindow(certId: string, start: Date, end: Date): Date {
  const fraction = createHash('sha256').update(certId).digest().readUIntBE(0, 6) / 2 ** 48;
  const at = Math.floor((start.getTime() + fraction * (end.getTime() - start.getTime())) / 1000) * 1000; // status times are whole seconds
  return new Date(Math.max(start.getTime(), at));
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Delay before asking again: the CA's Retry-After, but at least a 360th of the lifetime (6 hours
 * for 90 days, 24 minutes for 6 days), clamped to 1 minute .. 1 day as RFC 9773 section 4.3 advises.
 */
export function nextCheckDelayMs(lifetimeMs: number, retryAfterMs?: number): number {
  return Math.min(DAY, Math.max(MINUTE, retryAfterMs ?? 0, lifetimeMs / 360));
}
