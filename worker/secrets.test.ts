// readSecret: the managed-Secret cache first; other Secrets by GET, whose answer (found or not)
// stands for a few seconds and is shared by concurrent readers; `fresh` always asks the server;
// this worker's own writes stand until the cache shows them; `since` takes a GET sent after a moment.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Secret } from '@kubernetes/client-node';
import { deleteSecret, readSecret, rememberedSecretCount, rememberWrittenSecret } from './secrets.ts';
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
    delete: async (_r: unknown, _ns: string, name: string) => server.delete(name),
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

  it('answers with our own write until the cache shows that version, though the cache holds an older one', async () => {
    const f = fixture(new Map());
    f.emit('add', secret('web-tls', '7'));
    rememberWrittenSecret(f.ctx, secret('web-tls', '9'));
    assert.equal((await readSecret(f.ctx, 'ns', 'web-tls'))?.metadata?.resourceVersion, '9', 'the renewed Secret, not the due one');
    f.emit('update', secret('web-tls', '8'));
    assert.equal((await readSecret(f.ctx, 'ns', 'web-tls', { since: Infinity }))?.metadata?.resourceVersion, '9', 'an earlier event does not undo it');
    f.emit('update', secret('web-tls', '9'));
    f.emit('update', secret('web-tls', '10'));
    assert.equal((await readSecret(f.ctx, 'ns', 'web-tls'))?.metadata?.resourceVersion, '10', 'then the cache wins');
    await deleteSecret(f.ctx, 'ns', 'web-tls');
    assert.equal(await readSecret(f.ctx, 'ns', 'web-tls', { since: Infinity }), undefined, 'deleted by us, though still cached');
    assert.equal(f.gets(), 0);
  });

  it('a GET sent before our write does not replace it when it answers after', async () => {
    const server = new Map([['web-tls', secret('web-tls', '4')]]);
    const f = fixture(server);
    const slowGet = readSecret(f.ctx, 'ns', 'web-tls');
    rememberWrittenSecret(f.ctx, secret('web-tls', '5'));
    assert.equal((await slowGet)?.metadata?.resourceVersion, '4', 'the GET answers what it read');
    assert.equal((await readSecret(f.ctx, 'ns', 'web-tls', { since: Infinity }))?.metadata?.resourceVersion, '5', 'our write stands');
    assert.equal(f.gets(), 1);
  });

  it('the cache wins over our write when its event came first and a newer one with it', async () => {
    const f = fixture(new Map());
    f.emit('add', secret('web-tls', '11'));
    rememberWrittenSecret(f.ctx, secret('web-tls', '10'));
    assert.equal((await readSecret(f.ctx, 'ns', 'web-tls'))?.metadata?.resourceVersion, '11');
  });

  it('keeps no second copy of our write once the cache holds that version, whichever came first', async () => {
    const f = fixture(new Map());
    f.emit('add', secret('web-tls', '10'));
    rememberWrittenSecret(f.ctx, secret('web-tls', '10'));
    assert.equal(rememberedSecretCount(f.ctx), 0, 'the watch came before the answer: the cache says it already');
    rememberWrittenSecret(f.ctx, secret('web-tls', '11'));
    assert.equal(rememberedSecretCount(f.ctx), 1, 'a version the cache does not hold yet stands beside it');
    f.emit('update', secret('web-tls', '11'));
    assert.equal(rememberedSecretCount(f.ctx), 0, 'until its event');
    assert.equal((await readSecret(f.ctx, 'ns', 'web-tls', { since: Infinity }))?.metadata?.resourceVersion, '11');
    assert.equal(f.gets(), 0);
  });

  it('since: a GET sent after that moment answers, an earlier one does not', async () => {
    const f = fixture(new Map());
    const before = performance.now();
    assert.equal(await readSecret(f.ctx, 'ns', 'web-tls'), undefined);
    assert.equal(f.gets(), 1);
    assert.equal(await readSecret(f.ctx, 'ns', 'web-tls', { since: before }), undefined, 'the GET sent since answers');
    assert.equal(f.gets(), 1, 'no second GET');
    const after = performance.now() + 1;
    while (performance.now() < after) await new Promise((r) => setImmediate(r));
    assert.equal(await readSecret(f.ctx, 'ns', 'web-tls', { since: after }), undefined);
    assert.equal(f.gets(), 2, 'a GET sent before `since` does not confirm: one more');
    f.emit('add', secret('web-tls', '3'));
    assert.equal((await readSecret(f.ctx, 'ns', 'web-tls', { since: Infinity }))?.metadata?.resourceVersion, '3', 'the watched cache confirms');
    assert.equal(f.gets(), 2);
  });
});
