// The garbage collector and namespace controller over HTTPS: cascades through chains of owners,
// keeps dependents while any owner lives, finishes a terminating namespace only once a finalizer
// is gone, and rebuilds its owner index from state loaded from disk.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type EmbeddedApiServer } from './index.ts';

function client(server: EmbeddedApiServer) {
  const agent = new https.Agent({ ca: server.caPem, keepAlive: true });
  return (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        `${server.url}${path}`,
        { method, agent, headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': contentType } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CM = '/api/v1/namespaces/default/configmaps';
const ownerRef = (o: any) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name, uid: o.metadata.uid });

describe('garbage collector', { timeout: 240_000 }, () => {
  const servers: EmbeddedApiServer[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = async (opts: Parameters<typeof startApiServer>[0] = {}) => {
    const s = await startApiServer({ crdDir: null, ...opts });
    servers.push(s);
    return { server: s, api: client(s) };
  };

  it('cascades through a chain of owners and keeps a dependent while another owner lives', async () => {
    const { api } = await start();
    const a = (await api('POST', CM, { metadata: { name: 'a' } })).body;
    const keeper = (await api('POST', CM, { metadata: { name: 'keeper' } })).body;
    const b = (await api('POST', CM, { metadata: { name: 'b', ownerReferences: [ownerRef(a)] } })).body;
    await api('POST', CM, { metadata: { name: 'c', ownerReferences: [ownerRef(b)] } });
    await api('POST', CM, { metadata: { name: 'shared', ownerReferences: [ownerRef(a), ownerRef(keeper)] } });
    // Many unrelated objects: the collector must still find the few that matter.
    for (let i = 0; i < 200; i++) await api('POST', CM, { metadata: { name: `unrelated-${i}` } });
    assert.equal((await api('DELETE', `${CM}/a`)).status, 200);
    await eventually(async () => (await api('GET', `${CM}/c`)).status === 404, 'grandchild deleted');
    assert.equal((await api('GET', `${CM}/b`)).status, 404);
    assert.equal((await api('GET', `${CM}/shared`)).status, 200, 'an owner is still alive');
    assert.equal((await api('GET', `${CM}/unrelated-7`)).status, 200);
    await api('DELETE', `${CM}/keeper`);
    await eventually(async () => (await api('GET', `${CM}/shared`)).status === 404, 'last owner gone');
  });

  it('removes an owner reference set later to a deleted owner, and keeps one whose owner was re-pointed', async () => {
    const { api } = await start();
    const gone = (await api('POST', CM, { metadata: { name: 'gone' } })).body;
    const alive = (await api('POST', CM, { metadata: { name: 'alive' } })).body;
    await api('DELETE', `${CM}/gone`);
    await api('POST', CM, { metadata: { name: 'moved', ownerReferences: [ownerRef(alive)] } });
    await api('POST', CM, { metadata: { name: 'late' } });
    await api('PATCH', `${CM}/late`, { metadata: { ownerReferences: [ownerRef(gone)] } }, 'application/merge-patch+json');
    await eventually(async () => (await api('GET', `${CM}/late`)).status === 404, 'dependent of a deleted owner collected');
    assert.equal((await api('GET', `${CM}/moved`)).status, 200);
  });

  it('finishes a terminating namespace only after the last finalizer is removed', async () => {
    const { api } = await start();
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await api('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    for (let i = 0; i < 20; i++) await api('POST', '/api/v1/namespaces/doomed/secrets', { metadata: { name: `s-${i}` } });
    await api('DELETE', '/api/v1/namespaces/doomed');
    await eventually(
      async () => (await api('GET', '/api/v1/namespaces/doomed/configmaps/held')).body?.metadata?.deletionTimestamp !== undefined,
      'held object marked',
    );
    await eventually(async () => (await api('GET', '/api/v1/namespaces/doomed/secrets')).body.items.length === 0, 'Secrets deleted');
    assert.equal((await api('GET', '/api/v1/namespaces/doomed')).status, 200, 'namespace waits for the finalizer');
    await api('PATCH', '/api/v1/namespaces/doomed/configmaps/held', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    await eventually(async () => (await api('GET', '/api/v1/namespaces/doomed')).status === 404, 'namespace gone');
  });

  it('collects dependents of owners deleted while the server was down (index rebuilt from loaded state)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certgate-gc-'));
    dirs.push(dir);
    const statePath = join(dir, 'state.json');
    const first = await start({ statePath });
    const owner = (await first.api('POST', CM, { metadata: { name: 'owner' } })).body;
    await first.api('POST', CM, { metadata: { name: 'dependent', ownerReferences: [ownerRef(owner)] } });
    await first.server.stop();
    // The owner disappears from the stored state, as if deleted while nothing collected.
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    state.objects['/configmaps'] = state.objects['/configmaps'].filter((o: any) => o.metadata.name !== 'owner');
    writeFileSync(statePath, JSON.stringify(state));
    const second = await start({ statePath });
    assert.equal((await second.api('GET', `${CM}/dependent`)).status, 200, 'loaded as stored');
    // Any write that gives the collector work starts its first pass.
    const anchor = (await second.api('POST', CM, { metadata: { name: 'anchor' } })).body;
    await second.api('POST', CM, { metadata: { name: 'anchored', ownerReferences: [ownerRef(anchor)] } });
    await eventually(async () => (await second.api('GET', `${CM}/dependent`)).status === 404, 'dependent collected after restart');
  });
});
