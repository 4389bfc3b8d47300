// One private prom-client Registry per worker process (never the global default registry), so
// tests can build several and nothing else in node_modules leaks series into /metrics.
// Modules that own metrics export a function that registers them into a Registry passed in.
import { Registry } from 'prom-client';

export { Registry };

export function createMetricsRegistry(): Registry {
  return new Registry();
}

/**
 * A metric that writes its own text exposition in pieces, so a scrape of large per-object gauges
 * never holds all their series at once: the pieces joined are exactly what prom-client's registry
 * prints for the metric (HELP, TYPE, then a line per series). For a registry without default labels.
 */
export interface PiecewiseExposition {
  exposition(): Iterable<string>;
}

export const hasPiecewiseExposition = (metric: object): metric is PiecewiseExposition =>
  typeof (metric as Partial<PiecewiseExposition>).exposition === 'function';

// prom-client's escaping and number format (lib/registry.js, lib/util.js), for the same text.
const escapeText = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const valueText = (v: number) => (Number.isNaN(v) ? 'Nan' : !Number.isFinite(v) ? (v < 0 ? '-Inf' : '+Inf') : `${v}`);

/** "# HELP" and "# TYPE" lines of a metric, as prom-client prints them. */
export const metricHeader = (name: string, help: string, type: string): string =>
  `# HELP ${escapeText(name)} ${escapeText(help)}\n# TYPE ${escapeText(name)} ${type}`;

/** One series line, as prom-client prints it. */
export function seriesLine(name: string, labels: Record<string, string | number | undefined>, value: number): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(labels)) parts.push(`${k}="${typeof v === 'string' ? escapeText(v).replace(/"/g, '\\"') : v}"`);
  return `${escapeText(name)}${parts.length ? `{${parts.join(',')}}` : ''} ${valueText(value)}`;
}
