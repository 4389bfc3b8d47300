// Crash safety: SIGKILL the worker after the Order is created, after a challenge is accepted and
// after finalize; a restarted worker resumes the same ACME order. pebble counts orders created:
// it must equal the number of certificates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type AcmeStack } from '../services/index.ts';
import { runName, type TestCluster } from './cluster.ts';
import {
  chainVerifiesTo,
  challengesIn,
  createCertificateRequest,
  createIssuer,
  dnsSans,
  makeCsr,
  ordersIn,
  pebbleAcmeSpec,
  signUntilDone,
  splitPemChain,
  startAcmeWorker,
  startTestSolver,
  type AcmeWorker,
  type AcmeWorkerOptions,
  prepareAcmeNamespaces,
  startStackAndCluster,
} from './acme-harness.ts';
import type { SolverHandle } from '../../solver/main.ts';
import type { CertificateRequest, Order } from '../../api/types.generated.ts';
import { waitFor } from '../fixtures.ts';

const NS = runName('acme-crash');
let stack: AcmeStack;
let cluster: TestCluster;
let signer: AcmeWorker; // sign() only: the controllers run in the child process
let solver: SolverHandle;
const children = new Set<ChildProcess>();

// One worker process per crash point, loading while the services start (loading takes seconds).
const pool: WarmChild[] = [];

before(async () => {
  for (let i = 0; i < 3; i++) pool.push(spawnChild());
  [stack, cluster] = await startStackAndCluster();
  solver = await startTestSolver(cluster.kubeconfigPath, stack, NS);
  signer = await startAcmeWorker({ kubeconfigPath: cluster.kubeconfigPath, namespace: NS, stack, controllers: false });
  await prepareAcmeNamespaces(cluster, NS);
  await createIssuer(signer.ctx.client, NS, 'pebble', pebbleAcmeSpec(stack));
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await signer?.stop();
  await solver?.stop();
  await cluster?.stop();
  await stack?.stop();
});

interface WarmChild {
  child: ChildProcess;
  loaded: Promise<void>;
}

/** Spawns a worker that loads its modules and waits for its options (see acme-worker-child.ts). */
function spawnChild(): WarmChild {
  const script = fileURLToPath(new URL('./acme-worker-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CERTGATE_LOG_LEVEL: 'error' },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const loaded = waitForLine(child, 'loaded', 90_000);
  loaded.catch(() => {}); // a spare child may be killed unused
  return { child, loaded };
}

/** Starts the controllers of a loaded child and waits until its caches are synced. */
async function go(w: WarmChild): Promise<ChildProcess> {
  await w.loaded;
  const ready = waitForLine(w.child, 'ready', 30_000);
  const opts: AcmeWorkerOptions = {
    kubeconfigPath: cluster.kubeconfigPath,
    namespace: NS,
    stack: { pebble: { httpPort: stack.pebble.httpPort }, bind: { host: stack.bind.host, port: stack.bind.port } },
    // Polls a quarter of this after its accept and its finalize (worker/acme/poll.ts): pebble is done
    // long before, so a Challenge seen valid leaves about half a second before the Order completes, for the kill to land.
    backoffMinMs: 2000,
  };
  w.child.stdin!.write(JSON.stringify(opts) + '\n');
  await ready;
  return w.child;
}

function waitForLine(child: ChildProcess, line: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker child did not print "${line}" in ${timeoutMs} ms`)), timeoutMs);
    const onData = (d: Buffer) => {
      if (d.toString().includes(line)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker child exited with ${code} before "${line}"`));
    });
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

const orderOf = async (cr: CertificateRequest): Promise<Order | undefined> =>
  (await ordersIn(signer.ctx.client, NS)).find((o) => o.metadata.ownerReferences?.[0]?.uid === cr.metadata.uid);

const crashPoints: Array<{ name: string; reached(cr: CertificateRequest): Promise<boolean> }> = [
  { name: 'after the Order is created', reached: async (cr) => !!(await orderOf(cr))?.status?.url },
  {
    name: 'after a challenge is accepted',
    reached: async (cr) => {
      const order = await orderOf(cr);
      return (await challengesIn(signer.ctx.client, NS)).some(
        (c) => c.metadata.ownerReferences?.[0]?.uid === order?.metadata.uid && ['processing', 'valid'].includes(c.status?.state ?? ''),
      );
    },
  },
  { name: 'after finalize', reached: async (cr) => ['processing', 'valid'].includes((await orderOf(cr))?.status?.state ?? '') },
];

test('killing the worker at each point never creates a second ACME order', async () => {
  const ordersBefore = stack.pebble.newOrderCount();
  const root = await stack.pebble.issuingRootsPem();
  let i = 0;
  const take = () => pool.shift() ?? spawnChild();
  for (const point of crashPoints) {
    i++;
    const names = [`crash${i}.example.test`, `crash${i}-b.example.test`];
    const { csrPem } = await makeCsr(names);
    const cr = await createCertificateRequest(signer.ctx.client, NS, `crash-${i}`, csrPem, { name: 'pebble' });
    await signUntilDone(signer, cr, 10); // creates the Order object
    const first = await go(take());
    await waitFor(`${point.name} (${cr.metadata.name})`, () => point.reached(cr), 30_000, 5);
    await kill(first);
    // The kill must land mid-issuance for the first two points (finalize may complete at once).
    const atKill = await orderOf(cr);
    if (i < 3) assert.ok(!atKill?.status?.certificate, `${point.name}: the worker was killed before the order completed`);
    // The restarted worker runs in this process: fresh caches, fresh ACME clients, no memory of the first.
    const restarted = await startAcmeWorker({ kubeconfigPath: cluster.kubeconfigPath, namespace: NS, stack });
    try {
      const result = await signUntilDone(signer, cr, 40_000);
      assert.equal(result.state, 'issued', `${point.name}: ${JSON.stringify(result)}`);
      if (result.state === 'issued') {
        const chain = splitPemChain(result.certificatePem);
        assert.deepEqual(dnsSans(chain[0]), [...names].sort());
        assert.ok(chainVerifiesTo(chain, root));
      }
    } finally {
      await restarted.stop();
    }
    assert.equal(stack.pebble.newOrderCount() - ordersBefore, i, `ACME orders after crash ${point.name}`);
  }
});
