// The certgate side of the soak (scripts/soak.ts): worker, webhook and solver in one child process,
// so the driver can restart the API server under them and read this process's RSS on its own.
// A small control listener answers what the driver checks: GET /drift (every cache against the
// API server), GET /ready (each process's /readyz). The first stdout line is {"control": PORT}.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import { KubeClient, loadKubeConfig, type WatchedCache } from '../../lib/kube/client.ts';
import { parseWorkerArgs } from '../../worker/flags.ts';
import { startWorker } from '../../worker/main.ts';
import { MANAGED_SECRET_SELECTOR } from '../../worker/caches.ts';
import { defaultWebhookConfig } from '../../webhook/config.ts';
import { runWebhook } from '../../webhook/main.ts';
import { startSolver } from '../../solver/main.ts';
import { cacheDrift } from '../../test/e2e/cache-truth.ts';

const [kubeconfig, namespace] = process.argv.slice(2);
if (!kubeconfig || !namespace) throw new Error('usage: stack.ts KUBECONFIG NAMESPACE');
const kubeConfig = loadKubeConfig({ kubeconfig });
const client = new KubeClient(kubeConfig, 'certgate-soak-check');

const worker = await startWorker(
  parseWorkerArgs([
    '--namespace',
    namespace,
    '--metrics-listen',
    '127.0.0.1:0',
    '--health-listen',
    '127.0.0.1:0',
    '--cluster-resource-namespace',
    namespace,
    '--leader-election-namespace',
    namespace,
    '--renew-backoff-base',
    '2s',
    '--renew-backoff-max',
    '20s',
  ]),
  kubeConfig,
);
const webhook = await runWebhook(
  defaultWebhookConfig({
    kubeconfig,
    listen: { host: '127.0.0.1', port: 0 },
    tlsExtraSans: ['127.0.0.1'],
    namespace,
    webhookConfig: 'certgate-soak',
    tlsSecret: 'soak-webhook-tls',
  }),
);
const solver = await startSolver({ client: new KubeClient(kubeConfig, 'certgate-solver'), listen: '127.0.0.1:0', namespace });

async function drift(): Promise<string[]> {
  const caches = worker.caches();
  if (!caches) return ['worker: not leading (no caches)'];
  const checks: Array<[string, ResourceDescriptor, WatchedCache<KubernetesObject>, { namespace?: string; labelSelector?: string }]> = [
    ['worker', Resources.Certificate, caches.certificates, { namespace }],
    ['worker', Resources.CertificateRequest, caches.certificateRequests, { namespace }],
    ['worker', Resources.Issuer, caches.issuers, { namespace }],
    ['worker', Resources.Challenge, caches.challenges, { namespace }],
    ['worker', Resources.Ingress, caches.ingresses, { namespace }],
    ['worker', Resources.Secret, caches.secrets, { namespace, labelSelector: MANAGED_SECRET_SELECTOR }],
    ['webhook', Resources.Ingress, webhook.view.caches.ingresses, {}],
    ['webhook', Resources.Certificate, webhook.view.caches.certificates, {}],
    ['webhook', Resources.Issuer, webhook.view.caches.issuers, {}],
    ['webhook', Resources.ClusterIssuer, webhook.view.caches.clusterIssuers, {}],
    ['webhook', Resources.Namespace, webhook.view.caches.namespaces, {}],
    ['solver', Resources.Challenge, solver.challenges, { namespace }],
  ];
  const out: string[] = [];
  for (const [who, r, cache, opts] of checks) for (const d of await cacheDrift(client, r, cache, opts)) out.push(`${who}: ${d}`);
  return out;
}

const status = (url: string, insecure = false) =>
  new Promise<number>((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    get(url, insecure ? { rejectUnauthorized: false } : {}, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', () => resolve(0));
  });

const control = http.createServer((req, res) => {
  const answer = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (req.url === '/drift')
    drift().then(
      (d) => answer({ drift: d }),
      (e) => answer({ drift: [`check failed: ${String(e)}`] }),
    );
  else if (req.url === '/ready')
    void Promise.all([
      status(`http://127.0.0.1:${worker.healthPort}/readyz`),
      status(`${webhook.server.url}/readyz`, true),
      status(`${solver.server.url}/readyz`),
    ]).then(([w, h, s]) => answer({ worker: w, webhook: h, solver: s }));
  else res.writeHead(404).end();
});
control.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ control: (control.address() as AddressInfo).port }) + '\n'));

process.once('SIGTERM', async () => {
  control.close();
  await Promise.allSettled([worker.stop(), webhook.stop(), solver.stop()]);
  process.exit(0);
});
