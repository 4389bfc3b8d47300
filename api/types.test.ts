// Golden check: api/types.generated.ts is exactly what scripts/gen-api-types.ts makes from the CRDs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadCrds } from './crds.test-support.ts';
import { generateGatewayApiTypes, generateTypes, GATEWAY_GENERATED_PATH, GENERATED_PATH } from '../scripts/gen-api-types.ts';
import { gatewayApiCrds } from '../test/gateway-api/install.ts';
import type { Certificate, ClusterIssuer } from './types.generated.ts';

describe('api/types.generated.ts', () => {
  it('is up to date with charts/certgate/crds (run: npx tsx scripts/gen-api-types.ts)', () => {
    assert.equal(readFileSync(GENERATED_PATH, 'utf8'), generateTypes(loadCrds()));
  });

  it('api/gateway-api.generated.ts is up to date with test/gateway-api/crds (run: npx tsx scripts/gen-api-types.ts)', () => {
    assert.equal(readFileSync(GATEWAY_GENERATED_PATH, 'utf8'), generateGatewayApiTypes(gatewayApiCrds()));
  });

  it('changes when a CRD gains a field', () => {
    const crds = loadCrds();
    const spec = crds[0]!.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
    spec.properties!.brandNewField = { type: 'string', description: 'Added by the test.' };
    const text = generateTypes(crds);
    assert.notEqual(text, generateTypes(loadCrds()));
    assert.match(text, /\/\*\* Added by the test\. \*\/\n {2}brandNewField\?: string;/);
  });

  it('refuses two different shapes under one type name', () => {
    const crds = loadCrds();
    const cluster = crds.find((c) => c.spec.names.kind === 'ClusterIssuer')!;
    cluster.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!.extra = { type: 'string' };
    assert.throws(() => generateTypes(crds), /IssuerSpec is already declared with a different shape/);
  });

  it('types the example manifests (checked by tsc)', () => {
    const cert: Certificate = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'www', namespace: 'default' },
      spec: {
        secretName: 'www-tls',
        dnsNames: ['www.example.com'],
        issuerRef: { name: 'le', kind: 'ClusterIssuer' },
        privateKey: { algorithm: 'ECDSA' },
        usages: ['server auth'],
      },
    };
    const issuer: ClusterIssuer = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'ClusterIssuer',
      metadata: { name: 'le' },
      spec: {
        acme: {
          server: 'https://acme.example/dir',
          privateKeySecretRef: { name: 'le-key' },
          solvers: [{ http01: { ingress: { ingressClassName: 'nginx' } } }],
        },
      },
    };
    assert.equal(cert.spec.issuerRef.name, issuer.metadata.name);
  });
});
