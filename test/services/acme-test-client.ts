// Drives one issuance through acme-client's lower-level order API against the test pebble, with
// the challenge step supplied by the caller (HTTP-01 responder or DNS-01 TXT record). Tests use it
// to prove the fixtures work end to end; it is not the product's ACME code.
import { Agent } from 'node:https';
import { X509Certificate } from 'node:crypto';
import acme from 'acme-client';
import type { PebbleServer } from './pebble.ts';

type Challenge = Awaited<ReturnType<acme.Client['getAuthorizations']>>[number]['challenges'][number];
type Authorization = Awaited<ReturnType<acme.Client['getAuthorizations']>>[number];

export interface ChallengeSolver {
  type: 'http-01' | 'dns-01';
  /** Make the challenge answerable; returns an undo step. */
  present(authz: Authorization, challenge: Challenge, keyAuthorization: string): Promise<() => Promise<void>>;
}

/**
 * acme-client talks HTTPS through one process-wide axios instance: trust pebble's listener CA there.
 * Pebble's HTTPS CA is minted per start, so the agent is replaced for each stack.
 */
export function trustPebble(pebble: PebbleServer): void {
  acme.axios.defaults.httpsAgent = new Agent({ ca: pebble.caBundlePem });
}

export async function newAcmeClient(pebble: PebbleServer): Promise<acme.Client> {
  trustPebble(pebble);
  // Small backoff: pebble is usually still "pending" on the first poll (see notes/test-services.md).
  const client = new acme.Client({
    directoryUrl: pebble.directoryUrl,
    accountKey: await acme.crypto.createPrivateKey(2048),
    backoffMin: 20,
    backoffMax: 200,
    backoffAttempts: 50,
  });
  await client.createAccount({ termsOfServiceAgreed: true });
  return client;
}

interface Issued {
  certificatePem: string;
  leaf: X509Certificate;
  chain: X509Certificate[];
}

/** keyType: the certificate's key (RSA 2048 by default, as acme-client's createCsr). */
export async function issueCertificate(
  client: acme.Client,
  names: string[],
  solver: ChallengeSolver,
  opts: { keyType?: 'rsa' | 'ecdsa' } = {},
): Promise<Issued> {
  const key = opts.keyType === 'ecdsa' ? await acme.crypto.createPrivateEcdsaKey() : undefined;
  const [, csr] = await acme.crypto.createCsr({ commonName: names.find((n) => !n.startsWith('*.')) ?? names[0], altNames: names }, key);
  const order = await client.createOrder({ identifiers: names.map((value) => ({ type: 'dns', value })) });
  const authorizations = await client.getAuthorizations(order);
  const undo: Array<() => Promise<void>> = [];
  try {
    // Present every challenge first (apex and wildcard may share one TXT name), then let pebble validate.
    const pending: Challenge[] = [];
    for (const authz of authorizations) {
      if (authz.status === 'valid') continue;
      const challenge = authz.challenges.find((c) => c.type === solver.type);
      if (!challenge) throw new Error(`no ${solver.type} challenge offered for ${authz.identifier.value}`);
      undo.push(await solver.present(authz, challenge, await client.getChallengeKeyAuthorization(challenge)));
      pending.push(challenge);
    }
    for (const challenge of pending) await client.completeChallenge(challenge);
    for (const challenge of pending) await client.waitForValidStatus(challenge);
  } finally {
    for (const step of undo.reverse()) await step();
  }
  const finalized = await client.finalizeOrder(order, csr);
  const certificatePem = await client.getCertificate(finalized);
  const chain = splitPem(certificatePem).map((pem) => new X509Certificate(pem));
  return { certificatePem, leaf: chain[0], chain };
}

function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** True when `chain` (leaf first) links up to `rootPem` by signature. */
export function chainsTo(chain: X509Certificate[], rootPem: string): boolean {
  const root = new X509Certificate(rootPem);
  const all = [...chain, root];
  for (let i = 0; i + 1 < all.length; i++) {
    if (!all[i].checkIssued(all[i + 1]) || !all[i].verify(all[i + 1].publicKey)) return false;
  }
  return true;
}
