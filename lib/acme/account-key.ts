// The ACME account private key lives in the issuer's privateKeySecretRef Secret: generated once
// (node:crypto), then read by every replica and every restart, so there is one account per issuer.
import { createHash, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { Resources } from '../../api/resources.ts';
import { isAlreadyExists, type KubeClient } from '../kube/client.ts';
import type { SecretKeySelector } from '../../api/types.generated.ts';

const DEFAULT_ACCOUNT_KEY_ENTRY = 'tls.key';

interface AccountKey {
  pem: string;
  /** sha256 of the PEM, hex: identifies the key without revealing it. */
  hash: string;
}

/** A clear, terminal problem with the account key Secret (the user must fix it). */
class AccountKeyError extends Error {
  override name = 'AccountKeyError';
}

export async function ensureAccountKey(kube: KubeClient, namespace: string, ref: SecretKeySelector, opts: { allowGenerate: boolean }): Promise<AccountKey> {
  const entry = ref.key || DEFAULT_ACCOUNT_KEY_ENTRY;
  for (let attempt = 0; attempt < 3; attempt++) {
    const secret = await kube.get<any>(Resources.Secret, namespace, ref.name);
    if (secret) {
      const b64 = secret.data?.[entry];
      if (!b64) throw new AccountKeyError(`Secret ${namespace}/${ref.name} has no entry "${entry}" holding the ACME account key`);
      const pem = Buffer.from(b64, 'base64').toString('utf8');
      try {
        createPrivateKey(pem);
      } catch {
        throw new AccountKeyError(`Secret ${namespace}/${ref.name} entry "${entry}" is not a PEM private key`);
      }
      return { pem, hash: hashKey(pem) };
    }
    if (!opts.allowGenerate) throw new AccountKeyError(`ACME account key Secret ${namespace}/${ref.name} not found and disableAccountKeyGeneration is set`);
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      await kube.create(Resources.Secret, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: ref.name, namespace, labels: { 'certgate.io/acme-account-key': 'true' } },
        type: 'Opaque',
        data: { [entry]: Buffer.from(pem).toString('base64') },
      } as any);
      return { pem, hash: hashKey(pem) };
    } catch (err) {
      // Another replica created it first: use theirs, so both share one account.
      if (!isAlreadyExists(err)) throw err;
    }
  }
  throw new Error(`could not read or create ACME account key Secret ${namespace}/${ref.name}`);
}

/** The hash of the account key an account key Secret holds now, or undefined when it holds none (the entry is missing). */
export function accountKeyHashIn(secret: { data?: Record<string, string> } | undefined, ref: SecretKeySelector): string | undefined {
  const b64 = secret?.data?.[ref.key || DEFAULT_ACCOUNT_KEY_ENTRY];
  return b64 ? hashKey(Buffer.from(b64, 'base64').toString('utf8')) : undefined;
}

function hashKey(pem: string): string {
  return createHash('sha256').update(pem).digest('hex');
}
