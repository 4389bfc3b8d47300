// Debian's prometheus (scripts/ensure-tools.sh installs it) scraping the given targets every second,
// for tests that run real PromQL against what certgate exports (the dashboard's queries).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ManagedProcess, makeLogDir } from './process.ts';
import { freePort } from './ports.ts';

interface PrometheusTarget {
  job: string;
  /** host:port serving /metrics over plain HTTP. */
  address: string;
}

export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  url: string;
  /** An instant query through the HTTP API; throws with Prometheus' error for a query it refuses. */
  query(expr: string): Promise<PromSeries[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(targets: PrometheusTarget[]): Promise<PrometheusServer> {
  const dir = makeLogDir('prometheus');
  const port = await freePort();
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: targets.map((t) => ({ job_name: t.job, static_configs: [{ targets: [t.address] }] })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const proc = new ManagedProcess(
    'prometheus',
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    dir,
  );
  const url = `http://127.0.0.1:${port}`;
  await proc.waitUntil('prometheus ready', async () => ((await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined), 60_000);
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSeries[] } };
      if (body.status !== 'success') throw new Error(`prometheus refused ${expr}: ${body.error}`);
      return body.data!.result;
    },
    stop: () => proc.stop(),
  };
}
