// The chart's alert rules, unit-tested with Prometheus's own evaluator (`promtool test rules`)
// against series shaped exactly like the metrics the worker and webhook export. Each alert must
// fire when it should, and stay silent for healthy 6-, 45- and 90-day certificates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { renderAlertRules as renderRules } from '../../scripts/render-manifests.ts';

const renderedRules = new Map<string, string>();
/** The chart's rules for these values, rendered once per file (helm is slow on a loaded machine). */
function renderAlertRules(values: Record<string, unknown> = {}): string {
  const key = JSON.stringify(values);
  if (!renderedRules.has(key)) renderedRules.set(key, renderRules(values));
  return renderedRules.get(key)!;
}

const HOUR = 3600;
const DAY = 24 * HOUR;
const NS = 'shop';
const ISSUER = { issuer_name: 'letsencrypt-production', issuer_kind: 'ClusterIssuer', issuer_group: 'cert-manager.io' };

type Labels = Record<string, string>;
interface Series {
  series: string;
  values: string;
}
interface AlertCheck {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels: Labels; exp_annotations?: Labels }[];
}
interface TestGroup {
  interval: string;
  input_series: Series[];
  alert_rule_test: AlertCheck[];
}

function series(metric: string, labels: Labels, values: string): Series {
  const body = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return { series: `${metric}{${body}}`, values };
}

/** promtool's expanding notation for a list of (value, samples) runs: "a x(n-1)" repeats a n times. */
function runs(parts: [value: number, samples: number][]): string {
  return parts.map(([v, n]) => (n === 1 ? `${v}` : `${v}x${n - 1}`)).join(' ');
}

const hours = (h: number) => `${h}h`;

/** Number of samples in a run string built by runs(). */
function sampleCount(values: string): number {
  return values.split(' ').reduce((n, part) => n + (part.includes('x') ? Number(part.split('x')[1]) + 1 : 1), 0);
}

/** Runs promtool on the rules and one test file; returns its exit status and output. Asynchronous, so independent files run side by side. */
async function promtool(rules: string, groups: TestGroup[], evaluationInterval: string): Promise<{ status: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-promtool-'));
  try {
    writeFileSync(join(dir, 'rules.yaml'), rules);
    writeFileSync(join(dir, 'test.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: evaluationInterval, tests: groups }, { lineWidth: 0 }));
    return await new Promise((resolve, reject) => {
      const p = spawn('promtool', ['test', 'rules', 'test.yaml'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
      p.stdout.on('data', (d) => (output += d));
      p.stderr.on('data', (d) => (output += d));
      p.on('error', (e) => reject(new Error(`promtool: ${e.message} (Debian package prometheus; run bash scripts/ensure-tools.sh)`)));
      p.on('close', (code) => {
        clearTimeout(timer);
        resolve({ status: code ?? 1, output });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The rules without annotations: promtool compares annotations whenever an alert fires, and most
 * checks here are about timing and labels. The annotation texts are checked in their own tests.
 */
function withoutAnnotations(rules: string): string {
  const doc = parse(rules) as { groups: { rules: { annotations?: unknown }[] }[] };
  for (const g of doc.groups) for (const r of g.rules) delete r.annotations;
  return stringify(doc, { lineWidth: 0 });
}

async function assertPasses(rules: string, groups: TestGroup[], evaluationInterval: string): Promise<void> {
  const r = await promtool(rules, groups, evaluationInterval);
  assert.equal(r.status, 0, r.output);
}

// ---- certificate lifetimes ---------------------------------------------------------------
// Time starts at 0 (promtool's time()), samples every hour. Renewal where the worker puts it:
// certgate's default (half the lifetime for short-lived certificates of 10 days or less, 2/3
// otherwise), or a point late in the CA's ARI window (a 6-day certificate renewed at day 4.5,
// inside Let's Encrypt-style window of days 3 to 5), so the renewal window is what is left.

interface Lifetime {
  name: string;
  days: number;
  renewAt: number;
}
const lifetimes: Lifetime[] = [
  { name: 'six-day', days: 6, renewAt: 1 / 2 },
  { name: 'six-day-ari-late', days: 6, renewAt: 3 / 4 },
  { name: 'forty-five-day', days: 45, renewAt: 2 / 3 },
  { name: 'ninety-day', days: 90, renewAt: 2 / 3 },
];
/** The worker's default renewal point as a fraction of the lifetime (api/defaults.ts). */
const defaultRenewAt = (days: number) => (days <= 10 ? 1 / 2 : 2 / 3);

const certLabels = (name: string): Labels => ({ name, namespace: NS, ...ISSUER });

/** A certificate issued at 0 whose renewal keeps failing: expiry and renewal times never move. Samples every `step` hours. */
function stuckCertificate(name: string, days: number, horizonHours: number, step: number, renewAt = defaultRenewAt(days)): Series[] {
  const lifetime = days * DAY;
  const samples = Math.floor(horizonHours / step) + 1;
  return [
    series('certmanager_certificate_expiration_timestamp_seconds', certLabels(name), runs([[lifetime, samples]])),
    series('certmanager_certificate_not_after_timestamp_seconds', certLabels(name), runs([[lifetime, samples]])),
    series('certmanager_certificate_renewal_timestamp_seconds', certLabels(name), runs([[lifetime * renewAt, samples]])),
  ];
}

/** A certificate renewed on schedule: each renewal shows up at the first sample at least an hour after its renewal time. */
function healthyCertificate(name: string, days: number, horizonHours: number, step: number, renewAt: number): Series[] {
  const lifetimeH = days * 24;
  const total = Math.floor(horizonHours / step) + 1;
  const expiry: [number, number][] = [];
  const renewal: [number, number][] = [];
  let issuedAt = 0; // hours
  let sample = 0;
  while (sample < total) {
    const renewAtH = issuedAt + lifetimeH * renewAt;
    const nextSample = Math.min(Math.ceil((renewAtH + 1) / step), total);
    expiry.push([(issuedAt + lifetimeH) * HOUR, nextSample - sample]);
    renewal.push([renewAtH * HOUR, nextSample - sample]);
    sample = nextSample;
    issuedAt = sample * step;
  }
  return [
    series('certmanager_certificate_expiration_timestamp_seconds', certLabels(name), runs(expiry)),
    series('certmanager_certificate_renewal_timestamp_seconds', certLabels(name), runs(renewal)),
    series('certmanager_certificate_ready_status', { ...certLabels(name), condition: 'True' }, runs([[1, total]])),
    series('certmanager_certificate_ready_status', { ...certLabels(name), condition: 'False' }, runs([[0, total]])),
  ];
}

/** Hours after issuance at which each alert's condition turns true for a stuck certificate, from values.yaml's defaults. */
function thresholds(days: number, renewAt = defaultRenewAt(days)): { overdue: number; expiring: number } {
  const lifetimeH = days * 24;
  const renewalH = lifetimeH * renewAt;
  const windowH = lifetimeH - renewalH;
  const overdueAfterH = Math.max(1, windowH * 0.25); // renewalOverdueFraction, renewalOverdueMinimum
  const floorH = Math.min(7 * 24, windowH * 0.5); // expiryFloor clamped to half the window
  return { overdue: renewalH + overdueAfterH, expiring: lifetimeH - floorH };
}

// promtool evaluates every step up to the last check, so long lifetimes use a coarser step (it
// divides every threshold, so "not yet at the threshold, firing two steps later" stays exact).
const stepFor = (days: number) => (days <= 6 ? 1 : 6);

test('expiry alerts: stuck 6-, 45- and 90-day certificates alert at the documented times, not before', async () => {
  const rules = withoutAnnotations(renderAlertRules());
  // The table in values.yaml: 6-day certificates (renewed at half) warn at 3.75 days and page at
  // 4.5; renewed late in an ARI window (day 4.5), at 4.875 and 5.25 days; 45-day at 33.75
  // and 38 days; 90-day at 67.5 and 83 days.
  assert.deepEqual(
    lifetimes.map(({ days, renewAt }) => thresholds(days, renewAt)),
    [
      { overdue: 90, expiring: 108 },
      { overdue: 117, expiring: 126 },
      { overdue: 810, expiring: 912 },
      { overdue: 1620, expiring: 1992 },
    ],
  );
  await Promise.all(
    lifetimes.map(async ({ name, days, renewAt }) => {
      const step = stepFor(days);
      const at = thresholds(days, renewAt);
      const firing = (alertname: string, t: number): AlertCheck => ({
        eval_time: hours(t),
        alertname,
        exp_alerts: [{ exp_labels: { ...certLabels(name), severity: alertname.endsWith('ExpiringSoon') ? 'critical' : 'warning' } }],
      });
      const silent = (alertname: string, t: number): AlertCheck => ({ eval_time: hours(t), alertname, exp_alerts: [] });
      const renewalH = days * 24 * renewAt;
      // The condition turns true one step after the threshold; `for: 5m` makes it fire one step later.
      const group: TestGroup = {
        interval: `${step}h`,
        input_series: stuckCertificate(name, days, days * 24 + 24, step, renewAt),
        alert_rule_test: [
          silent('CertgateCertificateRenewalOverdue', renewalH),
          silent('CertgateCertificateExpiringSoon', renewalH),
          silent('CertgateCertificateRenewalOverdue', at.overdue),
          firing('CertgateCertificateRenewalOverdue', at.overdue + 2 * step),
          silent('CertgateCertificateExpiringSoon', at.expiring),
          firing('CertgateCertificateExpiringSoon', at.expiring + 2 * step),
          // Still firing once it has expired.
          firing('CertgateCertificateExpiringSoon', days * 24 + 12),
        ],
      };
      await assertPasses(rules, [group], `${step}h`);
    }),
  );
});

test('expiry alerts: the text names the certificate, its namespace, issuer and time left', async () => {
  const rules = renderAlertRules();
  const group: TestGroup = {
    interval: '1h',
    input_series: stuckCertificate('six-day', 6, 130, 1),
    alert_rule_test: [
      {
        eval_time: '122h',
        alertname: 'CertgateCertificateExpiringSoon',
        exp_alerts: [
          {
            exp_labels: { ...certLabels('six-day'), severity: 'critical' },
            exp_annotations: {
              summary: `Certificate ${NS}/six-day expires in 22h 0m 0s`,
              description: `Certificate six-day in namespace ${NS} (issuer ClusterIssuer/letsencrypt-production) expires in 22h 0m 0s and has not been renewed. If automation cannot be fixed in time, follow the manual recovery path in the runbook.`,
              runbook_url: 'https://github.com/certgate/certgate/blob/main/docs/runbooks.md#certgatecertificateexpiringsoon',
            },
          },
        ],
      },
      {
        eval_time: '122h',
        alertname: 'CertgateCertificateRenewalOverdue',
        exp_alerts: [
          {
            exp_labels: { ...certLabels('six-day'), severity: 'warning' },
            exp_annotations: {
              summary: `Certificate ${NS}/six-day was not renewed on time`,
              description: `Certificate six-day in namespace ${NS} (issuer ClusterIssuer/letsencrypt-production) should have been renewed 2d 2h 0m 0s ago. Check why with: kubectl certgate status certificate six-day -n ${NS}`,
              runbook_url: 'https://github.com/certgate/certgate/blob/main/docs/runbooks.md#certgatecertificaterenewaloverdue',
            },
          },
        ],
      },
    ],
  };
  await assertPasses(rules, [group], '1h');
});

test('expiry alerts: certificates renewed on time never alert over several lifetimes', async () => {
  const rules = withoutAnnotations(renderAlertRules());
  // Two and a half lifetimes each (at least 15 days), so every certificate goes through two renewals.
  await Promise.all(
    lifetimes.map(async ({ name, days, renewAt }) => {
      const step = days >= 90 ? 12 : stepFor(days);
      const span = Math.max(days * 60, 15 * 24);
      const horizon = span - (span % step);
      const checks: AlertCheck[] = [];
      for (let t = step; t <= horizon; t += step) {
        for (const alertname of ['CertgateCertificateRenewalOverdue', 'CertgateCertificateExpiringSoon', 'CertgateCertificateNotReady']) {
          checks.push({ eval_time: hours(t), alertname, exp_alerts: [] });
        }
      }
      const input = healthyCertificate(name, days, horizon, step, renewAt);
      // Guard against a vacuous pass: every series covers the whole horizon, and renewals happened.
      for (const s of input) assert.equal(sampleCount(s.values), horizon / step + 1, s.series);
      assert.ok(input[0].values.split(' ').length >= 3, `${name}: at least two renewals in ${horizon}h`);
      const group: TestGroup = { interval: `${step}h`, input_series: input, alert_rule_test: checks };
      await assertPasses(rules, [group], `${step}h`);
    }),
  );
});

test('expiry alerts: no renewal time exported falls back to the plain floor; no certificate yet (0) never alerts', async () => {
  const rules = withoutAnnotations(renderAlertRules());
  const lifetime = 90 * DAY;
  const samples = (90 * 24) / 6 + 1;
  const group: TestGroup = {
    interval: '6h',
    input_series: [
      series('certmanager_certificate_expiration_timestamp_seconds', certLabels('no-renewal-time'), runs([[lifetime, samples]])),
      series('certmanager_certificate_expiration_timestamp_seconds', certLabels('pending'), runs([[0, samples]])),
      series('certmanager_certificate_renewal_timestamp_seconds', certLabels('pending'), runs([[0, samples]])),
    ],
    alert_rule_test: [
      { eval_time: hours(83 * 24), alertname: 'CertgateCertificateExpiringSoon', exp_alerts: [] },
      {
        eval_time: hours(83 * 24 + 12),
        alertname: 'CertgateCertificateExpiringSoon',
        exp_alerts: [{ exp_labels: { ...certLabels('no-renewal-time'), severity: 'critical' } }],
      },
      { eval_time: hours(89 * 24), alertname: 'CertgateCertificateRenewalOverdue', exp_alerts: [] },
    ],
  };
  await assertPasses(rules, [group], '6h');
});

test('expiry alerts: the floor and the overdue fraction follow values (expiryFloor=2d, renewalOverdueFraction=0.5)', async () => {
  const rules = withoutAnnotations(renderAlertRules({ alerts: { expiryFloor: '2d', renewalOverdueFraction: 0.5 } }));
  // 90-day certificate: the floor of 2 days is reached at day 88; overdue at 60d + 15d.
  const labels = certLabels('ninety-day');
  const group: TestGroup = {
    interval: '6h',
    input_series: stuckCertificate('ninety-day', 90, 90 * 24, 6),
    alert_rule_test: [
      { eval_time: hours(88 * 24), alertname: 'CertgateCertificateExpiringSoon', exp_alerts: [] },
      { eval_time: hours(88 * 24 + 12), alertname: 'CertgateCertificateExpiringSoon', exp_alerts: [{ exp_labels: { ...labels, severity: 'critical' } }] },
      { eval_time: hours(75 * 24), alertname: 'CertgateCertificateRenewalOverdue', exp_alerts: [] },
      { eval_time: hours(75 * 24 + 12), alertname: 'CertgateCertificateRenewalOverdue', exp_alerts: [{ exp_labels: { ...labels, severity: 'warning' } }] },
    ],
  };
  await assertPasses(rules, [group], '6h');
});

// ---- readiness, ACME, webhook: minute resolution ------------------------------------------

test('not-ready alerts: a Certificate not Ready for 15 minutes and an Issuer not Ready for 10 alert, with names in the text', async () => {
  const rules = renderAlertRules();
  const minutes = 40;
  const ready = (name: string, condition: string, values: string) => series('certmanager_certificate_ready_status', { ...certLabels(name), condition }, values);
  const issuer = (labels: Labels, condition: string, values: string) => series('certgate_issuer_ready_status', { ...labels, condition }, values);
  const clusterIssuer = { name: 'letsencrypt-production', namespace: '', kind: 'ClusterIssuer' };
  const nsIssuer = { name: 'shop-ca', namespace: NS, kind: 'Issuer' };
  const group: TestGroup = {
    interval: '1m',
    input_series: [
      // broken: False from the start.
      ready('broken', 'True', runs([[0, minutes]])),
      ready('broken', 'False', runs([[1, minutes]])),
      ready('broken', 'Unknown', runs([[0, minutes]])),
      // flapping: False for 10 minutes while the first issuance runs, then True. Never alerts.
      ready(
        'issuing',
        'True',
        runs([
          [0, 10],
          [1, minutes - 10],
        ]),
      ),
      ready(
        'issuing',
        'False',
        runs([
          [1, 10],
          [0, minutes - 10],
        ]),
      ),
      ready('fine', 'True', runs([[1, minutes]])),
      ready('fine', 'False', runs([[0, minutes]])),
      issuer(clusterIssuer, 'True', runs([[0, minutes]])),
      issuer(clusterIssuer, 'False', runs([[1, minutes]])),
      issuer(nsIssuer, 'True', runs([[1, minutes]])),
      issuer(nsIssuer, 'False', runs([[0, minutes]])),
    ],
    alert_rule_test: [
      { eval_time: '14m', alertname: 'CertgateCertificateNotReady', exp_alerts: [] },
      {
        eval_time: '16m',
        alertname: 'CertgateCertificateNotReady',
        exp_alerts: [
          {
            exp_labels: { ...certLabels('broken'), condition: 'False', severity: 'warning' },
            exp_annotations: {
              summary: `Certificate ${NS}/broken is not Ready`,
              description: `Certificate broken in namespace ${NS} (issuer ClusterIssuer/letsencrypt-production) has had Ready=False for more than 15m.`,
              runbook_url: 'https://github.com/certgate/certgate/blob/main/docs/runbooks.md#certgatecertificatenotready',
            },
          },
        ],
      },
      { eval_time: '9m', alertname: 'CertgateIssuerNotReady', exp_alerts: [] },
      {
        eval_time: '11m',
        alertname: 'CertgateIssuerNotReady',
        exp_alerts: [
          {
            // An empty label is no label: ClusterIssuers have no namespace.
            exp_labels: { name: clusterIssuer.name, kind: clusterIssuer.kind, condition: 'False', severity: 'warning' },
            exp_annotations: {
              summary: 'ClusterIssuer letsencrypt-production is not Ready',
              description: 'ClusterIssuer letsencrypt-production has had Ready=False for more than 10m: no Certificate using it can be issued or renewed.',
              runbook_url: 'https://github.com/certgate/certgate/blob/main/docs/runbooks.md#certgateissuernotready',
            },
          },
        ],
      },
    ],
  };
  await assertPasses(rules, [group], '1m');
});

test('ACME errors: a failing CA alerts, a healthy one and a lone badNonce do not', async () => {
  const rules = withoutAnnotations(renderAlertRules());
  const req = (host: string, status: string, values: string) =>
    series('certmanager_http_acme_client_request_count', { scheme: 'https', host, path: '/acme/new-order', method: 'POST', status }, values);
  const group: TestGroup = {
    interval: '1m',
    input_series: [
      // Failing: 10 requests/min succeed, 5/min get 429 (rate limited) -> a third fail.
      req('acme-v02.api.letsencrypt.org', '201', '0+10x60'),
      req('acme-v02.api.letsencrypt.org', '429', '0+5x60'),
      // Healthy: 10/min succeed, one badNonce (400) over the hour.
      req('acme-staging-v02.api.letsencrypt.org', '201', '0+10x60'),
      req(
        'acme-staging-v02.api.letsencrypt.org',
        '400',
        `${runs([
          [0, 30],
          [1, 31],
        ])}`,
      ),
      // Idle controller: one request, one failure.
      req('ca.internal.example', '200', runs([[1, 61]])),
      req(
        'ca.internal.example',
        '503',
        `${runs([
          [0, 20],
          [1, 41],
        ])}`,
      ),
    ],
    alert_rule_test: [
      { eval_time: '5m', alertname: 'CertgateACMEErrorsRising', exp_alerts: [] },
      {
        eval_time: '30m',
        alertname: 'CertgateACMEErrorsRising',
        exp_alerts: [{ exp_labels: { host: 'acme-v02.api.letsencrypt.org', severity: 'warning' } }],
      },
    ],
  };
  await assertPasses(rules, [group], '1m');
});

test('webhook alerts: down when no replica is up or it is not scraped at all; slow when p99 exceeds the budget', async () => {
  const rules = withoutAnnotations(renderAlertRules());
  const up = (instance: string, values: string) => series('up', { job: 'certgate-webhook', namespace: 'certgate', instance }, values);
  const buckets = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, '+Inf'];
  // cumulative counts per minute: fast puts everything under 5 ms, slow puts 10% above 1 s.
  const histogram = (kind: string, perMinute: (le: number | string) => number) =>
    buckets.map((le) => series('certgate_webhook_admission_duration_seconds_bucket', { kind, operation: 'CREATE', le: String(le) }, `0+${perMinute(le)}x40`));
  const down: TestGroup = {
    interval: '1m',
    input_series: [
      up(
        '10.0.0.1:9404',
        runs([
          [1, 10],
          [0, 30],
        ]),
      ),
      up(
        '10.0.0.2:9404',
        runs([
          [1, 12],
          [0, 28],
        ]),
      ),
    ],
    alert_rule_test: [
      { eval_time: '10m', alertname: 'CertgateWebhookDown', exp_alerts: [] },
      { eval_time: '16m', alertname: 'CertgateWebhookDown', exp_alerts: [] },
      { eval_time: '19m', alertname: 'CertgateWebhookDown', exp_alerts: [{ exp_labels: { severity: 'critical' } }] },
    ],
  };
  const neverScraped: TestGroup = {
    interval: '1m',
    input_series: [series('up', { job: 'something-else', instance: 'x' }, runs([[1, 20]]))],
    alert_rule_test: [{ eval_time: '10m', alertname: 'CertgateWebhookDown', exp_alerts: [{ exp_labels: { severity: 'critical' } }] }],
  };
  const healthy: TestGroup = {
    interval: '1m',
    input_series: [up('10.0.0.1:9404', runs([[1, 40]])), ...histogram('Ingress', () => 600)],
    alert_rule_test: [
      { eval_time: '30m', alertname: 'CertgateWebhookDown', exp_alerts: [] },
      { eval_time: '30m', alertname: 'CertgateWebhookSlow', exp_alerts: [] },
    ],
  };
  const slow: TestGroup = {
    interval: '1m',
    input_series: [up('10.0.0.1:9404', runs([[1, 40]])), ...histogram('Ingress', (le) => (typeof le === 'number' && le < 1 ? 540 : 600))],
    alert_rule_test: [
      { eval_time: '8m', alertname: 'CertgateWebhookSlow', exp_alerts: [] },
      { eval_time: '20m', alertname: 'CertgateWebhookSlow', exp_alerts: [{ exp_labels: { severity: 'warning' } }] },
    ],
  };
  await assertPasses(rules, [down, neverScraped, healthy, slow], '1m');
});

test('the harness can fail: a wrong expectation makes promtool report the alert it did not expect', async () => {
  const rules = withoutAnnotations(renderAlertRules());
  const group: TestGroup = {
    interval: '1h',
    input_series: stuckCertificate('six-day', 6, 160, 1),
    alert_rule_test: [{ eval_time: hours(thresholds(6).expiring + 2), alertname: 'CertgateCertificateExpiringSoon', exp_alerts: [] }],
  };
  const r = await promtool(rules, [group], '1h');
  assert.equal(r.status, 1, r.output);
  assert.match(r.output, /CertgateCertificateExpiringSoon/);
});
