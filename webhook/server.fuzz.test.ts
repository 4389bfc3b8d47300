// Property: 10,000 randomly mangled AdmissionReviews get only well-formed answers (an
// AdmissionReview echoing the uid, or a 4xx Status), never a 5xx, a reset or a hang; and the
// server still answers afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import fc from 'fast-check';
import { log } from '../lib/log.ts';
import { staticClusterView } from './cluster-view.ts';
import { defaultWebhookConfig } from './config.ts';
import { startWebhookServer } from './server.ts';
import { httpsRequest, postReview, testTls } from '../test/webhook/admission.ts';
import { baseObjects } from './rules/fixtures.test-data.ts';
import { bodyArb, seeds } from '../test/webhook/fuzz-bodies.ts';

const RUNS = 10_000;
const CONCURRENCY = 16;

function checkAnswer(body: string, res: { status: number; body: any }): void {
  let sentUid: unknown;
  try {
    sentUid = JSON.parse(body)?.request?.uid;
  } catch {
    sentUid = undefined;
  }
  if (res.status === 200) {
    assert.equal(res.body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(res.body.kind, 'AdmissionReview');
    assert.equal(res.body.response.uid, sentUid);
    assert.equal(typeof res.body.response.allowed, 'boolean');
    if (!res.body.response.allowed) assert.ok(typeof res.body.response.status?.message === 'string' && res.body.response.status.message.length > 0);
    if (res.body.response.patch) assert.ok(Array.isArray(JSON.parse(Buffer.from(res.body.response.patch, 'base64').toString())));
  } else {
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    assert.equal(res.body.kind, 'Status');
    assert.ok(typeof res.body.message === 'string' && res.body.message.length > 0);
  }
}

test(`${RUNS} mangled AdmissionReviews get only well-formed answers and the server stays up`, { timeout: 120_000 }, async () => {
  const tls = await testTls();
  const srv = await startWebhookServer({
    config: defaultWebhookConfig({ transparentTls: true }),
    view: staticClusterView(baseObjects),
    tls,
    logger: log.child({}, { level: 'silent' }),
  });
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const seed = Date.now();
    const bodies = fc.sample(bodyArb, { numRuns: RUNS, seed });
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const i = next++;
        const path = i % 2 === 0 ? '/validate' : '/mutate';
        const res = await httpsRequest(`${srv.url}${path}`, { body: bodies[i], ca: tls.caPem, agent });
        try {
          checkAnswer(bodies[i], res);
        } catch (e) {
          throw new Error(
            `seed ${seed}, sample ${i} to ${path}: ${(e as Error).message}\nbody: ${bodies[i].slice(0, 2000)}\nanswer: ${res.text.slice(0, 2000)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const health = await httpsRequest(`${srv.url}/healthz`, { method: 'GET', ca: tls.caPem, agent });
    assert.equal(health.status, 200);
    const after = await postReview(srv.url, '/validate', seeds[0], tls.caPem, agent);
    assert.equal(after.body.response.allowed, false);
    assert.match(await srv.metrics.registry.getSingleMetricAsString('certgate_webhook_admission_requests_total'), /result="error"/);
  } finally {
    agent.destroy();
    await srv.close();
  }
});
