// One registered ACME client per issuer configuration, shared by the backend and the Order and
// Challenge controllers. Registration happens once per process and configuration; a change of
// server, key, trust, email or EAB makes a new entry. Failed attempts are not cached.
import { createHash } from 'node:crypto';
import { createAcmeClient, type AcmeClient, type PollBackoff } from './client.ts';
import { registerAccount, type AccountRegistration } from './account.ts';
import { ensureAccountKey } from './account-key.ts';
import { readExternalAccountBinding } from './eab.ts';
import type { KubeClient } from '../kube/client.ts';
import type { AcmeMetrics } from '../metrics/acme.ts';
import type { ACMEIssuer } from '../../api/types.generated.ts';

interface AcmeAccountsOptions {
  metrics?: AcmeMetrics;
  pollBackoff?: PollBackoff;
  retryBaseMs?: number;
  /**
   * How long an issuer configuration's answer stands before its account key and EAB Secrets are
   * read again (default 10 s): every Order and Challenge pass asks, and a GET plus a key parse each
   * time cost more API requests than the issuance itself. A rotated key is picked up within this time.
   */
  recheckSecretsMs?: number;
}

const DEFAULT_RECHECK_SECRETS_MS = 10_000;

interface RegisteredClient {
  client: AcmeClient;
  account: AccountRegistration;
  accountKeyHash: string;
}

export class AcmeAccounts {
  private readonly entries = new Map<string, Promise<RegisteredClient>>();
  /** Issuer configuration -> its registered client, and when its Secrets were read. */
  private readonly recent = new Map<string, { readAt: number; entry: Promise<RegisteredClient> }>();

  constructor(
    private readonly kube: KubeClient,
    private readonly opts: AcmeAccountsOptions = {},
  ) {}

  /** The registered client for an ACME issuer spec whose Secrets live in `resourceNamespace`. */
  async clientFor(spec: ACMEIssuer, resourceNamespace: string): Promise<RegisteredClient> {
    const specKey = JSON.stringify([resourceNamespace, spec]);
    const now = Date.now();
    const known = this.recent.get(specKey);
    if (known && now - known.readAt < (this.opts.recheckSecretsMs ?? DEFAULT_RECHECK_SECRETS_MS)) return known.entry;
    const entry = this.resolve(spec, resourceNamespace);
    if (this.recent.size > 1000) this.recent.clear(); // bounded: a few issuers in practice
    this.recent.set(specKey, { readAt: now, entry });
    entry.catch(() => this.recent.delete(specKey));
    return entry;
  }

  private async resolve(spec: ACMEIssuer, resourceNamespace: string): Promise<RegisteredClient> {
    const key = await ensureAccountKey(this.kube, resourceNamespace, spec.privateKeySecretRef, { allowGenerate: !spec.disableAccountKeyGeneration });
    const eab = await readExternalAccountBinding(this.kube, resourceNamespace, spec.externalAccountBinding);
    // Hashed: the key includes the EAB MAC key, which should not sit around in plain text.
    const cacheKey = createHash('sha256')
      .update(JSON.stringify([spec.server, key.hash, spec.caBundle ?? '', !!spec.skipTLSVerify, spec.email ?? '', eab?.kid ?? '', eab?.hmacKey ?? '']))
      .digest('hex');
    let entry = this.entries.get(cacheKey);
    if (!entry) {
      entry = (async () => {
        const client = createAcmeClient({
          directoryUrl: spec.server,
          accountKeyPem: key.pem,
          externalAccountBinding: eab,
          caBundlePem: spec.caBundle ? Buffer.from(spec.caBundle, 'base64').toString('utf8') : undefined,
          skipTLSVerify: spec.skipTLSVerify,
          metrics: this.opts.metrics,
          pollBackoff: this.opts.pollBackoff,
          retryBaseMs: this.opts.retryBaseMs,
        });
        const eabSource = eab && { keyID: eab.kid, secret: `${resourceNamespace}/${spec.externalAccountBinding!.keySecretRef.name}` };
        const account = await registerAccount(client, spec.email, eabSource);
        return { client, account, accountKeyHash: key.hash };
      })();
      this.entries.set(cacheKey, entry);
      entry.catch(() => this.entries.delete(cacheKey));
    }
    return entry;
  }
}
