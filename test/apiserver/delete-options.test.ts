// DeleteOptions as kube-apiserver reads them: protobuf (client-go's typed clients, e.g. helm
// uninstall purging its release Secrets), JSON/YAML bodies, query parameters, validation, and over
// HTTPS the preconditions (409), dryRun, propagationPolicy and deletecollection paths.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeDeleteOptionsProtobuf } from './protobuf.ts';
import { failedPrecondition, readDeleteOptions } from './delete-options.ts';
import { ApiError } from './errors.ts';
import { startApiServer, type EmbeddedApiServer } from './index.ts';

// Protobuf wire format by hand: a field is a varint tag (fieldNo << 3 | wireType) and a value;
// wire type 0 = varint, 2 = length-delimited (strings, bytes, nested messages).
function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n)); // negative int64 values take ten bytes (two's complement)
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const tag = (no: number, wire: number) => varint((no << 3) | wire);
const bytesField = (no: number, value: string | number[]) => {
  const b = typeof value === 'string' ? [...Buffer.from(value)] : value;
  return [...tag(no, 2), ...varint(b.length), ...b];
};
const varintField = (no: number, n: number | bigint) => [...tag(no, 0), ...varint(n)];
/** "k8s\0" + runtime.Unknown{ typeMeta(1){ apiVersion(1), kind(2) }, raw(2), contentEncoding(3), contentType(4) } */
const envelope = (apiVersion: string, kind: string, raw: number[], extra: number[] = []) =>
  Buffer.from([0x6b, 0x38, 0x73, 0x00, ...bytesField(1, [...bytesField(1, apiVersion), ...bytesField(2, kind)]), ...bytesField(2, raw), ...extra]);

// metav1.DeleteOptions: gracePeriodSeconds=1 (int64), preconditions=2 (Preconditions{ uid=1, resourceVersion=2 }),
// orphanDependents=3 (bool), propagationPolicy=4 (string), dryRun=5 (repeated string)
const DO = { grace: 1, preconditions: 2, orphan: 3, policy: 4, dryRun: 5 };

const apiError = (code: number, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ApiError, String(e));
  assert.equal(e.code, code, e.message);
  if (message) assert.match(e.message, message);
  return true;
};

describe('protobuf DeleteOptions', () => {
  it('decodes the body helm sends when it purges a release Secret (every option unset)', () => {
    // Logged from helm 3.17's DELETE .../secrets/sh.helm.release.v1.<name>.v1, byte by byte:
    const helmBody = Buffer.from([
      0x6b,
      0x38,
      0x73,
      0x00, // "k8s\0"
      0x0a,
      0x13, // Unknown.typeMeta (field 1, length-delimited), 19 bytes:
      0x0a,
      0x02,
      0x76,
      0x31, //   apiVersion (1) "v1"
      0x12,
      0x0d,
      ...Buffer.from('DeleteOptions'), //   kind (2) "DeleteOptions"
      0x12,
      0x00, // Unknown.raw (2): an empty DeleteOptions message
      0x1a,
      0x00, // Unknown.contentEncoding (3) ""
      0x22,
      0x00, // Unknown.contentType (4) ""
    ]);
    assert.deepEqual(helmBody, envelope('v1', 'DeleteOptions', [], [...bytesField(3, ''), ...bytesField(4, '')]), 'the test encoder writes the same bytes');
    assert.deepEqual(decodeDeleteOptionsProtobuf(helmBody), {});
  });

  it('decodes every field; zero and empty pointer values count as set', () => {
    const raw = [
      ...varintField(DO.grace, 0),
      ...bytesField(DO.preconditions, [...bytesField(1, 'uid-1'), ...bytesField(2, '')]),
      ...bytesField(DO.policy, 'Orphan'),
      ...bytesField(DO.dryRun, 'All'),
      ...varintField(6, 1), // ignoreStoreReadErrorWithClusterBreakingPotential: not modelled, dropped
    ];
    assert.deepEqual(decodeDeleteOptionsProtobuf(envelope('meta.k8s.io/v1', 'DeleteOptions', raw)), {
      gracePeriodSeconds: 0,
      preconditions: { uid: 'uid-1', resourceVersion: '' },
      propagationPolicy: 'Orphan',
      dryRun: ['All'],
    });
    const more = [...varintField(DO.grace, -1), ...varintField(DO.orphan, 1), ...bytesField(DO.dryRun, 'All'), ...bytesField(DO.dryRun, 'Other')];
    assert.deepEqual(decodeDeleteOptionsProtobuf(envelope('v1', 'DeleteOptions', more)), {
      gracePeriodSeconds: -1,
      orphanDependents: true,
      dryRun: ['All', 'Other'],
    });
  });

  it('rejects what it cannot decode with 400, and compressed envelopes with 415', () => {
    assert.throws(() => decodeDeleteOptionsProtobuf(Buffer.from('{"kind":"DeleteOptions"}')), apiError(400, /expected prefix \[107 56 115 0\]/));
    assert.throws(() => decodeDeleteOptionsProtobuf(envelope('v1', 'Secret', [])), apiError(400, /cannot be converted to DeleteOptions.*"Secret"/));
    const truncated = envelope('v1', 'DeleteOptions', bytesField(DO.policy, 'Background')).subarray(0, -3);
    assert.throws(() => decodeDeleteOptionsProtobuf(truncated), apiError(400, /error decoding/));
    assert.throws(
      () => decodeDeleteOptionsProtobuf(envelope('v1', 'DeleteOptions', varintField(DO.policy, 1))),
      apiError(400, /propagationPolicy \(4\) has wire type 0/),
    );
    assert.throws(() => decodeDeleteOptionsProtobuf(envelope('v1', 'DeleteOptions', [], bytesField(3, 'gzip'))), apiError(415, /contentEncoding "gzip"/));
  });
});

describe('readDeleteOptions', () => {
  const q = (s: string) => new URLSearchParams(s);
  const json = (o: unknown) => Buffer.from(JSON.stringify(o));
  const none = Buffer.alloc(0);

  it('reads the body when there is one (the query is then ignored), else the query', () => {
    assert.deepEqual(
      readDeleteOptions(
        json({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', extra: 1 }),
        'application/json',
        q('propagationPolicy=Orphan&dryRun=All'),
      ),
      { propagationPolicy: 'Background' },
    );
    assert.deepEqual(readDeleteOptions(none, '', q('propagationPolicy=Orphan&dryRun=All&gracePeriodSeconds=0')), {
      propagationPolicy: 'Orphan',
      dryRun: ['All'],
      gracePeriodSeconds: 0,
    });
    assert.deepEqual(
      readDeleteOptions(Buffer.from('\n'), 'application/json', q('orphanDependents=t')),
      { orphanDependents: true },
      'a bare newline is no body',
    );
    assert.deepEqual(readDeleteOptions(Buffer.from('preconditions:\n  uid: u\ndryRun: [All]\n'), 'application/yaml', q('')), {
      preconditions: { uid: 'u' },
      dryRun: ['All'],
    });
    assert.deepEqual(readDeleteOptions(envelope('v1', 'DeleteOptions', bytesField(DO.policy, 'Foreground')), 'application/vnd.kubernetes.protobuf', q('')), {
      propagationPolicy: 'Foreground',
    });
  });

  it('400 for bodies and parameters of the wrong shape, 415 for unknown media types', () => {
    assert.throws(() => readDeleteOptions(Buffer.from('{'), 'application/json', q('')), apiError(400, /error decoding DeleteOptions/));
    assert.throws(
      () => readDeleteOptions(json({ gracePeriodSeconds: '5' }), 'application/json', q('')),
      apiError(400, /cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64/),
    );
    assert.throws(() => readDeleteOptions(json({ preconditions: { uid: 7 } }), 'application/json', q('')), apiError(400, /preconditions.uid of type string/));
    assert.throws(() => readDeleteOptions(json({ kind: 'Secret' }), 'application/json', q('')), apiError(400, /cannot be converted to DeleteOptions/));
    assert.throws(() => readDeleteOptions(json([]), 'application/json', q('')), apiError(400, /cannot unmarshal array/));
    assert.throws(() => readDeleteOptions(none, '', q('gracePeriodSeconds=soon')), apiError(400, /strconv.ParseInt: parsing "soon"/));
    assert.throws(() => readDeleteOptions(none, '', q('orphanDependents=yes')), apiError(400, /strconv.ParseBool: parsing "yes"/));
    assert.throws(() => readDeleteOptions(Buffer.from('x'), 'text/plain', q('')), apiError(415, /unknown format.*application\/vnd.kubernetes.protobuf/));
  });

  it('422 like ValidateDeleteOptions', () => {
    assert.throws(
      () => readDeleteOptions(json({ propagationPolicy: 'Later' }), 'application/json', q('')),
      apiError(
        422,
        /^DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Later": supported values: "Foreground", "Background", "Orphan", "nil"$/,
      ),
    );
    assert.throws(
      () => readDeleteOptions(json({ propagationPolicy: 'Orphan', orphanDependents: true }), 'application/json', q('')),
      apiError(422, /orphanDependents and deletionPropagation cannot be both set/),
    );
    assert.throws(
      () => readDeleteOptions(envelope('v1', 'DeleteOptions', bytesField(DO.dryRun, 'Some')), 'application/vnd.kubernetes.protobuf', q('')),
      apiError(422, /dryRun: Unsupported value: \[\]string\{"Some"\}: supported values: "All"/),
    );
  });

  it("preconditions: uid first, then resourceVersion, in the real server's words", () => {
    const meta = { uid: 'u1', resourceVersion: '7' };
    assert.equal(failedPrecondition({}, meta), undefined);
    assert.equal(failedPrecondition({ preconditions: { uid: 'u1', resourceVersion: '7' } }, meta), undefined);
    assert.equal(failedPrecondition({ preconditions: { uid: 'u2' } }, meta), 'UID in precondition: u2, UID in object meta: u1');
    assert.equal(
      failedPrecondition({ preconditions: { resourceVersion: '6' } }, meta),
      'ResourceVersion in precondition: 6, ResourceVersion in object meta: 7',
    );
    assert.equal(
      failedPrecondition({ preconditions: { uid: '' } }, meta),
      'UID in precondition: , UID in object meta: u1',
      'a set but empty uid is still a precondition',
    );
  });
});

describe('DELETE with DeleteOptions over HTTPS', () => {
  let server: EmbeddedApiServer;
  let workDir: string;
  const SECRETS = '/api/v1/namespaces/default/secrets';

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'certgate-delete-options-'));
    server = await startApiServer({ dir: workDir, crdDir: null });
  });
  after(async () => {
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  function call(method: string, path: string, body?: Buffer, contentType = 'application/json'): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: `Bearer ${server.token}`, accept: 'application/json' };
      if (body) Object.assign(headers, { 'content-type': contentType, 'content-length': body.length }); // Node sends DELETE bodies only with a length
      const req = https.request(server.url + path, { method, ca: server.caPem, headers, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }
  const createSecret = async (name: string, extra: Record<string, unknown> = {}) => {
    const r = await call('POST', SECRETS, Buffer.from(JSON.stringify({ metadata: { name, labels: { set: 'http' }, ...extra }, stringData: { k: 'v' } })));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const exists = async (name: string) => (await call('GET', `${SECRETS}/${name}`)).status === 200;
  const protobufOptions = (raw: number[]) => envelope('v1', 'DeleteOptions', raw);
  const PB = 'application/vnd.kubernetes.protobuf';

  it('protobuf preconditions: 409 Conflict on a uid or resourceVersion mismatch, deletion when they hold', async () => {
    const secret = await createSecret('guarded');
    const wrongUid = await call('DELETE', `${SECRETS}/guarded`, protobufOptions(bytesField(DO.preconditions, bytesField(1, 'not-the-uid'))), PB);
    assert.equal(wrongUid.status, 409);
    assert.equal(wrongUid.body.reason, 'Conflict');
    assert.equal(
      wrongUid.body.message,
      `Operation cannot be fulfilled on secrets "guarded": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${secret.metadata.uid}`,
    );
    const staleRv = await call('DELETE', `${SECRETS}/guarded`, protobufOptions(bytesField(DO.preconditions, bytesField(2, '1'))), PB);
    assert.equal(staleRv.status, 409);
    assert.match(staleRv.body.message, new RegExp(`ResourceVersion in precondition: 1, ResourceVersion in object meta: ${secret.metadata.resourceVersion}$`));
    assert.ok(await exists('guarded'), 'kept after failed preconditions');
    const ok = await call(
      'DELETE',
      `${SECRETS}/guarded`,
      protobufOptions(bytesField(DO.preconditions, [...bytesField(1, secret.metadata.uid), ...bytesField(2, secret.metadata.resourceVersion)])),
      PB,
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.details.uid, secret.metadata.uid);
    assert.equal(await exists('guarded'), false);
  });

  it('dryRun in the body (protobuf or JSON, as kubectl --dry-run=server sends it) deletes nothing', async () => {
    await createSecret('dry');
    const pb = await call('DELETE', `${SECRETS}/dry`, protobufOptions([...varintField(DO.grace, 0), ...bytesField(DO.dryRun, 'All')]), PB);
    assert.equal(pb.status, 200, JSON.stringify(pb.body));
    const js = await call('DELETE', `${SECRETS}/dry`, Buffer.from(JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] })));
    assert.equal(js.status, 200, JSON.stringify(js.body));
    assert.ok(await exists('dry'));
    const real = await call('DELETE', `${SECRETS}/dry`, protobufOptions(varintField(DO.grace, 0)), PB);
    assert.equal(real.status, 200);
    assert.equal(await exists('dry'), false, 'gracePeriodSeconds=0: gone at once');
  });

  it('propagationPolicy Orphan from a protobuf body keeps the dependents', async () => {
    const owner = await createSecret('owner');
    await createSecret('dependent', { ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'owner', uid: owner.metadata.uid }] });
    const r = await call('DELETE', `${SECRETS}/owner`, protobufOptions(bytesField(DO.policy, 'Orphan')), PB);
    assert.equal(r.status, 200);
    const dependent = await call('GET', `${SECRETS}/dependent`);
    assert.equal(dependent.status, 200, 'not garbage-collected');
    assert.equal(dependent.body.metadata.ownerReferences, undefined);
  });

  it("deletecollection honours the body's options; bad bodies get 400, 415 and 422", async () => {
    await createSecret('c1');
    await createSecret('c2');
    const dry = await call('DELETE', `${SECRETS}?labelSelector=set%3Dhttp`, protobufOptions(bytesField(DO.dryRun, 'All')), PB);
    assert.equal(dry.status, 200);
    assert.ok((await exists('c1')) && (await exists('c2')), 'dry run kept both');
    const all = await call('DELETE', `${SECRETS}?labelSelector=set%3Dhttp`, protobufOptions([]), PB);
    assert.deepEqual(all.body.items.map((s: any) => s.metadata.name).sort(), ['c1', 'c2', 'dependent']);
    assert.equal((await exists('c1')) || (await exists('c2')), false);

    await createSecret('target');
    const garbage = await call('DELETE', `${SECRETS}/target`, Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x7f]), PB);
    assert.equal(garbage.status, 400, JSON.stringify(garbage.body));
    assert.equal(garbage.body.reason, 'BadRequest');
    const text = await call('DELETE', `${SECRETS}/target`, Buffer.from('propagationPolicy=Orphan'), 'text/plain');
    assert.equal(text.status, 415);
    const invalidPolicy = await call('DELETE', `${SECRETS}/target`, protobufOptions(bytesField(DO.policy, 'Later')), PB);
    assert.equal(invalidPolicy.status, 422);
    assert.equal(invalidPolicy.body.details.kind, 'DeleteOptions');
    assert.ok(await exists('target'), 'nothing deleted by rejected requests');
  });
});
