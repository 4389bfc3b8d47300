import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterIssuer, Issuer } from '../../api/types.generated.ts';
import { createWorkerMetrics } from './worker.ts';

const issuer = (name: string, ready?: 'True' | 'False'): Issuer => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Issuer',
  metadata: { name, namespace: 'apps' },
  spec: { selfSigned: {} },
  status: ready ? { conditions: [{ type: 'Ready', status: ready }] } : undefined,
});

const clusterIssuer = (name: string, ready: 'True' | 'False'): ClusterIssuer => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'ClusterIssuer',
  metadata: { name },
  spec: { ca: { secretName: 'ca' } },
  status: { conditions: [{ type: 'Ready', status: ready }] },
});

const series = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('certgate_issuer_ready_status{'))
    .sort();

describe('issuer metrics', () => {
  it('one series per condition with the labels the CertgateIssuerNotReady alert uses; removed on forget', async () => {
    const m = createWorkerMetrics();
    m.issuers.observe('Issuer', issuer('shop-ca', 'True'));
    m.issuers.observe('ClusterIssuer', clusterIssuer('letsencrypt', 'False'));
    m.issuers.observe('Issuer', issuer('fresh'));
    assert.deepEqual(series(await m.registry.metrics()), [
      'certgate_issuer_ready_status{name="fresh",namespace="apps",kind="Issuer",condition="False"} 0',
      'certgate_issuer_ready_status{name="fresh",namespace="apps",kind="Issuer",condition="True"} 0',
      'certgate_issuer_ready_status{name="fresh",namespace="apps",kind="Issuer",condition="Unknown"} 1',
      'certgate_issuer_ready_status{name="letsencrypt",namespace="",kind="ClusterIssuer",condition="False"} 1',
      'certgate_issuer_ready_status{name="letsencrypt",namespace="",kind="ClusterIssuer",condition="True"} 0',
      'certgate_issuer_ready_status{name="letsencrypt",namespace="",kind="ClusterIssuer",condition="Unknown"} 0',
      'certgate_issuer_ready_status{name="shop-ca",namespace="apps",kind="Issuer",condition="False"} 0',
      'certgate_issuer_ready_status{name="shop-ca",namespace="apps",kind="Issuer",condition="True"} 1',
      'certgate_issuer_ready_status{name="shop-ca",namespace="apps",kind="Issuer",condition="Unknown"} 0',
    ]);

    m.issuers.observe('ClusterIssuer', clusterIssuer('letsencrypt', 'True')); // recovered
    m.issuers.forget('Issuer', 'apps', 'shop-ca');
    m.issuers.forget('Issuer', 'apps', 'fresh');
    assert.deepEqual(series(await m.registry.metrics()), [
      'certgate_issuer_ready_status{name="letsencrypt",namespace="",kind="ClusterIssuer",condition="False"} 0',
      'certgate_issuer_ready_status{name="letsencrypt",namespace="",kind="ClusterIssuer",condition="True"} 1',
      'certgate_issuer_ready_status{name="letsencrypt",namespace="",kind="ClusterIssuer",condition="Unknown"} 0',
    ]);

    m.issuers.forget('ClusterIssuer', undefined, 'letsencrypt');
    m.issuers.forget('Issuer', 'apps', 'never-seen'); // harmless
    assert.deepEqual(series(await m.registry.metrics()), []);
  });
});
