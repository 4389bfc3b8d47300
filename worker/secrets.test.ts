// readSecret: the managed-Secret cache first; other Secrets by GET, whose answer (found or not)
// stands for a few seconds and is shared by concurrent readers; `fresh` always asks the server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import { readSecret } from './secrets.ts';
import { handCache } from './hand-cache.test-fixture.ts';
import type { WorkerContext } from './context.ts';

const secret = (name: string, rv: string): V1Secret => ({ metadata: { name, namespace: 'ns', resourceVersion: rv } });

function fixture(server: Map<string, V1Secret>) {
  const { cache, emit } = handCache<V1Secret & { spec?: { secretName?: string } }>();
  let gets = 0;
  const client = {
    get: async (_r: unknown, _ns: string, name: string) => {
      gets++;
      await new Promise((r) => setImmediate(r));
      return server.get(name);
    },
  };
  const ctx = { caches: { secrets: cache }, client } as unknown as Pick<WorkerContext, 'caches' | 'client'>;
  return { ctx, emit, gets: () => gets };
}

describe('readSecret', () => {
  it('shares one GET between concurrent readers and remembers a missing Secret', async () => {
    const f = fixture(new Map());
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => readSecret(f.ctx, 'ns', 'web-tls')));
    assert.deepEqual(answers, [undefined, undefined, undefined, undefined, undefined]);
    assert.equal(f.gets(), 1, 'five controllers, one request');
    assert.equal(await readSecret(f.ctx, 'ns', 'web-tls'), undefined);
    assert.equal(f.gets(), 1, 'the absence is remembered');
    assert.equal(await readSecret(f.ctx, 'ns', 'web-tls', { noRequest: true }), undefined);
    assert.equal(f.gets(), 1);
  });

  it('asks the server on a fresh read, and lets the cache win once it holds the Secret', async () => {
    const server = new Map([['ca', secret('ca', '3')]]);
    const f = fixture(server);
    assert.equal((await readSecret(f.ctx, 'ns', 'ca'))?.metadata?.resourceVersion, '3');
    server.set('ca', secret('ca', '4'));
    assert.equal((await readSecret(f.ctx, 'ns', 'ca'))?.metadata?.resourceVersion, '3', 'remembered for a few seconds');
    assert.equal((await readSecret(f.ctx, 'ns', 'ca', { fresh: true }))?.metadata?.resourceVersion, '4', 'fresh: the server');
    assert.equal(f.gets(), 2);
    f.emit('add', secret('ca', '5'));
    assert.equal((await readSecret(f.ctx, 'ns', 'ca'))?.metadata?.resourceVersion, '5', 'the cache wins');
    assert.equal(await readSecret(f.ctx, 'ns', 'unknown', { noRequest: true }), undefined, 'noRequest: unknown is undefined');
    assert.equal(f.gets(), 2);
  });
});
