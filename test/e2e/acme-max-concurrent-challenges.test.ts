// --max-concurrent-challenges (cert-manager's flag, chart value maxConcurrentChallenges) against real
// pebble and the API server: with a limit of 1, three certificates requested together are issued one
// challenge at a time. An observer of its own watches every Challenge change as the API server
// stores it: never two with status.processing at once, never two solver Services (a presented
// challenge's route) at once, and the others wait in pending with a reason. (A challenge the CA
// validates within a poll interval may never show processing: worker/acme/challenges/reconcile.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resources } from '../../api/resources.ts';
import type { V1Service } from '@kubernetes/client-node';
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
let services: WatchedCache<V1Service>;
const NS = runName('max-challenges');

before(async () => {
  setup = await startAcmeSetup(NS, {}, { maxConcurrentChallenges: 1 });
  ({ stack, cluster, worker } = setup);
  const client = new KubeClient(loadKubeConfig({ kubeconfig: cluster.kubeconfigPath }));
  observer = client.cache<Challenge>(Resources.Challenge, { namespace: NS });
  services = client.cache<V1Service>(Resources.Service, { namespace: NS });
  await Promise.all([observer.start(), services.start()]);
});

after(async () => {
  await observer?.stop();
  await services?.stop();
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
  let mostPresented = 0;
  let solverServices = 0;
  services.on('add', (svc) => {
    if (!svc.metadata?.name?.startsWith('cm-acme-http-solver-')) return;
    solverServices++;
    mostPresented = Math.max(mostPresented, services.list(NS).filter((s) => s.metadata?.name?.startsWith('cm-acme-http-solver-')).length);
  });

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
  assert.ok(mostProcessing <= 1, `at most one Challenge had status.processing=true at any time (${mostProcessing})`);
  assert.equal(solverServices, 3, 'each Challenge was presented (its solver Service made)');
  assert.equal(mostPresented, 1, 'at most one Challenge was presented (had its solver Service) at any time');
  assert.ok(waitingReasons.size > 0, 'the Challenges that waited said so in their status');
  for (const reason of waitingReasons)
    assert.match(reason, /^Waiting for a free challenge slot: 1 challenges are being presented or validated \(--max-concurrent-challenges=1\)$/);
});
