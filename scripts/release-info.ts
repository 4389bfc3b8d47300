// The one place a release's version comes from: charts/certgate/Chart.yaml `version`. appVersion
// (the default image tag in the chart) and package.json's version must equal it; the release
// workflow refuses a tag other than v<version>. Prints version=, image= and chart= lines for
// $GITHUB_OUTPUT: `npx tsx scripts/release-info.ts [--tag vX.Y.Z] >> "$GITHUB_OUTPUT"`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { chartDir, repoRoot } from './render-manifests.ts';

export interface ReleaseInfo {
  version: string;
  /** Image repository from values.yaml; the image is pushed as <image>:<version>. */
  image: string;
  /** OCI repository the chart is pushed to (helm push appends the chart name). */
  chart: string;
}

export function releaseInfo(tag?: string): ReleaseInfo {
  const chart = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as { version: string; appVersion: string };
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { image: { repository: string } };
  const version = chart.version;
  if (String(chart.appVersion) !== version) throw new Error(`Chart.yaml appVersion ${chart.appVersion} differs from version ${version}`);
  if (pkg.version !== version) throw new Error(`package.json version ${pkg.version} differs from Chart.yaml version ${version}`);
  if (tag !== undefined && tag !== `v${version}`) throw new Error(`tag ${tag} is not v${version} (Chart.yaml version)`);
  const image = values.image.repository;
  const registry = image.slice(0, image.lastIndexOf('/'));
  return { version, image, chart: `oci://${registry}/charts` };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--tag');
  const info = releaseInfo(i > 0 ? process.argv[i + 1] : undefined);
  for (const [k, v] of Object.entries(info)) console.log(`${k}=${v}`);
}
