// The embedded server's stop() as tests that restart it on the same port rely on: it must end every
// connection, including one still before or in its TLS handshake. closeAllConnections() only knows
// connections past the handshake; one finishing it after stop() went on serving (a new watch on it
// kept server.close() from ever completing, and the watch-recovery e2e hung).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, loadKubeConfig } from '../../lib/kube/client.ts';
import { Resources } from '../../api/resources.ts';
import { startApiServer } from './index.ts';

test('stop() ends a connection that has not finished its TLS handshake, and a restart binds the same port', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-apiserver-stop-'));
  try {
    const server = await startApiServer({ dir, crdDir: null });
    const port = Number(new URL(server.url).port);
    const client = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }));
    const silent = net.connect(port, '127.0.0.1'); // connects, never says hello
    await once(silent, 'connect');
    // A request answered after the silent connection was made: the server has accepted both by now.
    await client.list(Resources.Namespace);
    const closed = once(silent, 'close');
    await server.stop(); // waited for the TLS handshake timeout (120 s) before the fix
    await closed;
    client.close();

    const again = await startApiServer({ dir, crdDir: null, port });
    try {
      const fresh = new KubeClient(loadKubeConfig({ kubeconfig: again.kubeconfigPath }));
      assert.ok((await fresh.list(Resources.Namespace)).items.some((n) => n.metadata?.name === 'default'));
      fresh.close();
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
