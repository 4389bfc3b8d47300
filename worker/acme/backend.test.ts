import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOrder } from './backend.ts';
import { makeCsr } from '../../test/e2e/acme-harness.ts';
import type { CertificateRequest } from '../../api/types.generated.ts';

const cr = (csrPem: string, extra: Partial<CertificateRequest['metadata']> = {}): CertificateRequest => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'CertificateRequest',
  metadata: { name: 'web-1', namespace: 'shop', uid: 'uid-1', ...extra },
  spec: { request: Buffer.from(csrPem).toString('base64'), issuerRef: { name: 'le', kind: 'Issuer', group: 'cert-manager.io' }, duration: '2160h' },
});

test('buildOrder: names from the CSR, owner, copied labels and ACME annotations, deterministic name', async () => {
  const { csrPem } = await makeCsr(['www.example.test', 'Api.example.test']);
  const order = buildOrder(
    cr(csrPem, { labels: { team: 'a' }, annotations: { 'acme.cert-manager.io/http01-override-ingress-name': 'shop', 'other/x': 'y' } }),
    'tlsserver',
  );
  assert.deepEqual(order.spec.dnsNames, ['api.example.test', 'www.example.test']);
  assert.equal(order.spec.commonName, 'www.example.test');
  assert.equal(order.spec.duration, '2160h');
  assert.equal(order.spec.profile, 'tlsserver');
  assert.deepEqual(order.metadata.labels, { team: 'a' });
  assert.deepEqual(order.metadata.annotations, { 'acme.cert-manager.io/http01-override-ingress-name': 'shop' });
  assert.deepEqual(order.metadata.ownerReferences?.[0], {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    name: 'web-1',
    uid: 'uid-1',
    controller: true,
    blockOwnerDeletion: true,
  });
  assert.match(order.metadata.name!, /^web-1-[0-9a-f]{10}$/);
  assert.equal(buildOrder(cr(csrPem), 'tlsserver').metadata.name, order.metadata.name, 'same request, same Order name');
  const other = await makeCsr(['other.example.test']);
  assert.notEqual(buildOrder(cr(other.csrPem)).metadata.name, order.metadata.name, 'a different request gets another Order');
});

test('buildOrder: a request that is not a CSR is rejected clearly', () => {
  assert.throws(() => buildOrder(cr('not a csr')));
});

test('buildOrder: a commonName missing from the SANs is refused before any order is made', async () => {
  const { key } = await makeCsr(['example.test']);
  const { createCsr } = await import('../../lib/pki/index.ts');
  const csr = await createCsr(key, { commonName: 'www.example.test', dnsNames: ['example.test'] });
  assert.throws(
    () => buildOrder(cr(csr)),
    /the commonName "www\.example\.test" is not among the request's dnsNames or ipAddresses, and an ACME CA refuses such a request at finalize; add it to spec\.dnsNames or drop commonName/,
  );
  const among = await createCsr(key, { commonName: 'www.example.test', dnsNames: ['example.test', 'www.example.test'] });
  assert.deepEqual(buildOrder(cr(among)).spec.dnsNames, ['example.test', 'www.example.test']);
});
