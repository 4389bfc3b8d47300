// Writes charts/certgate/files/cert-manager-controller-flags.json from worker/cert-manager-flags.ts
// and the worker's own flags, so the chart refuses at install what the worker refuses at start
// (test/chart/cert-manager-values.test.ts fails when the file is out of date).
// `npx tsx scripts/write-cert-manager-flags.ts`
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chartDir } from './render-manifests.ts';
import { chartTable } from '../worker/cert-manager-flags.ts';
import { workerCommand } from '../worker/flags.ts';

export const certManagerFlagsFile = join(chartDir, 'files/cert-manager-controller-flags.json');

export function certManagerFlagsJson(): string {
  const workerFlags = workerCommand().options.flatMap((o) => (o.long ? [o.long] : []));
  return `${JSON.stringify({ ...chartTable(), workerFlags }, null, 2)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) writeFileSync(certManagerFlagsFile, certManagerFlagsJson());
