// The GitHub Actions workflows cannot run here, so they are validated: each file against GitHub's
// workflow schema with @action-validator/cli, and the release workflow for what a release must do
// (make test first, a multi-arch image signed keyless with an SBOM, the chart pushed to an OCI
// registry and signed, the static manifest and rules file as release assets), with the version
// taken from the one place it is written (scripts/release-info.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir, repoRoot, runHelm } from '../../scripts/render-manifests.ts';
import { parseManifests } from './render.ts';
import { releaseInfo } from '../../scripts/release-info.ts';
import { runCommand } from '../run-command.ts';

const workflowsDir = join(repoRoot, '.github/workflows');
const validatorCli = join(repoRoot, 'node_modules/@action-validator/cli/cli.mjs');
const validate = (file: string) => runCommand(process.execPath, [validatorCli, file], { timeoutMs: 60_000 });
const workflow = (name: string) => parse(readFileSync(join(workflowsDir, name), 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, any> };
const runs = (job: { steps?: Array<{ run?: string }> }) => (job.steps ?? []).map((s) => s.run ?? '').join('\n');
const uses = (job: { steps?: Array<{ uses?: string }> }) => (job.steps ?? []).map((s) => s.uses ?? '');

test("every workflow file passes GitHub's workflow schema (@action-validator/cli)", async () => {
  const files = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));
  assert.deepEqual(files.sort(), ['release.yml', 'test.yml']);
  for (const f of files) {
    const r = await validate(join(workflowsDir, f));
    assert.equal(r.code, 0, `${f}:\n${r.stdout}${r.stderr}`);
  }
});

test('the validator can fail: a misspelt key in a copy of the release workflow is reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-workflow-'));
  try {
    const broken = readFileSync(join(workflowsDir, 'release.yml'), 'utf8').replace('runs-on: ubuntu-latest', 'run-on: ubuntu-latest');
    writeFileSync(join(dir, 'release.yml'), broken);
    const r = await validate(join(dir, 'release.yml'));
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /run-on/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('test.yml runs make test (through .ci/run) on Debian, and the release runs it first', () => {
  const t = workflow('test.yml');
  assert.match(t.jobs.test.container, /bookworm/);
  assert.match(runs(t.jobs.test), /^\.ci\/run$/m);
  assert.match(readFileSync(join(repoRoot, '.ci/run'), 'utf8'), /^make test$/m);
  const r = workflow('release.yml');
  assert.equal(r.jobs.test.uses, './.github/workflows/test.yml');
  assert.ok('workflow_call' in t.on);
  const needsAll = (job: string): string[] => [r.jobs[job].needs ?? []].flat().flatMap((n: string) => [n, ...needsAll(n)]);
  for (const job of ['image', 'chart', 'publish']) assert.ok(needsAll(job).includes('test'), `${job} waits for the tests`);
});

test('release.yml: multi-arch image signed keyless with an SBOM; chart pushed to the OCI registry and signed; manifest and rules as assets', () => {
  const r = workflow('release.yml');
  assert.deepEqual(r.on.push, { tags: ['v*'] });
  assert.match(runs(r.jobs.info), /scripts\/release-info\.ts --tag "\$GITHUB_REF_NAME"/);

  const image = r.jobs.image;
  const build = image.steps.find((s: { uses?: string }) => s.uses?.startsWith('docker/build-push-action@'));
  assert.equal(build.with.platforms, 'linux/amd64,linux/arm64');
  assert.equal(build.with.push, true);
  assert.equal(build.with.tags, '${{ needs.info.outputs.image }}:${{ needs.info.outputs.version }}');
  assert.ok(
    uses(image).some((u) => u.startsWith('docker/setup-qemu-action@')),
    'QEMU for the arm64 build',
  );
  assert.ok(uses(image).some((u) => u.startsWith('sigstore/cosign-installer@')));
  assert.equal(image.permissions['id-token'], 'write', 'keyless signing needs the OIDC token');
  assert.match(runs(image), /cosign sign --yes "\$IMAGE@\$DIGEST"/);
  const sbom = image.steps.find((s: { uses?: string }) => s.uses?.startsWith('anchore/sbom-action@'));
  assert.equal(sbom.with.format, 'spdx-json');
  assert.match(runs(image), /cosign attest --yes --type spdxjson --predicate certgate-sbom\.spdx\.json/);

  const chart = r.jobs.chart;
  assert.equal(chart.permissions['id-token'], 'write');
  const script = runs(chart);
  assert.match(script, /helm package charts\/certgate --version "\$VERSION" --app-version "\$VERSION"/);
  assert.match(script, /helm push "certgate-\$VERSION\.tgz" "\$CHART_REPO"/);
  assert.match(script, /cosign sign --yes "\$\{CHART_REPO#oci:\/\/\}\/certgate@\$digest"/);
  assert.equal(chart.env.CHART_REPO, '${{ needs.info.outputs.chart }}');

  const publish = runs(r.jobs.publish);
  for (const asset of ['deploy/certgate.yaml', 'deploy/prometheus-rules.yaml', 'artifacts/certgate-sbom.spdx.json', '"artifacts/certgate-$VERSION.tgz"']) {
    assert.ok(publish.includes(asset), `release asset ${asset}`);
  }
});

test('version, appVersion and image tag come from Chart.yaml; the chart is pulled as oci://ghcr.io/certgate/charts/certgate', () => {
  const info = releaseInfo();
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };
  assert.equal(info.version, chart.version);
  assert.equal(String(chart.appVersion), chart.version, "the chart's default image tag is appVersion");
  assert.equal(info.chart, 'oci://ghcr.io/certgate/charts');
  assert.equal(info.image, 'ghcr.io/certgate/certgate');
  assert.throws(() => releaseInfo('v999.0.0'), /tag v999\.0\.0 is not v/);
  assert.doesNotThrow(() => releaseInfo(`v${info.version}`));
  // The static manifest attached to the release runs the image of the same version.
  assert.match(readFileSync(join(repoRoot, 'deploy/certgate.yaml'), 'utf8'), new RegExp(`image: ${info.image}:${info.version.replace(/\./g, '\\.')}\\n`));
  assert.match(readFileSync(join(chartDir, 'README.md'), 'utf8'), /helm install certgate oci:\/\/ghcr\.io\/certgate\/charts\/certgate --version /);
});

test('CHANGELOG.md has a section for the current version (the release notes) with upgrade notes', () => {
  const changelog = readFileSync(join(repoRoot, 'CHANGELOG.md'), 'utf8');
  const { version } = releaseInfo();
  const section = changelog.split(/^## /m).find((s) => s.startsWith(version));
  assert.ok(section, `## ${version} in CHANGELOG.md`);
  assert.match(section!, /^### Upgrade notes$/m);
});

test("the release's `helm package` command makes a chart that renders from the archive: CRDs, dashboard file and the release's image", () => {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-package-'));
  try {
    const version = '9.8.7';
    const pkg = runHelm(['package', chartDir, '--version', version, '--app-version', version, '--destination', dir]);
    assert.equal(pkg.status, 0, pkg.stderr);
    const archive = join(dir, `certgate-${version}.tgz`);
    const r = runHelm(['template', 'certgate', archive, '--namespace', 'certgate', '--set', 'dashboard.enabled=true']);
    assert.equal(r.status, 0, r.stderr);
    const objects = parseManifests(r.stdout);
    assert.equal(objects.filter((o) => o.kind === 'CustomResourceDefinition').length, 6, 'the CRDs behind the files/crds symlink are in the archive');
    assert.ok(objects.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'certgate-dashboard' && o.data['certgate.json'].includes('"uid": "certgate"')));
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      for (const c of d.spec.template.spec.containers) assert.equal(c.image, `ghcr.io/certgate/certgate:${version}`, `${d.metadata.name}/${c.name}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
