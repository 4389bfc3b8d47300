// Admission cost that one object cannot blow up: every rule is linear in the object's size, an
// `off` namespace is decided before any rule runs, and an object over the API server's request
// limit is denied without running the rules. Work is counted (V8 block coverage), not timed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorkCounter } from '../../test/work-count.ts';
import { defaultWebhookConfig } from '../config.ts';
import { LARGE_HOST_COUNT, largeCertificate, manyHostIngress } from '../../test/webhook/large-objects.ts';
import { view } from '../rules/fixtures.test-data.ts';
import { admissionReview, CERTIFICATE_KIND, INGRESS_KIND } from '../../test/webhook/admission.ts';
import { handleMutate, handleValidate, type HandlerContext } from './handlers.ts';
import { MAX_OBJECT_BYTES } from './object-size.ts';
import { decodeReview } from './review.ts';

// Started before any rule runs hot (see work-count.ts); imports only define functions.
const counter = await startWorkCounter(['/webhook/', '/lib/', '/api/']);
after(() => counter.close());
// Blocks run per host (or per dnsName) of the object. Linear rules need a few dozen; one rule
// that scans a list per entry of another needs thousands per host at n = 20,000.
const MAX_WORK_PER_ITEM = 200;

const ctx: HandlerContext = {
  view: view({ namespaces: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ignored', labels: { 'certgate.io/tls': 'off' } } }] }),
  config: defaultWebhookConfig(),
};

function review(kind: typeof INGRESS_KIND, obj: unknown, opts: { namespace?: string; operation?: string; oldObject?: unknown } = {}) {
  const body = JSON.stringify(admissionReview(kind, obj, { namespace: opts.namespace ?? 'apps', operation: opts.operation, oldObject: opts.oldObject }));
  return { req: decodeReview(JSON.parse(body)), bytes: Buffer.byteLength(body) };
}

async function assertLinear(what: string, items: number, run: () => unknown): Promise<void> {
  const work = await counter.count(run);
  assert.ok(
    work.total <= MAX_WORK_PER_ITEM * items,
    `${what}: ${work.total} blocks run for ${items} items (over ${MAX_WORK_PER_ITEM} per item); busiest: ${JSON.stringify(work.top.slice(0, 5))}`,
  );
}

test('a 20,000-host Ingress costs work linear in its hosts: valid, all hosts wrong, UPDATE, and mutate', async () => {
  const n = LARGE_HOST_COUNT;
  const good = review(INGRESS_KIND, manyHostIngress(n));
  let result = handleValidate(good.req, ctx, good.bytes);
  assert.equal(result.response.allowed, true, JSON.stringify(result.response.status));
  await assertLinear('valid Ingress', 2 * n, () => handleValidate(good.req, ctx, good.bytes));

  // Every tls host misses the rules and every rule misses tls: 2n findings through decide().
  const bad = review(INGRESS_KIND, manyHostIngress(n, { shift: n }));
  result = handleValidate(bad.req, ctx, bad.bytes);
  assert.equal(result.response.allowed, false);
  assert.match(result.response.status!.message, new RegExp(`^certgate found ${2 * n} problems:`));
  assert.match(
    result.response.status!.message,
    new RegExp(`\\.\\.\\. and ${2 * n - 20} more like these$`),
    'the denial lists the first problems and counts the rest',
  );
  await assertLinear('Ingress with every host wrong', 2 * n, () => handleValidate(bad.req, ctx, bad.bytes));

  const update = review(INGRESS_KIND, manyHostIngress(n, { shift: n }), { operation: 'UPDATE', oldObject: manyHostIngress(n, { shift: n - 1 }) });
  await assertLinear('UPDATE of an Ingress with every host wrong', 4 * n, () => handleValidate(update.req, ctx, update.bytes));
  await assertLinear('mutate', 2 * n, () => handleMutate(good.req, ctx, good.bytes));
});

test('a Certificate just under 3 MiB costs work linear in its names', async () => {
  const cert = largeCertificate();
  const { req, bytes } = review(CERTIFICATE_KIND, cert);
  assert.ok(bytes < MAX_OBJECT_BYTES + 4096 && bytes > MAX_OBJECT_BYTES - 128 * 1024, `fixture is ${bytes} bytes`);
  const result = handleValidate(req, ctx, bytes);
  assert.equal(result.response.allowed, true, result.response.status?.message);
  await assertLinear('3 MiB Certificate, validate', cert.spec.dnsNames.length, () => handleValidate(req, ctx, bytes));
  await assertLinear('3 MiB Certificate, mutate', cert.spec.dnsNames.length, () => handleMutate(req, ctx, bytes));
});

test('an object over the API server request limit is denied before any rule runs, with the reason', async () => {
  const { req, bytes } = review(CERTIFICATE_KIND, largeCertificate(MAX_OBJECT_BYTES + 1024));
  const result = handleValidate(req, ctx, bytes);
  assert.equal(result.response.allowed, false);
  assert.match(
    result.response.status!.message,
    /^certgate: \[object-too-large\] object: this Certificate is \d+ bytes; certgate checks objects of at most 3145728 bytes, the API server's own limit on a request; split it into smaller objects$/,
  );
  assert.deepEqual(result.outcomes, [{ rule: 'object-too-large', result: 'denied' }]);
  const work = await counter.count(() => handleValidate(req, ctx, bytes));
  assert.ok(work.total < 500, `no rule ran: ${work.total} blocks; ${JSON.stringify(work.top.slice(0, 5))}`);
  const mutated = handleMutate(req, ctx, bytes);
  assert.deepEqual([mutated.response.allowed, mutated.response.patch], [true, undefined], 'mutation leaves it to validation to explain');
  // --disable-rule cannot switch the cap off.
  assert.equal(handleValidate(req, { ...ctx, config: defaultWebhookConfig({ disabledRules: new Set(['object-too-large']) }) }, bytes).response.allowed, false);
});

test('a namespace labelled certgate.io/tls=off is decided before any rule runs, whatever the object holds', async () => {
  const { req, bytes } = review(INGRESS_KIND, manyHostIngress(LARGE_HOST_COUNT, { shift: LARGE_HOST_COUNT, namespace: 'ignored' }), { namespace: 'ignored' });
  for (const handle of [handleValidate, handleMutate]) {
    assert.deepEqual(handle(req, ctx, bytes).response, { uid: req.uid, allowed: true });
    const work = await counter.count(() => handle(req, ctx, bytes));
    assert.ok(work.total < 500, `${handle.name} in an off namespace ran ${work.total} blocks; ${JSON.stringify(work.top.slice(0, 5))}`);
  }
});
