// The Grafana dashboard: generated from scripts/dashboard.ts (the chart's copy is up to date), shipped
// as a ConfigMap for Grafana's sidecar behind a value, and every panel query proven against a real
// Prometheus (Debian's) scraping a live worker and webhook: the worker issues through pebble (which
// rejects half the nonces, so ACME errors exist), a Certificate stays not Ready, the webhook denies
// a Certificate. A query naming a metric or a label nothing exports returns no series and fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { V1Secret } from '@kubernetes/client-node';
import { chartDir, deployManifestPath, renderChart } from '../../scripts/render-manifests.ts';
import { DASHBOARD_PATH, PANELS, buildDashboard, dashboardJson } from '../../scripts/dashboard.ts';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import { freePort, startAcmeStack, type AcmeStack } from '../services/index.ts';
import { startPrometheus, type PrometheusServer, type PromSeries } from '../services/prometheus.ts';
import { runCommand } from '../run-command.ts';
import { KubeClient, loadKubeConfig } from '../../lib/kube/client.ts';
import { Resources } from '../../api/resources.ts';
import { runWebhook } from '../../webhook/main.ts';
import { parseWebhookConfig } from '../../webhook/config.ts';
import { startSolver } from '../../solver/main.ts';
import { startWorker, type RunningWorker } from '../../worker/main.ts';
import { parseWorkerArgs } from '../../worker/flags.ts';
import { pebbleAcmeSpec } from '../e2e/acme-harness.ts';

import { acmeStackWorkerFlags, chartContainerArgs, chartWebhookServiceResolver, find, kubectlBin, parseManifests, testWorkerFlags } from './render.ts';
import { waitFor } from '../fixtures.ts';

const USER_NS = 'shop';

/** What Grafana substitutes before sending a query to Prometheus. */
const grafanaMacros = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s');

/** The labels of a query's first `by (...)`: the series it returns must carry them (le is consumed by histogram_quantile). */
function groupedLabels(expr: string): string[] {
  const by = /\bby \(([^)]*)\)/.exec(expr);
  return by
    ? by[1]
        .split(',')
        .map((l) => l.trim())
        .filter((l) => l && l !== 'le')
    : [];
}

test("the chart's dashboard is the one scripts/dashboard.ts builds, and every panel has a description and queries", () => {
  assert.equal(readFileSync(DASHBOARD_PATH, 'utf8'), dashboardJson(), 'run `npx tsx scripts/dashboard.ts`');
  const built = buildDashboard() as { panels?: Array<{ type: string; title?: string; description?: string; targets?: Array<{ expr?: string }> }> };
  const panels = (built.panels ?? []).filter((p) => p.type !== 'row');
  assert.deepEqual(panels.map((p) => p.title).sort(), PANELS.map((p) => p.title).sort());
  for (const p of panels) {
    assert.ok(p.description, `${p.title} has a description`);
    assert.ok(p.targets?.length && p.targets.every((t) => t.expr), `${p.title} has queries`);
  }
});

test('the chart README shows every panel with its description', () => {
  const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
  for (const p of PANELS) assert.ok(readme.includes(`| ${p.title} | ${p.description} |`), `README row for ${p.title}`);
});

test('dashboard.enabled renders a ConfigMap labelled grafana_dashboard: "1" holding the dashboard; off by default and with prometheus.enabled=false', () => {
  const cm = find(
    parseManifests(renderChart({ dashboard: { enabled: true, annotations: { grafana_folder: 'certgate' } } })),
    'ConfigMap',
    'certgate-dashboard',
  );
  assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
  assert.equal(cm.metadata.annotations?.grafana_folder, 'certgate');
  assert.deepEqual(JSON.parse(cm.data['certgate.json']), JSON.parse(dashboardJson()));
  assert.equal(
    parseManifests(renderChart()).some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'certgate-dashboard'),
    false,
  );
  assert.equal(
    parseManifests(renderChart({ dashboard: { enabled: true }, prometheus: { enabled: false } })).some((o) => o.kind === 'ConfigMap'),
    false,
  );
});

describe('every dashboard query returns series from Prometheus scraping a live worker and webhook', { timeout: 300_000 }, () => {
  let server: EmbeddedApiServer;
  let stack: AcmeStack;
  let prometheus: PrometheusServer | undefined;
  let worker: RunningWorker | undefined;
  let workDir: string;
  let admin: KubeClient;
  const running: { stop(): Promise<void> }[] = [];
  const kubectl = (args: string[], input = '') =>
    runCommand(kubectlBin, ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(workDir, 'kube-cache'), ...args], { input });
  const apply = async (obj: unknown) => {
    const r = await kubectl(['apply', '-f', '-'], stringify(obj));
    assert.equal(r.code, 0, r.stderr);
  };

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'certgate-dashboard-'));
    const [webhookPort, webhookMetricsPort] = [await freePort(), await freePort()];
    [stack, server] = await Promise.all([
      startAcmeStack({ pebbleEnv: { PEBBLE_WFE_NONCEREJECT: '50' } }),
      startApiServer({
        crdDir: null,
        dir: join(workDir, 'apiserver'),
        serviceResolver: chartWebhookServiceResolver(webhookPort),
      }),
    ]);
    admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }), 'test-admin');
    const r = await kubectl(['apply', '-f', deployManifestPath]);
    assert.equal(r.code, 0, r.stderr);
    const objects = parseManifests(readFileSync(deployManifestPath, 'utf8'));
    const args = (deployment: string, container: string) => chartContainerArgs(objects, deployment, container);

    // The webhook, solver and worker with the chart's arguments; metrics on loopback for Prometheus.
    running.push(
      await runWebhook(
        parseWebhookConfig([
          ...args('certgate-webhook', 'webhook'),
          `--listen=127.0.0.1:${webhookPort}`,
          `--metrics-listen=127.0.0.1:${webhookMetricsPort}`,
          '--tls-extra-san=127.0.0.1',
          `--kubeconfig=${server.kubeconfigPath}`,
        ]),
        { client: admin },
      ),
    );
    running.push(await startSolver({ client: admin, listen: `127.0.0.1:${stack.pebble.httpPort}` }));
    worker = await startWorker(
      parseWorkerArgs([...args('certgate-controller', 'worker'), ...testWorkerFlags(server.kubeconfigPath), ...acmeStackWorkerFlags(stack)]),
      loadKubeConfig({ kubeconfig: server.kubeconfigPath }),
    );

    await apply({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: USER_NS } });
    await apply({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'pebble' }, spec: pebbleAcmeSpec(stack) });
    // Issued through pebble; and one that cannot be (its issuer does not exist), so it stays not Ready.
    await apply({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'www', namespace: USER_NS },
      spec: { secretName: 'www-tls', dnsNames: ['www.example.test'], issuerRef: { name: 'pebble', kind: 'ClusterIssuer' } },
    });
    await apply({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'orphan', namespace: USER_NS },
      spec: { secretName: 'orphan-tls', dnsNames: ['orphan.example.test'], issuerRef: { name: 'missing', kind: 'Issuer' } },
    });
    // The webhook denies a Certificate without a name to certify (as cert-manager's webhook does).
    const denied = await kubectl(
      ['apply', '-f', '-'],
      stringify({
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'nameless', namespace: USER_NS },
        spec: { secretName: 'nameless-tls', issuerRef: { name: 'pebble', kind: 'ClusterIssuer' } },
      }),
    );
    assert.notEqual(denied.code, 0, 'the webhook denies it');
    assert.match(denied.stderr, /certificate-no-identity/);
    await waitFor('Secret www-tls', async () => (await admin.get<V1Secret>(Resources.Secret, USER_NS, 'www-tls'))?.data?.['tls.crt'], 90_000, 250);

    prometheus = await startPrometheus([
      { job: 'certgate-metrics', address: `127.0.0.1:${worker.metricsPort}` },
      { job: 'certgate-webhook', address: `127.0.0.1:${webhookMetricsPort}` },
    ]);
    await waitFor(
      'both targets scraped up, twice',
      async () => {
        const up = await prometheus!.query('count_over_time(up[1m]) >= 2 and up == 1');
        return up.length === 2;
      },
      90_000,
      250,
    );
  });

  after(async () => {
    await prometheus?.stop();
    await worker?.stop().catch(() => {});
    for (const r of running.reverse()) await r.stop().catch(() => {});
    await server?.stop();
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  for (const panel of PANELS) {
    test(`${panel.title}: every query returns series with the labels it groups by`, async () => {
      for (const { expr } of panel.queries) {
        const query = grafanaMacros(expr);
        const series: PromSeries[] = await waitFor(
          `series for ${query}`,
          async () => {
            const r = await prometheus!.query(query);
            return r.length > 0 && r;
          },
          60_000,
          250,
        );
        for (const label of groupedLabels(expr)) {
          assert.ok(
            series.some((s) => s.metric[label] !== undefined),
            `${query}: no series carries ${label}: ${JSON.stringify(series)}`,
          );
        }
      }
    });
  }

  test('what the panels show is what happened: www renewed nothing yet, orphan not Ready, the denial is certificate-no-identity, one leader', async () => {
    const q = (expr: string) => prometheus!.query(grafanaMacros(expr));
    const expiry = await q(PANELS.find((p) => p.title === 'Certificates by time to expiry')!.queries[0].expr);
    assert.deepEqual(
      expiry.map((s) => s.metric.name),
      ['www'],
    );
    assert.ok(Number(expiry[0].value[1]) > 0);
    const notReady = await q(PANELS.find((p) => p.title === 'Certificates not Ready')!.queries[0].expr);
    assert.deepEqual(
      notReady.map((s) => s.metric.name),
      ['orphan'],
    );
    const denials = await q(PANELS.find((p) => p.title === 'Webhook denials by rule')!.queries[0].expr);
    assert.ok(
      denials.some((s) => s.metric.rule === 'certificate-no-identity' && s.metric.result === 'denied'),
      JSON.stringify(denials),
    );
    const acmeErrors = await q(PANELS.find((p) => p.title === 'ACME errors by status')!.queries[0].expr);
    assert.ok(
      acmeErrors.some((s) => s.metric.status === '400'),
      'badNonce answers are counted as errors',
    );
    const leader = await q(PANELS.find((p) => p.title === 'Leader')!.queries[0].expr);
    assert.deepEqual(
      leader.map((s) => s.value[1]),
      ['1'],
    );
  });

  test('the harness can fail: a misspelt metric or label matcher returns no series', async () => {
    assert.deepEqual(await prometheus!.query('sum by (result) (increase(certgate_certificate_issuance_total[1m]))'), []);
    assert.deepEqual(await prometheus!.query('sum by (rule) (rate(certgate_webhook_admission_requests_total{reslt="denied"}[1m]))'), []);
    const wrongGroup = await prometheus!.query('sum by (rulle) (rate(certgate_webhook_admission_requests_total[1m]))');
    assert.ok(
      wrongGroup.every((s) => s.metric.rulle === undefined),
      'a wrong grouping label is caught by the label check',
    );
  });
});
