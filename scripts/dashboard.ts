// The Grafana dashboard shipped in the chart, built with @grafana/grafana-foundation-sdk rather than
// written as JSON. `npx tsx scripts/dashboard.ts` (or `make manifests`) writes
// charts/certgate/files/dashboards/certgate.json; test/chart/dashboard.test.ts checks the file is up to
// date and runs every query below against a real Prometheus scraping a live worker and webhook.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as common from '@grafana/grafana-foundation-sdk/common';
import { DashboardBuilder, DatasourceVariableBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { chartDir } from './render-manifests.ts';

export const DASHBOARD_PATH = join(chartDir, 'files/dashboards/certgate.json');

type PanelKind = 'table' | 'timeseries' | 'stat';

/** One panel: what it shows (also the README's text), its queries and how they are drawn. */
export interface PanelSpec {
  title: string;
  description: string;
  kind: PanelKind;
  unit?: string;
  queries: Array<{ expr: string; legend?: string }>;
}

/** A counter's per-second rate summed by the labels `by` (optionally filtered by `selector`), one line per label set. */
function rateByPanel(title: string, description: string, counter: string, by: string[], selector = ''): PanelSpec {
  return {
    title,
    description,
    kind: 'timeseries',
    unit: 'reqps',
    queries: [{ expr: `sum by (${by.join(', ')}) (rate(${counter}${selector}[$__rate_interval]))`, legend: by.map((l) => `{{${l}}}`).join(' ') }],
  };
}

// Only the leader exports per-Certificate series, so max by (...) is the value whatever the replicas.
export const PANELS: readonly PanelSpec[] = [
  {
    title: 'Certificates by time to expiry',
    description: 'Every Certificate with the time left before it expires, soonest first.',
    kind: 'table',
    unit: 's',
    queries: [{ expr: 'sort(max by (namespace, name, issuer_kind, issuer_name) (certmanager_certificate_expiration_timestamp_seconds > 0) - time())' }],
  },
  {
    title: 'Certificates not Ready',
    description: 'Certificates whose Ready condition is not True, with the reason of that condition (kubectl certgate status certificate NAME says more).',
    kind: 'table',
    queries: [{ expr: 'max by (namespace, name, issuer_kind, issuer_name, reason) (certgate_certificate_not_ready)' }],
  },
  {
    title: 'Renewals and failures',
    description: 'Issuances over time: first certificates, renewals and failed attempts.',
    kind: 'timeseries',
    queries: [{ expr: 'sum by (result) (increase(certgate_certificate_issuances_total[$__rate_interval]))', legend: '{{result}}' }],
  },
  rateByPanel(
    'ACME requests by status',
    'Requests to each ACME CA per second by HTTP status; anything but 2xx is an error (badNonce retries show as 400).',
    'certmanager_http_acme_client_request_count',
    ['host', 'status'],
  ),
  rateByPanel(
    'ACME errors by status',
    'The failed ACME requests alone, by CA, status and endpoint.',
    'certmanager_http_acme_client_request_count',
    ['host', 'status', 'path'],
    '{status!~"2.."}',
  ),
  {
    title: 'Challenges pending',
    description: 'ACME Challenges not yet decided (unknown, pending or processing), by type.',
    kind: 'stat',
    queries: [{ expr: 'sum by (type) (max by (type, state) (certgate_acme_challenges{state=~"unknown|pending|processing"}))', legend: '{{type}}' }],
  },
  rateByPanel(
    'Webhook admissions',
    'Admission requests per second by kind and result (allowed, denied, warned, audited, error).',
    'certgate_webhook_admission_requests_total',
    ['kind', 'result'],
  ),
  rateByPanel(
    'Webhook denials by rule',
    'Requests a rule denied, warned about or audited, per second, by rule id.',
    'certgate_webhook_admission_requests_total',
    ['rule', 'result'],
    '{result=~"denied|warned|audited"}',
  ),
  {
    title: 'Webhook latency',
    description: 'Time to answer one admission request: median, 90th and 99th percentiles (the API server waits at most webhook.timeoutSeconds).',
    kind: 'timeseries',
    unit: 's',
    queries: [0.5, 0.9, 0.99].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le) (rate(certgate_webhook_admission_duration_seconds_bucket[$__rate_interval])))`,
      legend: `p${q * 100}`,
    })),
  },
  {
    title: 'Leader',
    description: 'Which worker replica holds the leader election Lease (1); the others stand by (0). Exactly one should lead.',
    kind: 'stat',
    queries: [{ expr: 'max by (instance, name) (leader_election_master_status)', legend: '{{instance}}' }],
  },
];

const datasource: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

function target(q: PanelSpec['queries'][number], instant: boolean) {
  const b = new DataqueryBuilder().expr(q.expr).datasource(datasource);
  if (q.legend) b.legendFormat(q.legend);
  if (instant) b.instant().format(PromQueryFormat.Table);
  return b;
}

function panel(spec: PanelSpec) {
  const b =
    spec.kind === 'table'
      ? new table.PanelBuilder().sortBy(spec.unit === 's' ? [new common.TableSortByFieldStateBuilder().displayName('Value').desc(false)] : [])
      : spec.kind === 'stat'
        ? new stat.PanelBuilder()
        : new timeseries.PanelBuilder();
  b.title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .height(8)
    .span(spec.kind === 'table' ? 24 : 12);
  if (spec.unit) b.unit(spec.unit);
  for (const q of spec.queries) b.withTarget(target(q, spec.kind === 'table'));
  return b;
}

export function buildDashboard() {
  const d = new DashboardBuilder('certgate')
    .uid('certgate')
    .description('Certificates, ACME, challenges, the admission webhook and leader election of certgate (generated by scripts/dashboard.ts).')
    .tags(['certgate', 'cert-manager'])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'));
  const rows: Array<[string, string[]]> = [
    ['Certificates', ['Certificates by time to expiry', 'Certificates not Ready', 'Renewals and failures', 'Challenges pending']],
    ['ACME', ['ACME requests by status', 'ACME errors by status']],
    ['Webhook and leader election', ['Webhook admissions', 'Webhook denials by rule', 'Webhook latency', 'Leader']],
  ];
  for (const [row, titles] of rows) {
    d.withRow(new RowBuilder(row));
    for (const title of titles) d.withPanel(panel(PANELS.find((p) => p.title === title)!));
  }
  return d.build();
}

export function dashboardJson(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(DASHBOARD_PATH, dashboardJson());
  console.log(`wrote ${DASHBOARD_PATH}`);
}
