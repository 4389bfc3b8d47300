// The ACME account of an issuer, against pebble and the embedded API server: once registered, its
// account key Secret is watched instead of read again (an issuance reads nothing), and a rotated or
// deleted key is still noticed; without permission to watch it, the timed re-read goes on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { ACMEIssuer } from '../../api/types.generated.ts';
import { startApiServer, type EmbeddedApiServer } from '../../test/apiserver/index.ts';
import { startAcmeStack, type AcmeStack } from '../../test/services/index.ts';
import { pebbleAcmeSpec } from '../../test/e2e/acme-harness.ts';
import { clientFor, grantRole, waitFor } from '../../test/fixtures.ts';
import type { KubeClient } from '../kube/client.ts';
import { AcmeAccounts } from './accounts.ts';

const NS = 'default';
const RECHECK_MS = 1; // without a watch, every call after a millisecond reads the Secret again

describe('ACME accounts: the account key Secret', { timeout: 120_000 }, () => {
  let stack: AcmeStack;
  let server: EmbeddedApiServer;
  let admin: KubeClient;
  /** GETs of one Secret by name, per Secret name. */
  const reads = new Map<string, number>();
  const readsOf = (name: string) => reads.get(name) ?? 0;

  before(async () => {
    [stack, server] = await Promise.all([
      startAcmeStack(),
      startApiServer({
        crdDir: null,
        rbac: true,
        onRequest: (method, url) => {
          const m = /\/api\/v1\/namespaces\/[^/]+\/secrets\/([^/?]+)/.exec(url);
          if (method === 'GET' && m) reads.set(m[1], readsOf(m[1]) + 1);
        },
      }),
    ]);
    admin = clientFor(server.kubeconfigPath);
  });
  after(async () => {
    await server?.stop();
    await stack?.stop();
  });

  const specFor = (secret: string): ACMEIssuer => ({ ...pebbleAcmeSpec(stack).acme!, privateKeySecretRef: { name: secret } });
  const pemHash = (pem: string) => createHash('sha256').update(pem).digest('hex');
  const newKeyPem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  test('watched once registered: calls read nothing; a rotated key and a deleted Secret are picked up', async () => {
    const accounts = new AcmeAccounts(admin, { recheckSecretsMs: RECHECK_MS });
    try {
      const spec = specFor('watched-account');
      const first = await accounts.clientFor(spec, NS);
      // The watch starts with the first call; once it runs, a call sends no GET.
      await waitFor('a call that reads nothing (the watch runs)', async () => {
        const before = readsOf('watched-account');
        await accounts.clientFor(spec, NS);
        return readsOf('watched-account') === before;
      });
      const before = readsOf('watched-account');
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, RECHECK_MS + 1));
        assert.equal((await accounts.clientFor(spec, NS)).account.uri, first.account.uri);
      }
      assert.equal(readsOf('watched-account'), before, 'no GET while the watch runs, whatever the time since the last read');

      // Rotated by hand: the next call uses the new key (a new account at the CA).
      const rotated = newKeyPem();
      const secret = (await admin.get<V1Secret>(Resources.Secret, NS, 'watched-account'))!;
      await admin.replace(Resources.Secret, { ...secret, data: { 'tls.key': Buffer.from(rotated).toString('base64') } });
      const afterRotation = await waitFor('the rotated key in use', async () => {
        const reg = await accounts.clientFor(spec, NS);
        return reg.accountKeyHash === pemHash(rotated) ? reg : undefined;
      });
      assert.notEqual(afterRotation.account.uri, first.account.uri, 'a new account for the new key');

      // Deleted: the next call makes a new key, stored in the Secret again.
      await admin.delete(Resources.Secret, NS, 'watched-account');
      const afterDelete = await waitFor('a new key after the deletion', async () => {
        const reg = await accounts.clientFor(spec, NS);
        return reg.accountKeyHash !== pemHash(rotated) ? reg : undefined;
      });
      const stored = (await admin.get<V1Secret>(Resources.Secret, NS, 'watched-account'))?.data?.['tls.key'];
      assert.equal(pemHash(Buffer.from(stored!, 'base64').toString('utf8')), afterDelete.accountKeyHash, 'the new key is stored');
    } finally {
      await accounts.stop();
    }
  });

  test('not allowed to watch Secrets: the timed re-read, as before', async () => {
    await grantRole(admin, NS, 'account-reader', 'reader', [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create'] }]);
    const limited = clientFor(await server.kubeconfigFor(NS, 'reader'));
    const accounts = new AcmeAccounts(limited, { recheckSecretsMs: RECHECK_MS });
    try {
      const spec = specFor('unwatched-account');
      await accounts.clientFor(spec, NS);
      const before = readsOf('unwatched-account');
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, RECHECK_MS + 1));
        await accounts.clientFor(spec, NS);
      }
      assert.ok(readsOf('unwatched-account') >= before + 3, 'read again after each recheck interval');
    } finally {
      await accounts.stop();
    }
  });
});
