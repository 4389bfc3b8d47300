import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecretWriterIndex } from './secret-index.ts';

const ing = (name: string, secrets: string[], annotated = true): any => ({
  metadata: { name, namespace: 'ns', annotations: annotated ? { 'cert-manager.io/cluster-issuer': 'le' } : {} },
  spec: { tls: secrets.map((secretName) => ({ hosts: ['a.example.com'], secretName })) },
});

test('secret writer index follows adds, updates and deletes', () => {
  const index = new SecretWriterIndex('Ingress');
  index.upsert(ing('a', ['s1', 's2']));
  index.upsert(ing('b', ['s1']));
  index.upsert(ing('plain', ['s1'], false));
  assert.deepEqual(
    index.writers('ns', 's1').map((w) => w.name),
    ['a', 'b'],
    'Ingresses without an issuer annotation write nothing',
  );
  index.upsert(ing('a', ['s3']));
  assert.deepEqual(index.writers('ns', 's2'), []);
  assert.deepEqual(
    index.writers('ns', 's3').map((w) => w.name),
    ['a'],
  );
  index.remove(ing('b', []));
  assert.deepEqual(index.writers('ns', 's1'), []);
  assert.deepEqual(index.writers('other', 's3'), []);
});
