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

/**
 * Where a process's resident memory lies, from /proc/PID/smaps (Linux), in bytes: files (code and
 * libraries), malloc's main heap ([heap]), glibc's per-thread malloc arenas (anonymous 64 MiB
 * reservations, an rw part followed by its ---p rest) and the other anonymous memory (V8's heap
 * pages and code, thread stacks, large malloc blocks mapped on their own).
 */
export function procMemoryParts(pid: number): { files: number; mallocHeap: number; mallocArenas: number; otherAnon: number } {
  const parts = { files: 0, mallocHeap: 0, mallocArenas: 0, otherAnon: 0 };
  const ARENA = 64 * MiB;
  let prev: { end: number; rw: boolean; start: number; rss: number; anon: boolean } | undefined;
  for (const block of readFileSync(`/proc/${pid}/smaps`, 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+[ \t]*(.*)$/m.exec(block);
    if (!head) continue;
    const [start, end] = [parseInt(head[1], 16), parseInt(head[2], 16)];
    const rss = Number(/^Rss:\s+(\d+) kB/m.exec(block)?.[1] ?? 0) * 1024;
    const path = head[4].trim();
    const anon = path === '' || path.startsWith('[anon');
    if (path.startsWith('/')) parts.files += rss;
    else if (path === '[heap]') parts.mallocHeap += rss;
    else if (anon) parts.otherAnon += rss;
    // An arena's rw part is followed by its ---p remainder, together 64 MiB from a 64 MiB boundary.
    if (anon && head[3] === '---p' && prev?.anon && prev.rw && prev.end === start && prev.start % ARENA === 0 && end - prev.start === ARENA) {
      parts.otherAnon -= prev.rss;
      parts.mallocArenas += prev.rss;
    }
    prev = { start, end, rss, anon, rw: head[3].startsWith('rw') };
  }
  return parts;
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
