// Small helpers the benchmarks share: percentiles, number formatting, markdown tables, the
// machine line printed beside every result, and the process-memory readings from /proc.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

/** "0.42×": figure divided by baseline. */
export function ratio(figure: number, baseline: number): string {
  return baseline > 0 && Number.isFinite(figure) ? `${(figure / baseline).toFixed(2)}×` : 'n/a';
}

export function markdownTable(header: string[], rows: string[][], alignRight = header.map((_, i) => i > 0)): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(alignRight.map((r) => (r ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

export function machineLine(): string {
  const cpu = cpus();
  return `Machine: ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${process.platform}/${process.arch}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${new Date().toISOString()}`;
}

export const MiB = 1024 * 1024;

/** Resident and peak resident memory of a live process from /proc/PID/status (Linux), in bytes. */
export function procMemory(pid: number): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** Value of an unlabelled sample in Prometheus text exposition. */
export function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`, 'm').exec(text);
  if (!m) throw new Error(`metric ${name} not found`);
  return Number(m[1]);
}

/** Runs fn over the items with at most `limit` in flight; rejects on the first error. */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
