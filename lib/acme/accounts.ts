// One registered ACME client per issuer configuration, shared by the backend and the Order and
// Challenge controllers. Registration happens once per process and configuration; a change of
// server, key, trust, email or EAB makes a new entry. Failed attempts are not cached.
import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { createAcmeClient, type AcmeClient, type PollBackoff } from './client.ts';
import { registerAccount, type AccountRegistration } from './account.ts';
import { accountKeyHashIn, ensureAccountKey } from './account-key.ts';
import { readExternalAccountBinding } from './eab.ts';
import { KubeApiError, type KubeClient, type WatchedCache } from '../kube/client.ts';
import { Resources } from '../../api/resources.ts';
import type { AcmeMetrics } from '../metrics/acme.ts';
import type { ACMEIssuer } from '../../api/types.generated.ts';

interface AcmeAccountsOptions {
  metrics?: AcmeMetrics;
  pollBackoff?: PollBackoff;
  retryBaseMs?: number;
  /**
   * How long an issuer configuration's answer stands before its account key and EAB Secrets are
   * read again while the account key Secret's watch is not running (default 10 s): every Order and
   * Challenge pass asks, and a GET plus a key parse each time cost more API requests than the
   * issuance itself. While the watch runs, the answer stands until the Secret changes.
   */
  recheckSecretsMs?: number;
}

const DEFAULT_RECHECK_SECRETS_MS = 10_000;
/** Account key Secrets watched at most (a few issuers in practice); beyond, the timed re-read. */
const MAX_WATCHED_SECRETS = 200;

interface RegisteredClient {
  client: AcmeClient;
  account: AccountRegistration;
  accountKeyHash: string;
}

interface Recent {
  readAt: number;
  entry: Promise<RegisteredClient>;
  /** namespace/name of the account key Secret whose watch vouches for the entry. */
  secret: string;
}

export class AcmeAccounts {
  private readonly entries = new Map<string, Promise<RegisteredClient>>();
  /** Issuer configuration -> its registered client, and when its Secrets were read. */
  private readonly recent = new Map<string, Recent>();
  /**
   * One single-object watch per account key Secret (the Secret is not labelled, so the managed
   * Secrets cache does not hold it): a rotated or deleted key is noticed when it happens, and an
   * issuance reads nothing. undefined: not watchable here (no permission); the timed re-read applies.
   */
  private readonly watches = new Map<string, WatchedCache<V1Secret> | undefined>();
  private stopped = false;

  constructor(
    private readonly kube: KubeClient,
    private readonly opts: AcmeAccountsOptions = {},
  ) {}

  /** The registered client for an ACME issuer spec whose Secrets live in `resourceNamespace`. */
  async clientFor(spec: ACMEIssuer, resourceNamespace: string): Promise<RegisteredClient> {
    const specKey = JSON.stringify([resourceNamespace, spec]);
    const now = Date.now();
    const known = this.recent.get(specKey);
    if (known && (this.watchVouches(known.secret) || now - known.readAt < (this.opts.recheckSecretsMs ?? DEFAULT_RECHECK_SECRETS_MS))) return known.entry;
    const secret = `${resourceNamespace}/${spec.privateKeySecretRef.name}`;
    this.watch(resourceNamespace, spec);
    const entry = this.resolve(spec, resourceNamespace);
    if (this.recent.size > 1000) this.recent.clear(); // bounded: a few issuers in practice
    this.recent.set(specKey, { readAt: now, entry, secret });
    entry.catch(() => this.recent.delete(specKey));
    return entry;
  }

  /** Ends the account key Secrets' watches (the worker's controllers stop). */
  async stop(): Promise<void> {
    this.stopped = true;
    const watches = [...this.watches.values()];
    this.watches.clear();
    await Promise.all(watches.map((w) => w?.stop()));
  }

  /** Whether the account key Secret's watch is running and current, so an entry read from it stands until it reports a change. */
  private watchVouches(secret: string): boolean {
    const w = this.watches.get(secret);
    return !!w && w.synced && w.staleFor() === 0;
  }

  private watch(namespace: string, spec: ACMEIssuer): void {
    const ref = spec.privateKeySecretRef;
    const secret = `${namespace}/${ref.name}`;
    if (this.stopped || this.watches.has(secret) || this.watches.size >= MAX_WATCHED_SECRETS) return;
    const cache = this.kube.cache<V1Secret>(Resources.Secret, { namespace, fieldSelector: `metadata.name=${ref.name}` });
    this.watches.set(secret, cache);
    // A change of the key (or a deletion) drops the entries read from it: the next pass reads it again.
    const changed = (s: V1Secret) => {
      const hash = s.metadata?.deletionTimestamp ? undefined : accountKeyHashIn(s, ref);
      for (const [specKey, r] of this.recent) {
        if (r.secret !== secret) continue;
        r.entry.then(
          (reg) => hash !== reg.accountKeyHash && this.recent.get(specKey) === r && this.recent.delete(specKey),
          () => {},
        );
      }
    };
    cache.on('add', changed);
    cache.on('update', changed);
    cache.on('delete', (s: V1Secret) => changed({ ...s, metadata: { ...s.metadata, deletionTimestamp: new Date() } }));
    cache.on('error', (err) => {
      // Not allowed to list or watch it (the chart grants only get and create in the cluster
      // resource namespace with watchNamespace): the timed re-read, without a warning every backoff.
      const code = err instanceof KubeApiError ? err.statusCode : (err as { statusCode?: number } | undefined)?.statusCode;
      if (code === 403 || code === 401) {
        this.watches.set(secret, undefined);
        void cache.stop();
      }
    });
    void cache.start();
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
