import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { once } from 'node:events';
import { log } from '../lib/log.ts';
import { staticClusterView, type ClusterView } from './cluster-view.ts';
import { defaultWebhookConfig } from './config.ts';
import { startWebhookServer, type RunningWebhookServer } from './server.ts';
import { admissionReview, decodePatch, httpsRequest, INGRESS_KIND, postReview, testTls, type TestTls } from '../test/webhook/admission.ts';

let tls: TestTls;
let srv: RunningWebhookServer;
let ready = false;
const agent = new https.Agent({ keepAlive: true, maxSockets: 4 });

before(async () => {
  tls = await testTls();
  const view = staticClusterView({
    namespaces: [{ metadata: { name: 'auto', labels: { 'certgate.io/tls': 'enforce' }, annotations: { 'certgate.io/default-issuer': 'ClusterIssuer.le' } } }],
  });
  srv = await startWebhookServer({ config: defaultWebhookConfig({ maxBodyBytes: 64 * 1024 }), view, tls, ready: () => ready });
});
after(async () => {
  agent.destroy();
  await srv.close();
});

const badIngress = {
  metadata: { name: 'web' },
  spec: { rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a.example.com', 'typo.example.com'], secretName: 'web-tls' }] },
};

test('POST /validate denies a bad Ingress with the rule, field, value and fix', async () => {
  const review = admissionReview(INGRESS_KIND, badIngress, { namespace: 'default', uid: 'uid-1' });
  const res = await postReview(srv.url, '/validate', review, tls.caPem, agent);
  assert.equal(res.status, 200);
  assert.equal(res.body.apiVersion, 'admission.k8s.io/v1');
  assert.equal(res.body.kind, 'AdmissionReview');
  assert.equal(res.body.response.uid, 'uid-1');
  assert.equal(res.body.response.allowed, false);
  assert.equal(res.body.response.status.code, 403);
  assert.equal(
    res.body.response.status.message,
    'certgate: [tls-host-not-in-rules] spec.tls[0].hosts[1] "typo.example.com": no rule in spec.rules has this host, so the certificate covers a name this Ingress does not serve; add a rule for it or remove it from the tls block (check for a typo)',
  );
});

test('dry-run requests get the same answer', async () => {
  const a = await postReview(srv.url, '/validate', admissionReview(INGRESS_KIND, badIngress, { namespace: 'default', uid: 'x' }), tls.caPem, agent);
  const b = await postReview(
    srv.url,
    '/validate',
    admissionReview(INGRESS_KIND, badIngress, { namespace: 'default', uid: 'x', dryRun: true }),
    tls.caPem,
    agent,
  );
  assert.deepEqual(a.body, b.body);
});

test('POST /mutate answers a JSONPatch that adds transparent TLS', async () => {
  const plain = { metadata: { name: 'shop' }, spec: { rules: [{ host: 'shop.example.com' }] } };
  const res = await postReview(srv.url, '/mutate', admissionReview(INGRESS_KIND, plain, { namespace: 'auto' }), tls.caPem, agent);
  assert.equal(res.body.response.allowed, true);
  assert.equal(res.body.response.patchType, 'JSONPatch');
  assert.deepEqual(decodePatch(res.body.response), [
    { op: 'add', path: '/metadata/annotations', value: { 'cert-manager.io/cluster-issuer': 'le' } },
    { op: 'add', path: '/spec/tls', value: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] },
  ]);
});

test('bad input gets a clear 4xx Status, never a crash', async () => {
  const post = (body: string, path = '/validate', headers?: Record<string, string>) =>
    httpsRequest(`${srv.url}${path}`, { body, ca: tls.caPem, agent, headers });
  const notJson = await post('{"apiVersion": ');
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.kind, 'Status');
  assert.match(notJson.body.message, /body is not valid JSON/);
  const wrongKind = await post(JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }));
  assert.equal(wrongKind.status, 400);
  assert.match(wrongKind.body.message, /expected apiVersion admission\.k8s\.io\/v1 and kind AdmissionReview/);
  const noUid = await post(
    JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: INGRESS_KIND, operation: 'CREATE' } }),
  );
  assert.match(noUid.body.message, /request\.uid must be a non-empty string/);
  const huge = await post(JSON.stringify(admissionReview(INGRESS_KIND, { metadata: { name: 'x', annotations: { a: 'x'.repeat(100_000) } } })));
  assert.equal(huge.status, 413);
  assert.match(huge.body.message, /larger than 65536 bytes/);
  const textPlain = await post('hello', '/validate', { 'content-type': 'text/plain' });
  assert.equal(textPlain.status, 400);
  const missing = await httpsRequest(`${srv.url}/nope`, { method: 'GET', ca: tls.caPem, agent });
  assert.equal(missing.status, 404);
  assert.match(missing.body.message, /use POST \/validate or \/mutate/);
});

test('TLS below 1.2 is refused', async () => {
  await assert.rejects(
    httpsRequest(`${srv.url}/healthz`, { method: 'GET', ca: tls.caPem, agent: new https.Agent({ maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }) }),
  );
});

test('/healthz, /readyz and /metrics', async () => {
  const get = (p: string) => httpsRequest(`${srv.url}${p}`, { method: 'GET', ca: tls.caPem, agent });
  assert.equal((await get('/healthz')).status, 200);
  assert.equal((await get('/readyz')).status, 503);
  ready = true;
  assert.equal((await get('/readyz')).status, 200);
  const metrics = (await get('/metrics')).text;
  assert.match(metrics, /certgate_webhook_admission_requests_total\{kind="Ingress",operation="CREATE",rule="tls-host-not-in-rules",result="denied"\} \d+/);
  assert.match(metrics, /certgate_webhook_admission_requests_total\{kind="Ingress",operation="CREATE",rule="transparent-tls",result="allowed"\} 1/);
  assert.match(metrics, /certgate_webhook_admission_duration_seconds_bucket\{le="0.0005",kind="Ingress",operation="CREATE"\}/);
  assert.match(metrics, /process_cpu_seconds_total/);
});

test('a rule that fails inside answers a denial that names the problem, and the server goes on', async () => {
  const failing: ClusterView = {
    ...staticClusterView({}),
    secretWriters: () => {
      throw new Error('cache exploded');
    },
  };
  const other = await startWebhookServer({ config: defaultWebhookConfig(), view: failing, tls, logger: log.child({}, { level: 'silent' }) });
  try {
    const withIssuer = { ...badIngress, metadata: { name: 'web', annotations: { 'cert-manager.io/cluster-issuer': 'le' } } };
    const res = await postReview(other.url, '/validate', admissionReview(INGRESS_KIND, withIssuer, { namespace: 'default', uid: 'u-err' }), tls.caPem);
    assert.equal(res.status, 200);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status.code, 500);
    assert.match(res.body.response.status.message, /internal error while checking this Ingress; see the certgate-webhook logs \(request u-err\)/);
    assert.equal((await httpsRequest(`${other.url}/healthz`, { method: 'GET', ca: tls.caPem })).status, 200);
  } finally {
    await other.close();
  }
});

test('a connection that never starts its TLS handshake is closed after the handshake timeout', async () => {
  const short = await startWebhookServer({
    config: defaultWebhookConfig(),
    view: staticClusterView({}),
    tls,
    handshakeTimeoutMs: 300,
    logger: log.child({}, { level: 'silent' }),
  });
  try {
    const socket = net.connect(short.port, '127.0.0.1');
    await once(socket, 'connect');
    // Nothing is sent. Node's default would keep the socket for 120 s; the ceiling here is generous for a busy machine.
    const closed = await Promise.race([once(socket, 'close').then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 30_000).unref())]);
    assert.equal(closed, true, 'the server closed the idle connection');
    // A real client still gets answers.
    const res = await httpsRequest(`${short.url}/healthz`, { method: 'GET', ca: tls.caPem });
    assert.equal(res.status, 200);
  } finally {
    await short.close();
  }
});
