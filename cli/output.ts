// Output formats shared by every verb: human text by default, `-o json|yaml` for scripts.
// A verb builds one plain data object and a text renderer for it; this module picks which to print.
import { stringify } from 'yaml';
import { CliError, type CliIo } from './io.ts';

export type OutputFormat = 'text' | 'json' | 'yaml';

export function parseOutputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '' || value === 'wide' || value === 'text') return 'text';
  if (value === 'json' || value === 'yaml') return value;
  throw new CliError(`unsupported output format "${value}": use json or yaml (or leave -o out for text)`);
}

export function printResult<T>(io: CliIo, format: OutputFormat, data: T, renderText: (data: T) => string): void {
  if (format === 'json') io.stdout.write(JSON.stringify(data, null, 2) + '\n');
  else if (format === 'yaml') io.stdout.write(stringify(data));
  else {
    const text = renderText(data);
    io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }
}

/** A left-aligned table like kubectl's: upper-case headers, columns separated by three spaces. */
export function table(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined || c === '' ? '<none>' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('   ')).join('\n');
}

/** "45s", "3m", "2h", "5d": kubectl's age format for a number of seconds. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s}s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** The age of something created at fromIso, as kubectl prints it. */
export function age(fromIso: string | undefined, nowMs: number): string {
  if (!fromIso) return '<unknown>';
  return shortDuration((nowMs - Date.parse(fromIso)) / 1000);
}

/** Indents every line of a block of text. */
export function indent(text: string, by = 2): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}
