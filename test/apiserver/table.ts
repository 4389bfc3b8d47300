// Server-side printing (meta.k8s.io/v1 Table) as used by `kubectl get`: NAME, the CRD's
// additionalPrinterColumns or per-kind default columns, and AGE.
import type { ResourceType } from './registry.ts';
import type { KObj } from './storage.ts';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  cell: (o: KObj) => unknown;
}

const nameColumn: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  priority: 0,
  cell: (o) => o.metadata.name,
};
const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  format: '',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  priority: 0,
  cell: (o) => age(o.metadata.creationTimestamp),
};

function columnsFor(t: ResourceType): Column[] {
  if (!t.builtin) {
    const pcs = t.printerColumns ?? [];
    if (pcs.length === 0) return [nameColumn, ageColumn];
    return [
      nameColumn,
      ...pcs.map((pc) => ({
        name: pc.name,
        type: pc.type,
        format: pc.format ?? '',
        description: pc.description ?? '',
        priority: pc.priority ?? 0,
        cell: (o: KObj) => {
          const values = evalJsonPath(o, pc.jsonPath);
          if (values.length === 0) return null;
          const v = values.length === 1 ? values[0] : values.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(',');
          return pc.type === 'date' && typeof v === 'string' ? age(v) : v;
        },
      })),
    ];
  }
  const extra = (t.builtinColumns ?? []).map((c) => ({ name: c.name, type: 'string', format: '', description: '', priority: 0, cell: c.get }));
  return t.noAgeColumn ? [nameColumn, ...extra] : [nameColumn, ...extra, ageColumn];
}

export function toTable(t: ResourceType, items: KObj[], resourceVersion: string, includeObject: string): KObj {
  const cols = columnsFor(t);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: cols.map(({ cell: _c, ...def }) => def),
    rows: items.map((o) => ({
      cells: cols.map((c) => c.cell(o) ?? null),
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration */
export function age(timestamp: string | undefined, nowMs = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const s = Math.floor((nowMs - Date.parse(timestamp)) / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** JSONPath subset used by printer columns: .a.b, .a[0], .a[*].b, .a[?(@.k=="v")].b, optional {...}. */
export function evalJsonPath(obj: unknown, path: string): unknown[] {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  const tokens = p.match(/\.[^.[\]]+|\[\?\([^\]]*\)\]|\[[^\]]*\]/g) ?? [];
  let current: unknown[] = [obj];
  for (const tok of tokens) {
    const next: unknown[] = [];
    for (const v of current) {
      if (v === null || v === undefined) continue;
      if (tok.startsWith('.')) {
        if (typeof v === 'object' && !Array.isArray(v) && tok.slice(1) in (v as object)) next.push((v as any)[tok.slice(1)]);
      } else if (tok.startsWith('[?(')) {
        const m = /^\[\?\(@\.([\w.-]+)\s*(==|!=)\s*["']?([^"')]*)["']?\)\]$/.exec(tok);
        if (m && Array.isArray(v)) next.push(...v.filter((item) => (String(item?.[m[1]]) === m[3]) === (m[2] === '==')));
      } else {
        const inner = tok.slice(1, -1);
        if (!Array.isArray(v)) continue;
        if (inner === '*') next.push(...v);
        else {
          const i = Number(inner);
          const item = v[i < 0 ? v.length + i : i];
          if (item !== undefined) next.push(item);
        }
      }
    }
    current = next;
  }
  return current.filter((v) => v !== undefined);
}
