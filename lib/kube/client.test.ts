// KubeClient's transport: API calls share kept-alive TLS connections instead of a handshake each,
// counted by the embedded API server (sockets it sees) and by the client itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Resources } from '../../api/resources.ts';
import { startApiServer, type EmbeddedApiServer } from '../../test/apiserver/index.ts';
import { KubeClient, loadKubeConfig } from './client.ts';

describe('KubeClient transport', { timeout: 240_000 }, () => {
  let server: EmbeddedApiServer;
  const sockets = new Set<Socket>();
  let requests = 0;

  before(async () => {
    server = await startApiServer({
      crdDir: null,
      onRequest: (_m, _u, req) => {
        requests++;
        sockets.add(req.socket);
      },
    });
  });
  after(async () => server?.stop());

  it('reuses one TLS connection for sequential requests', async () => {
    const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }));
    sockets.clear();
    requests = 0;
    for (let i = 0; i < 30; i++) assert.ok(await client.get(Resources.Namespace, undefined, 'default'));
    assert.equal(requests, 30);
    assert.equal(sockets.size, 1, 'the server saw one connection for 30 requests');
    assert.deepEqual(client.stats(), { requests: 30, connections: 1 });
    client.close();
  });

  it('bounds the connections of concurrent requests and reuses them afterwards', async () => {
    const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }));
    sockets.clear();
    const names = Array.from({ length: 100 }, (_, i) => `parallel-${i}`);
    await Promise.all(
      names.map((name) =>
        client.create(Resources.Secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, stringData: { a: 'b' } } as any),
      ),
    );
    const afterBurst = sockets.size;
    assert.ok(afterBurst >= 1 && afterBurst <= 16, `100 concurrent requests used ${afterBurst} connections (at most 16)`);
    await Promise.all(names.map((name) => client.delete(Resources.Secret, 'default', name)));
    assert.equal(sockets.size, afterBurst, 'a second burst reuses the same connections');
    assert.equal(client.stats().connections, afterBurst);
    client.close();
  });

  it('still answers 404 as undefined and errors as KubeApiError', async () => {
    const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }));
    assert.equal(await client.get(Resources.Namespace, undefined, 'does-not-exist'), undefined);
    await assert.rejects(
      client.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }),
      (e: any) => e.statusCode === 409,
    );
    client.close();
  });
});
