// Events against the embedded API server: one core/v1 Event per distinct step, repeats counted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import { getTestCluster, type TestCluster } from '../test/e2e/cluster.ts';
import { ManualClock } from './clock.ts';
import { createEventRecorder } from './events.ts';
import { KubeClient, loadKubeConfig } from './kube/client.ts';

describe('EventRecorder', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let client: KubeClient;
  let ns: string; // per run, so a real cluster keeps nothing of this test

  before(async () => {
    cluster = await getTestCluster();
    client = new KubeClient(loadKubeConfig({ kubeconfig: cluster.kubeconfigPath }));
    ns = await cluster.createNamespace(cluster.name('events'));
  });
  after(async () => cluster?.stop());

  it('creates an Event with involvedObject and aggregates repeats into count', async () => {
    const clock = new ManualClock(Date.now());
    const recorder = createEventRecorder({ client, component: 'certgate-test', clock, aggregateWindowMs: 60_000 });
    const obj: KubernetesObject = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'web', namespace: ns, uid: 'uid-web' } };
    recorder.event(obj, 'Normal', 'Issuing', 'Issuing certificate as Secret does not exist');
    recorder.event(obj, 'Normal', 'Issuing', 'Issuing certificate as Secret does not exist');
    recorder.event(obj, 'Warning', 'Failed', 'boom');
    await recorder.flush();
    clock.advance(61_000); // outside the window: a new Event
    recorder.event(obj, 'Warning', 'Failed', 'boom');
    await recorder.flush();

    const events = (await client.list<any>(Resources.Event, { namespace: ns })).items.filter((e) => e.involvedObject?.uid === 'uid-web');
    const issuing = events.filter((e) => e.reason === 'Issuing');
    assert.equal(issuing.length, 1);
    assert.equal(issuing[0].count, 2);
    assert.equal(issuing[0].type, 'Normal');
    assert.deepEqual(
      {
        kind: issuing[0].involvedObject.kind,
        name: issuing[0].involvedObject.name,
        namespace: issuing[0].involvedObject.namespace,
        apiVersion: issuing[0].involvedObject.apiVersion,
      },
      { kind: 'Certificate', name: 'web', namespace: ns, apiVersion: 'cert-manager.io/v1' },
    );
    assert.equal(issuing[0].source.component, 'certgate-test');
    const failed = events.filter((e) => e.reason === 'Failed');
    assert.equal(failed.length, 2);
    assert.ok(
      failed.every((e) => e.type === 'Warning' && e.count === 1),
      'two separate Warning events',
    );
  });

  it('remembers only the most recent keys: a repeat of a forgotten one is a new Event, a recent one still counts', async () => {
    const recorder = createEventRecorder({ client, component: 'certgate-test', rememberedKeys: 2 });
    const obj: KubernetesObject = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'many', namespace: ns, uid: 'uid-many' } };
    for (const reason of ['First', 'Second', 'Third', 'First', 'Third']) {
      recorder.event(obj, 'Normal', reason, `step ${reason}`);
      await recorder.flush(); // in order: the limit counts keys as they are written
    }
    const events = (await client.list<any>(Resources.Event, { namespace: ns })).items.filter((e) => e.involvedObject?.uid === 'uid-many');
    const counts = (reason: string) => events.filter((e) => e.reason === reason).map((e) => e.count);
    assert.deepEqual(counts('First'), [1, 1], 'First was forgotten once Second and Third came: its repeat is a new Event');
    assert.deepEqual(counts('Third'), [2], 'Third was among the two most recent: its repeat counts on its Event');
    assert.deepEqual(counts('Second'), [1]);
  });

  it('never throws when the API refuses the Event', async () => {
    const recorder = createEventRecorder({ client, component: 'certgate-test' });
    recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: cluster.name('no-such-namespace') } }, 'Normal', 'Test', 'lost');
    await recorder.flush();
  });
});
