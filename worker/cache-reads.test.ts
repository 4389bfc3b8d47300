// Cache-side reads of the worker: secondary indexes follow the cache's events, and a fresh reader
// serves the cache once it holds this worker's own last write (that write's answer until then).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cacheIndex } from './cache-index.ts';
import { createFreshReader } from './fresh-reads.ts';
import { handCache, type Obj } from './hand-cache.test-fixture.ts';

const obj = (name: string, extra: Partial<Obj> = {}, rv = '1'): Obj => ({ metadata: { name, namespace: 'ns', resourceVersion: rv }, ...extra });

describe('cacheIndex', () => {
  it('indexes what the cache held, then follows adds, key changes and deletes', () => {
    const { cache, emit } = handCache([obj('a', { spec: { secretName: 's1' } })]);
    const index = cacheIndex(cache, 'secret', (o) => (o.spec?.secretName ? [o.spec.secretName] : []));
    assert.deepEqual(
      index.get('s1').map((o) => o.metadata!.name),
      ['a'],
    );
    emit('add', obj('b', { spec: { secretName: 's1' } }));
    assert.deepEqual(
      index
        .get('s1')
        .map((o) => o.metadata!.name)
        .sort(),
      ['a', 'b'],
    );
    emit('update', obj('a', { spec: { secretName: 's2' } }));
    assert.deepEqual(
      index.get('s1').map((o) => o.metadata!.name),
      ['b'],
    );
    assert.deepEqual(
      index.get('s2').map((o) => o.metadata!.name),
      ['a'],
    );
    emit('delete', obj('b', { spec: { secretName: 's1' } }));
    assert.deepEqual(index.get('s1'), []);
    assert.equal(
      cacheIndex(cache, 'secret', () => []),
      index,
      'one index per cache and name',
    );
  });
});

describe('createFreshReader', () => {
  it("reads the cache until we write, then our write's answer until the watch delivers it, with no request", async () => {
    const { cache, emit } = handCache([obj('o', { spec: { secretName: 'cached' } }, '5')]);
    let gets = 0;
    const reader = createFreshReader(cache, async () => (gets++, undefined));
    assert.equal(reader.get('ns', 'o')?.metadata?.resourceVersion, '5');
    reader.wrote(obj('o', { spec: { secretName: 'ours' } }, '6'));
    assert.equal(reader.get('ns', 'o')?.spec?.secretName, 'ours', "the cache lags: the server's answer to our write");
    emit('update', obj('o', { spec: { secretName: 'watched' } }, '6'));
    assert.equal(reader.get('ns', 'o')?.spec?.secretName, 'watched', 'the cache caught up: its object again');
    emit('update', obj('o', { spec: { secretName: 'someone else' } }, '7'));
    assert.equal(reader.get('ns', 'o')?.spec?.secretName, 'someone else', 'later writes of others are seen');
    assert.equal(gets, 0);
  });

  it("tells the watch's echo of our own write (no news: onWrite's listeners had it) from anything newer", async () => {
    const { cache, emit } = handCache([obj('o', {}, '5')]);
    const reader = createFreshReader(cache, async () => undefined);
    const echoes: boolean[] = [];
    cache.on('update', (o: Obj) => echoes.push(reader.isEcho(o)));
    cache.on('update', (o: Obj) => echoes.push(reader.isEcho(o))); // every handler of the event hears the same
    reader.wrote(obj('o', {}, '6'));
    reader.wrote(obj('o', {}, '8'));
    emit('update', obj('o', {}, '6')); // an older write of ours: news for whoever has not seen 8 yet
    emit('update', obj('o', {}, '8'));
    await Promise.resolve();
    emit('update', obj('o', {}, '8')); // the same version again later (a relist) counts as news
    emit('update', obj('o', {}, '9'));
    assert.deepEqual(echoes, [false, false, true, true, false, false, false, false]);
  });

  it('lets a later version in the cache clear an outstanding write (watch relisted past it)', async () => {
    const { cache, emit } = handCache([obj('o', {}, '5')]);
    let gets = 0;
    const reader = createFreshReader(cache, async () => (gets++, undefined));
    reader.wrote(obj('o', {}, '6'));
    emit('update', obj('o', {}, '9'));
    assert.equal(reader.get('ns', 'o')?.metadata?.resourceVersion, '9');
    assert.equal(gets, 0);
  });

  it('holds nothing beside the cache for a write whose version the watch brought first, and our answer without field ownership otherwise', async () => {
    const { cache, emit } = handCache([obj('o', {}, '5'), obj('p', {}, '5')]);
    const reader = createFreshReader(cache, async () => undefined);
    const written: Obj[] = [];
    reader.onWrite((o) => written.push(o));
    emit('update', obj('o', {}, '6'));
    reader.wrote(obj('o', {}, '6'));
    assert.equal(reader.held(), 0, 'the cache already holds version 6');
    assert.equal(written.length, 1, "onWrite's listeners still hear of it");
    const answer = obj('p', {}, '6');
    answer.metadata!.managedFields = [{ manager: 'certgate', operation: 'Update', fieldsV1: { 'f:status': {} } }];
    reader.wrote(answer);
    assert.equal(reader.held(), 1);
    assert.equal(reader.get('ns', 'p')?.metadata?.resourceVersion, '6');
    assert.equal(reader.get('ns', 'p')?.metadata?.managedFields, undefined);
    emit('update', obj('p', {}, '6'));
    reader.get('ns', 'p');
    await Promise.resolve();
    assert.equal(reader.held(), 0);
  });
});
