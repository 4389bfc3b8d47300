// cert-manager's re-issuance and Secret upkeep, end to end with the real worker on the API server:
// a duration change and a Secret issued for another Certificate re-issue; the fao label, the
// cert-manager.io/* detail annotations and the secretTemplate are put back without re-issuing;
// cert-manager.io/issue-temporary-certificate puts a temporary certificate in the Secret while the
// real one cannot be issued.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate, CertificateRequest } from '../../api/types.generated.ts';
import { inspectCertificate } from '../../lib/pki/index.ts';
import { runName } from './cluster.ts';
import { readPair, useSelfSignedFleet } from './issuance-helpers.ts';
import { certificate, waitFor } from '../fixtures.ts';

const NS = runName('upkeep-e2e');
const HOUR = 3_600_000;

describe('re-issuance and Secret upkeep', { timeout: 180_000 }, () => {
  const fleet = useSelfSignedFleet(NS, ['--no-leader-elect']);

  const client = () => fleet().client;
  const getCert = (name: string) => client().get<Certificate>(Resources.Certificate, NS, name);
  const getSecret = (name: string) => client().get<V1Secret>(Resources.Secret, NS, name);
  const ready = (c: Certificate | undefined) => c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
  const serialOf = (s: V1Secret | undefined) => (s ? inspectCertificate(readPair(s).certificatePem).serialNumber : undefined);

  async function create(name: string, spec: Partial<Certificate['spec']> = {}, annotations?: Record<string, string>) {
    await client().create(Resources.Certificate, certificate(NS, name, spec, { annotations }));
  }

  /** Ready at `revision`, with status describing the certificate now in the Secret; returns that Secret. */
  async function readyAt(name: string, revision: number): Promise<V1Secret> {
    return waitFor(
      `${name} Ready at revision ${revision}`,
      async () => {
        const cert = await getCert(name);
        if (!ready(cert) || cert!.status?.revision !== revision) return undefined;
        const s = await getSecret(`${name}-tls`);
        return s && new Date(inspectCertificate(readPair(s).certificatePem).notAfter).toISOString() === new Date(cert!.status!.notAfter!).toISOString()
          ? s
          : undefined;
      },
      30_000,
    );
  }

  const requestsOf = async (name: string) =>
    (await client().list<CertificateRequest>(Resources.CertificateRequest, { namespace: NS })).items.filter((cr) =>
      cr.metadata.ownerReferences?.some((o) => o.name === name),
    );

  test('a duration change re-issues with the new lifetime', async () => {
    await create('duration', { duration: '24h' });
    await readyAt('duration', 1);
    await client().patch(Resources.Certificate, NS, 'duration', { spec: { duration: '48h' } });
    const info = inspectCertificate(readPair(await readyAt('duration', 2)).certificatePem);
    assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 48 * HOUR);
  });

  test('a Secret whose certificate-name annotation names another Certificate is re-issued', async () => {
    await create('named');
    const before = serialOf(await readyAt('named', 1));
    await client().patch(Resources.Secret, NS, 'named-tls', { metadata: { annotations: { 'cert-manager.io/certificate-name': 'someone-else' } } });
    const after = await readyAt('named', 2);
    assert.equal(after.metadata?.annotations?.['cert-manager.io/certificate-name'], 'named');
    assert.notEqual(serialOf(after), before, 'a new certificate');
  });

  test('the fao label and detail annotations are put back without re-issuing', async () => {
    await create('labels');
    const first = await readyAt('labels', 1);
    const serial = serialOf(first);
    await client().patch(Resources.Secret, NS, 'labels-tls', {
      metadata: {
        labels: { 'controller.cert-manager.io/fao': null },
        annotations: { 'cert-manager.io/alt-names': 'evil.example.test', 'cert-manager.io/common-name': null, 'cert-manager.io/certificate-name': null },
      },
    });
    const restored = await waitFor('label and annotations put back', async () => {
      const s = await getSecret('labels-tls');
      const a = s?.metadata?.annotations ?? {};
      return s?.metadata?.labels?.['controller.cert-manager.io/fao'] === 'true' &&
        a['cert-manager.io/alt-names'] === 'labels.example.test' &&
        a['cert-manager.io/common-name'] === '' &&
        a['cert-manager.io/certificate-name'] === 'labels'
        ? s
        : undefined;
    });
    assert.equal(serialOf(restored), serial, 'same certificate');
    assert.equal((await getCert('labels'))?.status?.revision, 1, 'not re-issued');
    assert.equal((await requestsOf('labels')).length, 1, 'no new CertificateRequest');
  });

  test('a secretTemplate change reaches the existing Secret without re-issuing', async () => {
    await create('template', { secretTemplate: { labels: { team: 'a' }, annotations: { 'reflector.v1.k8s.emberstack.com/reflection-allowed': 'false' } } });
    const serial = serialOf(await readyAt('template', 1));
    await client().patch(Resources.Certificate, NS, 'template', {
      spec: { secretTemplate: { labels: { team: 'b', tier: 'web' }, annotations: { 'reflector.v1.k8s.emberstack.com/reflection-allowed': 'true' } } },
    });
    const updated = await waitFor('template applied', async () => {
      const s = await getSecret('template-tls');
      return s?.metadata?.labels?.team === 'b' &&
        s.metadata.labels.tier === 'web' &&
        s.metadata.annotations?.['reflector.v1.k8s.emberstack.com/reflection-allowed'] === 'true'
        ? s
        : undefined;
    });
    assert.equal(serialOf(updated), serial, 'same certificate');
    assert.equal((await getCert('template'))?.status?.revision, 1, 'not re-issued');
  });

  test('issue-temporary-certificate: a temporary certificate for the names while the issuer cannot sign', async () => {
    // A CA issuer whose CA Secret does not exist never becomes Ready, so the request stays pending.
    await client().create(Resources.Issuer, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'no-ca', namespace: NS },
      spec: { ca: { secretName: 'missing-ca' } },
    } as KubernetesObject);
    await create('temporary', { issuerRef: { name: 'no-ca' } }, { 'cert-manager.io/issue-temporary-certificate': 'true' });
    const secret = await waitFor('temporary certificate in the Secret', () => getSecret('temporary-tls'));
    const pair = readPair(secret);
    assert.deepEqual(inspectCertificate(pair.certificatePem).names.dnsNames, ['temporary.example.test']);
    assert.ok(pair.chain[0].checkPrivateKey((await import('node:crypto')).createPrivateKey(pair.keyPem)), 'key matches');
    assert.equal(secret.metadata?.annotations?.['cert-manager.io/issuer-name'], undefined, 'not taken for an issued certificate');
    const cert = await waitFor('Certificate says it is not Ready', async () => {
      const c = await getCert('temporary');
      return c?.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'False') ? c : undefined;
    });
    assert.equal(cert.status?.revision, undefined, 'nothing issued');
  });
});
