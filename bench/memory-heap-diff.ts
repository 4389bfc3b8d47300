// What grew between two V8 heap snapshots (.heapsnapshot, e.g. from --heapsnapshot-signal or
// v8.writeHeapSnapshot): self size and count per (node type, constructor name), largest growth
// first; with --retainers NAME, the retainer chains of a few objects of that name in the second.
//   npx tsx bench/memory-heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [--top 30] [--retainers Name] [--strings] [--caches]
// (--retainers '"TEXT' follows strings that start with TEXT.) A single snapshot works too: its figures are then compared with an empty heap.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

interface Heap {
  raw: Snapshot;
  nodeFieldCount: number;
  edgeFieldCount: number;
  /** index of each node's first edge in raw.edges */
  firstEdge: Uint32Array;
  nodeCount: number;
  field(node: number, name: string): number;
  typeOf(node: number): string;
  nameOf(node: number): string;
}

function load(path: string): Heap {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const { node_fields, node_types, edge_fields } = raw.snapshot.meta;
  const nodeFieldCount = node_fields.length;
  const edgeFieldCount = edge_fields.length;
  const nodeCount = raw.nodes.length / nodeFieldCount;
  const at = Object.fromEntries(node_fields.map((f, i) => [f, i]));
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let n = 0, e = 0; n < nodeCount; n++) {
    firstEdge[n] = e;
    e += raw.nodes[n * nodeFieldCount + at.edge_count] * edgeFieldCount;
    firstEdge[n + 1] = e;
  }
  return {
    raw,
    nodeFieldCount,
    edgeFieldCount,
    firstEdge,
    nodeCount,
    field: (node, name) => raw.nodes[node * nodeFieldCount + at[name]],
    typeOf: (node) => node_types[0][raw.nodes[node * nodeFieldCount + at.type]],
    nameOf: (node) => raw.strings[raw.nodes[node * nodeFieldCount + at.name]],
  };
}

/** A readable class of a node: strings by their first characters, objects by constructor. */
function classOf(h: Heap, node: number): string {
  const type = h.typeOf(node);
  const name = h.nameOf(node);
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return `${type}: ${JSON.stringify(name.slice(0, 24))}`;
  if (type === 'number') return 'heap number';
  return `${type}: ${name.slice(0, 60)}`;
}

function summary(h: Heap): Map<string, { size: number; count: number }> {
  const by = new Map<string, { size: number; count: number }>();
  for (let n = 0; n < h.nodeCount; n++) {
    const k = classOf(h, n);
    const s = by.get(k) ?? { size: 0, count: 0 };
    s.size += h.field(n, 'self_size');
    s.count++;
    by.set(k, s);
  }
  return by;
}

/** For each node, one retainer (the first edge found pointing at it, skipping weak edges). */
function retainersOf(h: Heap): { from: Int32Array; edge: Int32Array } {
  const from = new Int32Array(h.nodeCount).fill(-1);
  const edge = new Int32Array(h.nodeCount).fill(-1);
  const edgeTypes = h.raw.snapshot.meta.edge_types[0];
  const { edge_fields } = h.raw.snapshot.meta;
  const toAt = edge_fields.indexOf('to_node');
  const typeAt = edge_fields.indexOf('type');
  for (let n = 0; n < h.nodeCount; n++) {
    for (let e = h.firstEdge[n]; e < h.firstEdge[n + 1]; e += h.edgeFieldCount) {
      const to = h.raw.edges[e + toAt] / h.nodeFieldCount;
      const t = edgeTypes[h.raw.edges[e + typeAt]];
      if (t === 'weak' || t === 'shortcut') continue;
      if (from[to] === -1) {
        from[to] = n;
        edge[to] = e;
      }
    }
  }
  return { from, edge };
}

function edgeName(h: Heap, e: number): string {
  const { edge_fields, edge_types } = h.raw.snapshot.meta;
  const t = edge_types[0][h.raw.edges[e + edge_fields.indexOf('type')]];
  const v = h.raw.edges[e + edge_fields.indexOf('name_or_index')];
  return t === 'element' || t === 'hidden' ? `[${v}]` : `.${h.raw.strings[v]}`;
}

function printRetainers(h: Heap, wanted: string, samples: number): void {
  const { from, edge } = retainersOf(h);
  let shown = 0;
  for (let n = 0; n < h.nodeCount && shown < samples; n++) {
    const name = h.nameOf(n);
    if (h.typeOf(n) === 'string' ? !(wanted.startsWith('"') && name.startsWith(wanted.slice(1))) : name !== wanted) continue;
    if (n % 7 !== 0 && shown > 0) continue; // spread the samples out
    shown++;
    const chain: string[] = [];
    for (let cur = n, depth = 0; cur !== -1 && depth < 14; depth++) {
      chain.push(`${classOf(h, cur)}${edge[cur] >= 0 ? ` <-${edgeName(h, edge[cur])}` : ''}`);
      cur = from[cur];
    }
    console.log(`\n${wanted} #${shown}:\n  ${chain.join('\n  ')}`);
  }
}

/** The node an edge of `node` named `name` points at, or -1. */
function child(h: Heap, node: number, name: string): number {
  const { edge_fields, edge_types } = h.raw.snapshot.meta;
  const toAt = edge_fields.indexOf('to_node');
  const nameAt = edge_fields.indexOf('name_or_index');
  const typeAt = edge_fields.indexOf('type');
  for (let e = h.firstEdge[node]; e < h.firstEdge[node + 1]; e += h.edgeFieldCount) {
    const t = edge_types[0][h.raw.edges[e + typeAt]];
    if ((t === 'property' || t === 'internal') && h.raw.strings[h.raw.edges[e + nameAt]] === name) return h.raw.edges[e + toAt] / h.nodeFieldCount;
  }
  return -1;
}

/**
 * What each cache (Informer) holds: the size of everything reachable from its objects map, each node
 * counted for the first cache that reaches it (so a string shared by two caches counts once), hidden
 * classes and code left out. An estimate of retained size without a dominator tree.
 */
function printCaches(h: Heap): void {
  const { edge_fields, edge_types } = h.raw.snapshot.meta;
  const toAt = edge_fields.indexOf('to_node');
  const typeAt = edge_fields.indexOf('type');
  const seen = new Uint8Array(h.nodeCount);
  const skipTypes = new Set(['object shape', 'code', 'synthetic', 'closure', 'hidden']);
  const rows: Array<[string, number, number]> = [];
  for (let n = 0; n < h.nodeCount; n++) {
    if (h.nameOf(n) !== 'Informer' || h.typeOf(n) !== 'object') continue;
    const opts = child(h, n, 'opts');
    const path = opts >= 0 ? child(h, opts, 'path') : -1;
    const objects = child(h, n, 'objects');
    let size = 0;
    let count = 0;
    const stack = objects >= 0 ? [objects] : [];
    while (stack.length) {
      const cur = stack.pop()!;
      if (seen[cur]) continue;
      seen[cur] = 1;
      size += h.field(cur, 'self_size');
      count++;
      for (let e = h.firstEdge[cur]; e < h.firstEdge[cur + 1]; e += h.edgeFieldCount) {
        const t = edge_types[0][h.raw.edges[e + typeAt]];
        if (t === 'weak' || t === 'shortcut') continue;
        const to = h.raw.edges[e + toAt] / h.nodeFieldCount;
        if (!seen[to] && !skipTypes.has(h.typeOf(to))) stack.push(to);
      }
    }
    rows.push([path >= 0 ? h.nameOf(path) : '?', size, count]);
  }
  console.log('\ncaches: KiB reachable from the objects map (first cache to reach a node counts it), nodes');
  for (const [path, size, count] of rows.sort((a, b) => b[1] - a[1]))
    console.log(`${(size / 1024).toFixed(0).padStart(8)} ${String(count).padStart(8)}  ${path}`);
}

/** Long strings held more than once: copies of the same text that one shared string could replace. */
function printDuplicateStrings(h: Heap): void {
  const byText = new Map<string, { count: number; size: number }>();
  for (let n = 0; n < h.nodeCount; n++) {
    if (h.typeOf(n) !== 'string') continue;
    const text = h.nameOf(n);
    if (text.length < 128) continue;
    const s = byText.get(text) ?? { count: 0, size: 0 };
    s.count++;
    s.size += h.field(n, 'self_size');
    byText.set(text, s);
  }
  const byPrefix = new Map<string, { distinct: number; copies: number; size: number; wasted: number }>();
  for (const [text, s] of byText) {
    const k = text.slice(0, 24);
    const p = byPrefix.get(k) ?? { distinct: 0, copies: 0, size: 0, wasted: 0 };
    p.distinct++;
    p.copies += s.count;
    p.size += s.size;
    p.wasted += s.size - s.size / s.count;
    byPrefix.set(k, p);
  }
  console.log('\nstrings of 128+ characters by first 24: distinct, copies, KiB, KiB in extra copies');
  for (const [k, p] of [...byPrefix].sort((a, b) => b[1].size - a[1].size).slice(0, 15))
    console.log(
      `${String(p.distinct).padStart(7)} ${String(p.copies).padStart(7)} ${(p.size / 1024).toFixed(0).padStart(7)} ${(p.wasted / 1024).toFixed(0).padStart(7)}  ${JSON.stringify(k)}`,
    );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, retainers: { type: 'string' }, strings: { type: 'boolean' }, caches: { type: 'boolean' } },
  });
  const [beforePath, afterPath] = positionals.length === 1 ? [undefined, positionals[0]] : positionals;
  const after = load(afterPath);
  const a = summary(after);
  const b = beforePath ? summary(load(beforePath)) : new Map<string, { size: number; count: number }>();
  const total = (m: Map<string, { size: number }>) => [...m.values()].reduce((s, v) => s + v.size, 0);
  const MiB = 1024 * 1024;
  console.log(`heap: ${(total(b) / MiB).toFixed(1)} -> ${(total(a) / MiB).toFixed(1)} MiB`);
  const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => {
    const x = a.get(k) ?? { size: 0, count: 0 };
    const y = b.get(k) ?? { size: 0, count: 0 };
    return { k, grew: x.size - y.size, size: x.size, count: x.count, countGrew: x.count - y.count };
  });
  rows.sort((p, q) => q.grew - p.grew);
  for (const r of rows.slice(0, Number(values.top ?? 30)))
    console.log(
      `${(r.grew / 1024).toFixed(0).padStart(8)} KiB  ${(r.size / 1024).toFixed(0).padStart(8)} KiB  ${String(r.countGrew).padStart(8)} / ${r.count}  ${r.k}`,
    );
  if (values.retainers) printRetainers(after, values.retainers, 4);
  if (values.strings) printDuplicateStrings(after);
  if (values.caches) printCaches(after);
}
