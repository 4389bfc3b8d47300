// --max-concurrent-challenges (cert-manager's flag, chart value maxConcurrentChallenges) against real
// pebble and the API server: with a limit of 1, three certificates requested together are issued one
// challenge at a time. An observer of its own watches every Challenge change as the API server
// stores it: never two with status.processing at once, and the others wait in pending with a reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../../api/resources.ts';
import type { Challenge } from '../../api/types.generated.ts';
import { KubeClient, loadKubeConfig, type WatchedCache } from '../../lib/kube/client.ts';

import { type AcmeStack } from '../services/index.ts';
import { runName, type TestCluster } from './cluster.ts';
import {
  createCertificateRequest,
  createIssuer,
  makeCsr,
  pebbleAcmeSpec,
  signUntilDone,
  type AcmeWorker,
  startAcmeSetup,
  type AcmeSetup,
} from './acme-harness.ts';

let setup: AcmeSetup;
let stack: AcmeStack;
let cluster: TestCluster;
let worker: AcmeWorker;
let observer: WatchedCache<Challenge>;
const NS = runName('max-challenges');

before(async () => {
  setup = await startAcmeSetup(NS, {}, { maxConcurrentChallenges: 1 });
  ({ stack, cluster, worker } = setup);
  observer = new KubeClient(loadKubeConfig({ kubeconfig: cluster.kubeconfigPath })).cache<Challenge>(Resources.Challenge, { namespace: NS });
  await observer.start();
});

after(async () => {
  await observer?.stop();
  await setup?.stop();
});

test('maxConcurrentChallenges=1: three certificates, never more than one Challenge processing at once', { timeout: 240_000 }, async () => {
  const seen = new Set<string>();
  const waitingReasons = new Set<string>();
  let mostProcessing = 0;
  const count = () => {
    const processing = observer.list(NS).filter((c) => c.status?.processing === true);
    mostProcessing = Math.max(mostProcessing, processing.length);
  };
  const onChange = (c: Challenge) => {
    seen.add(c.metadata.name!);
    if (c.status?.state === 'pending' && c.status.processing === false && c.status.reason) waitingReasons.add(c.status.reason);
    count();
  };
  observer.on('add', onChange);
  observer.on('update', onChange);

  const issuer = await createIssuer(worker.ctx.client, NS, 'pebble', pebbleAcmeSpec(stack));
  assert.equal((await worker.backend.checkIssuer(issuer, NS)).ready, true);
  const requests = await Promise.all(
    ['one', 'two', 'three'].map(async (n) =>
      createCertificateRequest(worker.ctx.client, NS, n, (await makeCsr([`${n}.${NS}.example.test`])).csrPem, { name: 'pebble' }),
    ),
  );
  const results = await Promise.all(requests.map((cr) => signUntilDone(worker, cr, 200_000)));

  for (const r of results) assert.equal(r.state, 'issued', JSON.stringify(r));
  assert.equal(seen.size, 3, `one Challenge per certificate: ${[...seen].join(', ')}`);
  assert.equal(mostProcessing, 1, 'at most one Challenge had status.processing=true at any time');
  assert.ok(waitingReasons.size > 0, 'the Challenges that waited said so in their status');
  for (const reason of waitingReasons)
    assert.match(reason, /^Waiting for a free challenge slot: 1 challenges are being presented or validated \(--max-concurrent-challenges=1\)$/);
});
