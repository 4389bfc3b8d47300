// Builds an acme-client Client for one issuer: its own transport (TLS trust, metrics, retries),
// configurable polling backoff (acme-client's 5 s default makes every issuance wait 5 s), and the
// account URL when it is already known so no registration round trip is needed.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import acme from 'acme-client';
import { createAcmeTransport, type AcmeTransportOptions } from './transport.ts';

export type AcmeClient = acme.Client;

export interface PollBackoff {
  minMs: number;
  maxMs: number;
  attempts: number;
}

/** Production polling: start at 1 s. Tests pass tens of ms. */
const DEFAULT_POLL_BACKOFF: PollBackoff = Object.freeze({ minMs: 1000, maxMs: 10_000, attempts: 10 });

interface AcmeClientOptions extends AcmeTransportOptions {
  directoryUrl: string;
  accountKeyPem: string;
  accountUrl?: string;
  /** kid and the base64url MAC key. */
  externalAccountBinding?: { kid: string; hmacKey: string };
  pollBackoff?: PollBackoff;
  /** badNonce retries per signed request (acme-client's default of 5 is too few under heavy nonce rejection). */
  maxBadNonceRetries?: number;
}

export function createAcmeClient(opts: AcmeClientOptions): AcmeClient {
  if (opts.caBundlePem && opts.skipTLSVerify) throw new Error('caBundle and skipTLSVerify are mutually exclusive');
  const backoff = opts.pollBackoff ?? DEFAULT_POLL_BACKOFF;
  const client = new acme.Client({
    directoryUrl: opts.directoryUrl,
    accountKey: opts.accountKeyPem,
    accountUrl: opts.accountUrl,
    externalAccountBinding: opts.externalAccountBinding,
    backoffMin: backoff.minMs,
    backoffMax: backoff.maxMs,
    backoffAttempts: backoff.attempts,
  });
  const transport = createAcmeTransport(opts);
  // acme-client has no per-client HTTP hook; its HttpClient.request is the one seam (see transport.ts).
  const httpClient = (client as unknown as { http: { request: unknown; maxBadNonceRetries: number; accountKey: Buffer | KeyObject } }).http;
  httpClient.request = transport.request;
  // acme-client signs every request with the account key as PEM, which node parses again for each
  // signature (about 1.5 ms with OpenSSL 3, more than the signature): the parsed key instead.
  httpClient.accountKey = createPrivateKey(opts.accountKeyPem);
  httpClient.maxBadNonceRetries = opts.maxBadNonceRetries ?? 25;
  return client;
}

/** The ACME server directory, read through the client's transport (cached by acme-client). */
export async function getDirectory(client: AcmeClient): Promise<Record<string, any>> {
  return (client as unknown as { http: { getDirectory(): Promise<Record<string, any>> } }).http.getDirectory();
}

/** Profiles the server advertises (draft-aaron-acme-profiles: directory meta.profiles). */
export async function advertisedProfiles(client: AcmeClient): Promise<string[]> {
  const dir = await getDirectory(client);
  const profiles = dir?.meta?.profiles;
  return profiles && typeof profiles === 'object' ? Object.keys(profiles) : [];
}

/** POST-as-GET of any ACME resource (order, authorization, challenge). */
export async function fetchResource<T = any>(client: AcmeClient, url: string): Promise<T> {
  const api = (client as unknown as { api: { apiRequest(url: string, payload: null, codes: number[]): Promise<{ data: T }> } }).api;
  const resp = await api.apiRequest(url, null, [200]);
  return resp.data;
}
