import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebhookConfig } from './config.ts';

test('the flags the Helm chart passes parse into a frozen config', () => {
  const c = parseWebhookConfig([
    '--listen',
    '0.0.0.0:10250',
    '--metrics-listen',
    '0.0.0.0:9404',
    '--namespace',
    'certgate',
    '--tls-secret',
    'certgate-webhook-tls',
    '--webhook-config',
    'certgate-webhook',
    '--service-name',
    'certgate-webhook',
    '--mode',
    'warn',
    '--disable-rule',
    'duplicate-host',
    '--disable-rule',
    'issuer-not-ready',
    '--transparent-tls',
    '--default-issuer',
    'ClusterIssuer/letsencrypt-prod',
    '--production-label',
    'env=prod',
    '--tls-extra-san',
    '127.0.0.1',
  ]);
  assert.deepEqual(c.listen, { host: '0.0.0.0', port: 10250 });
  assert.deepEqual(c.metricsListen, { host: '0.0.0.0', port: 9404 });
  assert.equal(c.mode, 'warn');
  assert.deepEqual([...c.disabledRules], ['duplicate-host', 'issuer-not-ready']);
  assert.equal(c.transparentTls, true);
  assert.deepEqual(c.defaultIssuer, { kind: 'ClusterIssuer', name: 'letsencrypt-prod' });
  assert.deepEqual(c.productionLabel, { key: 'env', value: 'prod' });
  assert.deepEqual(c.tlsExtraSans, ['127.0.0.1']);
  assert.ok(Object.isFrozen(c));
});

test('defaults', () => {
  const c = parseWebhookConfig([]);
  assert.deepEqual(
    [c.mode, c.namespace, c.tlsSecret, c.webhookConfig, c.serviceName, c.transparentTls],
    ['enforce', 'certgate', 'certgate-webhook-tls', 'certgate-webhook', 'certgate-webhook', false],
  );
  assert.deepEqual(c.productionLabel, { key: 'certgate.io/environment', value: 'production' });
  assert.deepEqual([c.gatewayApi, c.gatewayApiDiscoveryIntervalMs], ['auto', 60_000]);
});

test('Gateway API switch', () => {
  const c = parseWebhookConfig(['--gateway-api', 'off', '--gateway-api-discovery-interval', '5s']);
  assert.deepEqual([c.gatewayApi, c.gatewayApiDiscoveryIntervalMs], ['off', 5_000]);
  assert.throws(() => parseWebhookConfig(['--gateway-api', 'on']), /Allowed choices are auto, off/);
});

test('bad flags give clear errors', () => {
  assert.throws(() => parseWebhookConfig(['--mode', 'strict']), /Allowed choices are enforce, warn, audit/);
  assert.throws(() => parseWebhookConfig(['--disable-rule', 'no-such-rule']), /unknown rule "no-such-rule"; rules are: tls-host-not-in-rules/);
  assert.throws(() => parseWebhookConfig(['--default-issuer', 'letsencrypt']), /is not KIND\/NAME/);
  assert.throws(() => parseWebhookConfig(['--listen', '10250']), /is not HOST:PORT/);
  assert.throws(() => parseWebhookConfig(['--production-label', 'prod']), /is not KEY=VALUE/);
});
