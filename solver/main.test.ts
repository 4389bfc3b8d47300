// startSolver against the embedded API server: every replica answers every HTTP-01 token from the
// Challenge objects it watches, and stops when the Challenge is deleted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer, type EmbeddedApiServer } from '../test/apiserver/index.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { Resources } from '../api/resources.ts';
import type { Challenge } from '../api/types.generated.ts';
import { startSolver, type SolverHandle } from './main.ts';

let api: EmbeddedApiServer;
let client: KubeClient;
const replicas: SolverHandle[] = [];

before(async () => {
  api = await startApiServer();
  client = new KubeClient(loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
  for (let i = 0; i < 2; i++) replicas.push(await startSolver({ client, listen: '127.0.0.1:0' }));
});
after(async () => {
  for (const r of replicas) await r.stop();
  await api?.stop();
});

const challenge = (name: string, token: string, key: string): Challenge => ({
  apiVersion: 'acme.cert-manager.io/v1',
  kind: 'Challenge',
  metadata: { name, namespace: 'default' },
  spec: {
    authorizationURL: 'https://ca.test/authz/1',
    dnsName: 'a.example.test',
    issuerRef: { name: 'i' },
    key,
    solver: { http01: { ingress: {} } },
    token,
    type: 'HTTP-01',
    url: 'https://ca.test/chal/1',
  },
});

async function until(fn: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(20);
  }
  assert.fail(`timed out: ${what}`);
}

const get = (r: SolverHandle, token: string) =>
  fetch(`${r.server.url}/.well-known/acme-challenge/${token}`).then(async (res) => ({ status: res.status, body: await res.text() }));

test('any replica answers a token from a Challenge, and forgets it when the Challenge is deleted', async () => {
  await client.create(Resources.Challenge, challenge('c1', 'tokenOne_-1', 'tokenOne_-1.thumb'));
  for (const r of replicas) await until(async () => (await get(r, 'tokenOne_-1')).status === 200, 'token served');
  for (const r of replicas) assert.deepEqual(await get(r, 'tokenOne_-1'), { status: 200, body: 'tokenOne_-1.thumb' });
  assert.equal((await get(replicas[0], 'otherToken')).status, 404);
  await client.delete(Resources.Challenge, 'default', 'c1');
  for (const r of replicas) await until(async () => (await get(r, 'tokenOne_-1')).status === 404, 'token forgotten');
});
