// `make manifests`: renders the Helm chart into the files under deploy/ for users without helm:
//   deploy/certgate.yaml         everything, for `kubectl apply -f` (namespace "certgate")
//   deploy/prometheus-rules.yaml the alert rules as a plain Prometheus rule file
// test/chart/manifests.test.ts fails when these are out of date with the chart.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));
export const chartDir = join(repoRoot, 'charts/certgate');
export const helmBin = join(repoRoot, '.tools/helm/helm');
export const deployManifestPath = join(repoRoot, 'deploy/certgate.yaml');
export const deployRulesPath = join(repoRoot, 'deploy/prometheus-rules.yaml');

export const DEPLOY_RELEASE = 'certgate';
export const DEPLOY_NAMESPACE = 'certgate';

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with a bounded time. Helm's note about following the files/crds symlink is dropped from stderr. */
export function runHelm(args: string[], timeoutMs = 60_000): HelmResult {
  const r = spawnSync(helmBin, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`helm ${args[0]}: ${r.error.message} (run \`bash scripts/ensure-tools.sh\` to install helm)`);
  const stderr = r.stderr
    .split('\n')
    .filter((l) => !/found symbolic link in path/.test(l))
    .join('\n')
    .trim();
  return { status: r.status ?? 1, stdout: r.stdout, stderr };
}

/** `helm template` with the given values (deep object, written to a temp values file). Throws with helm's message on failure. */
export function renderChart(values: Record<string, unknown> = {}, opts: { release?: string; namespace?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-values-'));
  try {
    const file = join(dir, 'values.yaml');
    writeFileSync(file, stringify(values));
    const r = runHelm(['template', opts.release ?? DEPLOY_RELEASE, chartDir, '--namespace', opts.namespace ?? DEPLOY_NAMESPACE, '--values', file]);
    if (r.status !== 0) throw new Error(r.stderr || `helm template exited ${r.status}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const header = (what: string) => `# ${what}\n# Generated from charts/certgate by \`make manifests\` (scripts/render-manifests.ts). Do not edit.\n`;

/** The single file for `kubectl apply -f`: the namespace first, then the chart with default values. */
export function renderDeployManifest(): string {
  const namespace = stringify({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: DEPLOY_NAMESPACE, labels: { 'app.kubernetes.io/name': 'certgate', 'app.kubernetes.io/part-of': 'certgate' } },
  });
  return `${header(`certgate for kubectl apply -f, namespace ${DEPLOY_NAMESPACE}`)}---\n${namespace}${renderChart()}`;
}

/** The chart's alert rules as a plain Prometheus rule file (for Prometheus without the operator). */
export function renderAlertRules(values: Record<string, unknown> = {}): string {
  const merged = { ...values, prometheus: { prometheusRule: { enabled: true } } };
  const docs = parseAllDocuments(renderChart(merged)).map((d) => d.toJS() as { kind?: string; spec?: unknown } | null);
  const rule = docs.find((d) => d?.kind === 'PrometheusRule');
  if (!rule?.spec) throw new Error('the chart rendered no PrometheusRule');
  return stringify(rule.spec, { lineWidth: 0 });
}

function main(): void {
  writeFileSync(deployManifestPath, renderDeployManifest());
  writeFileSync(deployRulesPath, `${header('certgate alert rules for Prometheus (rule_files)')}${renderAlertRules()}`);
  console.log(`wrote ${deployManifestPath} and ${deployRulesPath}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
