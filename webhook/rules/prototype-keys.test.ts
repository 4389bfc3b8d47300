// Lookups keyed by user input use Maps: "__proto__" and "constructor" are names every plain object
// answers (with Object.prototype and Object), so they once crashed a rule or passed a check by accident.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticClusterView } from '../cluster-view.ts';
import { defaultWebhookConfig } from '../config.ts';
import { handleValidate } from '../admission/handlers.ts';
import { decodeReview } from '../admission/review.ts';
import { admissionReview, CERTIFICATE_KIND, CLUSTER_ISSUER_KIND } from '../../test/webhook/admission.ts';
import { letsEncryptSuggestion } from './acme-servers.ts';
import { certificate, view } from './fixtures.test-data.ts';

const ctx = { view: view(), config: defaultWebhookConfig() };
const base = { secretName: 'web-tls', dnsNames: ['web.example.com'], issuerRef: { name: 'local', kind: 'Issuer' } };

for (const algorithm of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
  test(`privateKey.algorithm "${algorithm}" is denied as an unknown algorithm, not a crash or a pass`, () => {
    for (const size of [undefined, 2048]) {
      const cert = certificate('web', { ...base, privateKey: { algorithm, size } });
      // Through the JSON body, as the API server sends it: "__proto__" is then an own property.
      const req = decodeReview(JSON.parse(JSON.stringify(admissionReview(CERTIFICATE_KIND, cert, { namespace: 'apps' }))));
      const { response, outcomes } = handleValidate(req, ctx);
      assert.equal(response.allowed, false, `size ${size}`);
      assert.equal(response.status?.code, 403, 'a denial, not the 500 of a rule that threw');
      assert.equal(
        response.status?.message,
        `certgate: [key-algorithm-invalid] spec.privateKey.algorithm ${JSON.stringify(algorithm)}: must be RSA, ECDSA or Ed25519`,
      );
      assert.deepEqual(outcomes, [{ rule: 'key-algorithm-invalid', result: 'denied' }]);
    }
  });
}

test("an ACME server on a host named like an Object property gets no Let's Encrypt suggestion", () => {
  for (const host of ['constructor', '__proto__', 'tostring']) assert.equal(letsEncryptSuggestion(`https://${host}/directory`), undefined, host);
  assert.equal(letsEncryptSuggestion('https://acme-v01.api.letsencrypt.org/directory'), 'https://acme-v02.api.letsencrypt.org/directory');
  const issuer = {
    apiVersion: 'cert-manager.io/v1',
    kind: 'ClusterIssuer',
    metadata: { name: 'odd' },
    spec: { acme: { server: 'https://constructor/directory', privateKeySecretRef: { name: 'k' }, solvers: [{ http01: { ingress: {} } }] } },
  };
  const { response } = handleValidate(decodeReview(admissionReview(CLUSTER_ISSUER_KIND, issuer)), {
    view: staticClusterView({}),
    config: defaultWebhookConfig(),
  });
  assert.equal(response.allowed, true, response.status?.message);
});
