// Table-driven tests of the embedded server's pure parts: patches, selectors, structural schema
// handling and printer-column JSONPath. The HTTP behaviour is covered by test/apiserver/conformance.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import { matchFields, matchLabels, matchLabelSelectorObject, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { applyDefaults, pruneUnknown, validate, type StructuralSchema } from './schema-validate.ts';
import { age, evalJsonPath } from './table.ts';
import { compareKubeVersions } from './registry.ts';
import { Storage } from './storage.ts';

describe('patches', () => {
  it('merge patch (RFC 7386): null deletes, objects merge, arrays replace', () => {
    assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1, 2] }, { a: null, b: { c: 5 }, l: [3] }), { b: { c: 5, d: 3 }, l: [3] });
  });

  it('JSON patch (RFC 6902) ops, escapes, append, and a failing test op', () => {
    const doc = { metadata: { annotations: { 'a/b': 'x' } }, list: [1, 2] };
    const out = jsonPatch(doc, [
      { op: 'replace', path: '/metadata/annotations/a~1b', value: 'y' },
      { op: 'add', path: '/list/-', value: 3 },
      { op: 'add', path: '/list/0', value: 0 },
      { op: 'remove', path: '/list/1' },
      { op: 'copy', from: '/list/0', path: '/first' },
      { op: 'move', from: '/first', path: '/moved' },
      { op: 'test', path: '/moved', value: 0 },
    ]);
    assert.deepEqual(out, { metadata: { annotations: { 'a/b': 'y' } }, list: [0, 2, 3], moved: 0 });
    assert.deepEqual(doc.list, [1, 2], 'input untouched');
    assert.throws(() => jsonPatch(doc, [{ op: 'test', path: '/list/0', value: 9 }]), /test failed/);
    assert.throws(() => jsonPatch(doc, [{ op: 'remove', path: '/nope' }]), /missing/);
  });

  it('strategic merge patch: merge keys, $patch delete/replace, primitive merge, element order, retainKeys', () => {
    const pod = {
      spec: {
        containers: [
          { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] },
          { name: 'b', image: 'b:1' },
        ],
        volumes: [{ name: 'v' }],
      },
      metadata: { finalizers: ['f1'] },
    };
    const out = strategicMergePatch('Pod', pod, {
      metadata: { finalizers: ['f2'] },
      spec: {
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }],
        containers: [
          { name: 'a', image: 'a:2', env: [{ name: 'Y', value: '2' }] },
          { name: 'b', $patch: 'delete' },
          { name: 'c', image: 'c:1' },
        ],
        volumes: [{ $patch: 'replace' }, { name: 'w' }],
      },
    });
    assert.deepEqual(out.metadata.finalizers, ['f1', 'f2']);
    assert.deepEqual(
      out.spec.containers.map((c: any) => `${c.name}=${c.image}`),
      ['a=a:2', 'c=c:1'],
    );
    assert.deepEqual(
      out.spec.containers[0].env.map((e: any) => e.name),
      ['X', 'Y'],
    );
    assert.deepEqual(out.spec.volumes, [{ name: 'w' }]);
    const ingress = { spec: { rules: [{ host: 'a' }, { host: 'b' }] } };
    assert.deepEqual(
      strategicMergePatch('Ingress', ingress, { spec: { rules: [{ host: 'c' }] } }).spec.rules,
      [{ host: 'c' }],
      'lists without a merge key are replaced',
    );
    assert.deepEqual(
      strategicMergePatch('Pod', { metadata: { finalizers: ['a', 'b'] } }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }).metadata.finalizers,
      ['b'],
    );
    assert.deepEqual(
      strategicMergePatch(
        'Deployment',
        { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
        { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      ).spec.strategy,
      { type: 'Recreate' },
    );
  });
});

describe('selectors', () => {
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['app=web', { app: 'web' }, true],
    ['app==web', { app: 'db' }, false],
    ['app!=web', {}, true],
    ['app in (web, db)', { app: 'db' }, true],
    ['app notin (web)', { app: 'web' }, false],
    ['app', { app: '' }, true],
    ['!app', { app: 'x' }, false],
    ['app=web,tier in (a,b),!legacy', { app: 'web', tier: 'b' }, true],
    ['', { anything: 'x' }, true],
  ];
  for (const [sel, labels, want] of cases)
    it(`label selector "${sel}" on ${JSON.stringify(labels)} is ${want}`, () => assert.equal(matchLabels(parseLabelSelector(sel), labels), want));

  it('rejects malformed label selectors and unsupported field selectors', () => {
    assert.throws(() => parseLabelSelector('app=(x'), /unable to parse requirement/);
    assert.throws(() => parseFieldSelector('spec.foo=x', 'ConfigMap'), /field label not supported: spec.foo/);
    assert.throws(() => parseFieldSelector('type=x', 'ConfigMap'), /field label not supported: type/);
  });

  it('field selectors on metadata and Secret type', () => {
    const s = { metadata: { name: 'a', namespace: 'ns' }, type: 'kubernetes.io/tls' };
    assert.equal(matchFields(parseFieldSelector('metadata.name=a,metadata.namespace!=other,type=kubernetes.io/tls', 'Secret'), s), true);
    assert.equal(matchFields(parseFieldSelector('metadata.name==b', 'Secret'), s), false);
  });

  it('metav1.LabelSelector objects (webhook namespaceSelector/objectSelector)', () => {
    const sel = {
      matchLabels: { env: 'prod' },
      matchExpressions: [
        { key: 'skip', operator: 'DoesNotExist' },
        { key: 'team', operator: 'In', values: ['a', 'b'] },
      ],
    };
    assert.equal(matchLabelSelectorObject(sel, { env: 'prod', team: 'a' }), true);
    assert.equal(matchLabelSelectorObject(sel, { env: 'prod', team: 'a', skip: '1' }), false);
    assert.equal(matchLabelSelectorObject(undefined, {}), true);
  });
});

describe('structural schema', () => {
  const schema: StructuralSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 2, maxLength: 5 },
          mode: { type: 'string', default: 'auto' },
          n: { type: 'integer', minimum: 1, exclusiveMaximum: true, maximum: 3 },
          when: { type: 'string', format: 'date-time' },
          tags: { type: 'array', items: { type: 'string' }, minItems: 1, 'x-kubernetes-list-type': 'set' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          nested: { type: 'object', properties: { keep: { type: 'boolean', default: true } } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  };

  it('prunes unknown fields (reporting their paths) but keeps preserved subtrees and map values', () => {
    const obj: any = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a', bogus: 1 },
      spec: { name: 'ab', extra: 1, labels: { a: 'b' }, free: { z: 1 }, tags: ['a'], nested: { y: 2 } },
      top: 1,
    };
    assert.deepEqual(pruneUnknown(schema, obj).sort(), ['metadata.bogus', 'spec.extra', 'spec.nested.y', 'top']);
    assert.deepEqual(obj.spec, { name: 'ab', labels: { a: 'b' }, free: { z: 1 }, tags: ['a'], nested: {} });
  });

  it('applies defaults inside present objects only', () => {
    const obj: any = { spec: { name: 'ab', nested: {} } };
    applyDefaults(schema, obj);
    assert.deepEqual(obj.spec, { name: 'ab', mode: 'auto', nested: { keep: true } });
  });

  it('reports violations with the real field paths and reasons', () => {
    const causes = validate(schema, { spec: { name: 'a', n: 3, when: 'yesterday', tags: ['x', 'x'], labels: { a: 1 } } }, '');
    const got = causes.map((c) => `${c.field} ${c.reason}`).sort();
    assert.deepEqual(got, [
      'spec.labels.a FieldValueTypeInvalid',
      'spec.n FieldValueInvalid',
      'spec.name FieldValueInvalid',
      'spec.tags[1] FieldValueDuplicate',
      'spec.when FieldValueInvalid',
    ]);
    assert.equal(causes.find((c) => c.field === 'spec.n')!.message, 'Invalid value: 3: spec.n in body should be less than 3');
    assert.equal(validate(schema, { spec: {} }, '')[0].message, 'Required value');
    assert.equal(validate(schema, { spec: { name: 'toolong' } }, '')[0].message, 'Too long: may not be more than 5 bytes');
  });
});

describe('printing and versions', () => {
  it('evaluates printer-column JSONPath', () => {
    const o = {
      status: {
        conditions: [
          { type: 'Issuing', status: 'False' },
          { type: 'Ready', status: 'True', message: 'ok' },
        ],
      },
      spec: { dnsNames: ['a', 'b'] },
    };
    assert.deepEqual(evalJsonPath(o, '.status.conditions[?(@.type=="Ready")].status'), ['True']);
    assert.deepEqual(evalJsonPath(o, '{.spec.dnsNames[*]}'), ['a', 'b']);
    assert.deepEqual(evalJsonPath(o, '.spec.dnsNames[-1]'), ['b']);
    assert.deepEqual(evalJsonPath(o, '.spec.missing'), []);
  });

  it('formats ages like kubectl', () => {
    const now = Date.parse('2026-01-10T00:00:00Z');
    const at = (s: number) => new Date(now - s * 1000).toISOString();
    assert.deepEqual(
      [5, 119, 150, 3600 * 3 + 60, 3600 * 30, 86400 * 3 + 3600, 86400 * 30].map((s) => age(at(s), now)),
      ['5s', '119s', '2m30s', '3h1m', '30h', '3d1h', '30d'],
    );
  });

  it('orders API versions like Kubernetes', () => {
    assert.deepEqual(['v1beta1', 'v1alpha1', 'v2', 'v1', 'v1beta2'].sort(compareKubeVersions), ['v2', 'v1', 'v1beta2', 'v1beta1', 'v1alpha1']);
  });
});

describe('storage', () => {
  it('counts resourceVersions globally, keeps a bounded history and reconstructs past lists', () => {
    const s = new Storage(3);
    const a = s.put('/configmaps', { metadata: { name: 'a', namespace: 'n' } });
    const afterA = Number(a.metadata.resourceVersion);
    s.put('/secrets', { metadata: { name: 's', namespace: 'n' } });
    s.put('/configmaps', { metadata: { name: 'a', namespace: 'n' }, data: { x: '1' } });
    s.remove('/configmaps', 'n', 'a');
    assert.deepEqual(
      (s.eventsSince('/configmaps', afterA) as any[]).map((e) => e.type),
      ['MODIFIED', 'DELETED'],
    );
    assert.deepEqual(
      (s.listAt('/configmaps', afterA) as any[]).map((o) => o.data),
      [undefined],
    );
    s.put('/configmaps', { metadata: { name: 'b', namespace: 'n' } });
    assert.equal(s.eventsSince('/configmaps', afterA), 'expired', 'history window of 3 no longer reaches back');
  });
});
