// `certgate create certificaterequest` reads a Certificate manifest from a file: key names every
// plain object answers ("__proto__", "constructor") get the same clear refusal as any unknown name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRequest, parseCertificateManifest } from './create-request.ts';

const manifest = (privateKey: string) => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web}
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  issuerRef: {name: ca}
  privateKey: ${privateKey}
`;

for (const [privateKey, message] of [
  ['{algorithm: "__proto__"}', /unsupported private key algorithm "__proto__": use RSA, ECDSA or Ed25519/],
  ['{algorithm: constructor}', /unsupported private key algorithm "constructor": use RSA, ECDSA or Ed25519/],
  ['{algorithm: ECDSA, size: constructor}', /unsupported ECDSA key size constructor: use 256, 384 or 521/],
] as const) {
  test(`create certificaterequest refuses privateKey ${privateKey} with a clear error`, async () => {
    const certificate = parseCertificateManifest(manifest(privateKey), 'cert.yaml');
    await assert.rejects(buildRequest({ name: 'web-1', namespace: 'default', certificate }), message);
  });
}
