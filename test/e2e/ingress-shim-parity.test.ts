// The ingress shim's cert-manager behaviour with the real worker on the API server, through to the
// issued Secret: IPs in tls.hosts and cert-manager.io/ip-sans as IP SANs, alt-names as DNS names,
// secret-template on the Secret, a tls entry without hosts skipped while the others are issued,
// labels reset to the Ingress's without the applyset label, and a Certificate not owned by the
// Ingress left alone. The ported decision table: worker/ingress-shim/cert-manager-sync.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Ingress, V1Secret } from '@kubernetes/client-node';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import { inspectCertificate } from '../../lib/pki/index.ts';
import { runName } from './cluster.ts';
import { readPair, useSelfSignedFleet } from './issuance-helpers.ts';
import { waitFor } from '../fixtures.ts';

const NS = runName('shim-parity-e2e');

describe('ingress shim as cert-manager, end to end', { timeout: 240_000 }, () => {
  const fleet = useSelfSignedFleet(NS, ['--no-leader-elect']);
  const client = () => fleet().client;
  const events = async (about: string) =>
    (
      await client().list<KubernetesObject & { involvedObject?: { name?: string }; reason?: string; message?: string }>(Resources.Event, { namespace: NS })
    ).items.filter((e) => e.involvedObject?.name === about);

  test('IPs, alt-names, ip-sans and secret-template reach the Secret; an entry without hosts is skipped', async () => {
    const ingress: V1Ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'shop',
        namespace: NS,
        labels: { team: 'shop', 'applyset.kubernetes.io/part-of': 'applyset-x' },
        annotations: {
          'cert-manager.io/issuer': 'selfsigned',
          'cert-manager.io/alt-names': 'alt.example.test',
          'cert-manager.io/ip-sans': '192.0.2.10',
          'cert-manager.io/secret-template': '{"labels":{"reflect":"yes"},"annotations":{"replicator.v1.mittwald.de/replicate-to":"apps"}}',
        },
      },
      spec: {
        tls: [{ secretName: 'no-hosts-tls' }, { hosts: ['shop.example.test', '192.0.2.1'], secretName: 'shop-tls' }],
        rules: [
          { host: 'shop.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'shop', port: { number: 80 } } } }] } },
        ],
      },
    };
    await client().create(Resources.Ingress, ingress);
    const cert = await waitFor('Certificate shop-tls', () => client().get<Certificate>(Resources.Certificate, NS, 'shop-tls'));
    assert.deepEqual(cert.spec.dnsNames, ['shop.example.test', 'alt.example.test']);
    assert.deepEqual(cert.spec.ipAddresses, ['192.0.2.1', '192.0.2.10']);
    assert.deepEqual(cert.metadata.labels, { team: 'shop' }, 'labels copied, the applyset label not');
    const secret = await waitFor('Secret shop-tls issued', () => client().get<V1Secret>(Resources.Secret, NS, 'shop-tls'));
    const names = inspectCertificate(readPair(secret).certificatePem).names;
    assert.deepEqual([...names.dnsNames].sort(), ['alt.example.test', 'shop.example.test']);
    assert.deepEqual([...names.ipAddresses].sort(), ['192.0.2.1', '192.0.2.10']);
    assert.equal(secret.metadata?.labels?.reflect, 'yes');
    assert.equal(secret.metadata?.annotations?.['replicator.v1.mittwald.de/replicate-to'], 'apps');
    assert.equal(await client().get<Certificate>(Resources.Certificate, NS, 'no-hosts-tls'), undefined, 'the entry without hosts made no Certificate');
    await waitFor('BadConfig Warning for the skipped entry', async () =>
      (await events('shop')).some((e) => e.reason === 'BadConfig' && e.message === 'Skipped a TLS block: spec.tls[0].hosts: Required value'),
    );
  });

  test("labels edited on the Certificate are reset to the Ingress's", async () => {
    await client().patch(Resources.Certificate, NS, 'shop-tls', { metadata: { labels: { team: 'someone-else', extra: 'x' } } });
    await waitFor('labels reset', async () => {
      const c = await client().get<Certificate>(Resources.Certificate, NS, 'shop-tls');
      return JSON.stringify(c?.metadata.labels) === JSON.stringify({ team: 'shop' });
    });
  });

  test('a Certificate not owned by the Ingress is left alone, and the Ingress says so', async () => {
    const mine: Certificate = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'hand-tls', namespace: NS },
      spec: { secretName: 'hand-tls', dnsNames: ['hand.example.test'], issuerRef: { name: 'selfsigned' } },
    };
    await client().create(Resources.Certificate, mine);
    await client().create(Resources.Ingress, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'takeover', namespace: NS, annotations: { 'cert-manager.io/issuer': 'selfsigned' } },
      spec: {
        tls: [{ hosts: ['other.example.test'], secretName: 'hand-tls' }],
        rules: [
          { host: 'other.example.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'o', port: { number: 80 } } } }] } },
        ],
      },
    } as V1Ingress);
    await waitFor('BadConfig Warning on the Ingress', async () =>
      (await events('takeover')).some((e) => e.reason === 'BadConfig' && /not owned by this Ingress; leaving it alone/.test(e.message ?? '')),
    );
    const after = await client().get<Certificate>(Resources.Certificate, NS, 'hand-tls');
    assert.deepEqual(after?.spec.dnsNames, ['hand.example.test'], 'spec unchanged');
    assert.equal(after?.metadata.ownerReferences, undefined, 'not taken over');
  });
});
