// cert-manager's TestBuildAnnotationsToCopy cases (pkg/controller/util_test.go), and its default list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationsToCopy, DEFAULT_COPIED_ANNOTATION_PREFIXES } from './copied-annotations.ts';

const cases: Array<[string, Record<string, string>, string[], Record<string, string>]> = [
  ['no annotations should be copied', { foo: 'bar', bar: 'bat' }, [], {}],
  ['all annotations should be copied', { foo: 'bar', bar: 'bat' }, ['*'], { foo: 'bar', bar: 'bat' }],
  [
    'all except some should be copied',
    { foo: 'bar', 'foo.io/thing': 'bar', 'foo.io/anotherthing': 'bat', bar: 'bat' },
    ['*', '-foo.io/'],
    { foo: 'bar', bar: 'bat' },
  ],
  [
    'only some should be copied',
    { foo: 'bar', 'foo.io/thing': 'bar', 'foo.io/anotherthing': 'bat', bar: 'bat' },
    ['foo.io/'],
    { 'foo.io/thing': 'bar', 'foo.io/anotherthing': 'bat' },
  ],
  ['some annotations have been specified, but none found on the cert', {}, ['*', '-foo.io/'], {}],
  [
    "the default: everything but kubectl's, Flux's and Argo CD's",
    {
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'fluxcd.io/sync-checksum': 'abc',
      'argocd.argoproj.io/sync-wave': '1',
      'acme.cert-manager.io/http01-override-ingress-name': 'shop',
      'example.com/team': 'a',
    },
    [...DEFAULT_COPIED_ANNOTATION_PREFIXES],
    { 'acme.cert-manager.io/http01-override-ingress-name': 'shop', 'example.com/team': 'a' },
  ],
];

for (const [name, all, prefixes, want] of cases) test(name, () => assert.deepEqual(annotationsToCopy(all, prefixes), want));
