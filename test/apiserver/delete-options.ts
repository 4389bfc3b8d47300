// DeleteOptions of DELETE and DeleteCollection requests, read the way kube-apiserver's delete
// handler reads them: from the body when there is one (JSON, YAML or protobuf; the query is then
// ignored), else from the query (?propagationPolicy=&gracePeriodSeconds=&orphanDependents=&dryRun=),
// then checked like ValidateDeleteOptions (422 Invalid "DeleteOptions.meta.k8s.io").
import { parse as parseYaml } from 'yaml';
import { badRequest, causes, invalid, unsupportedMediaType, type StatusCause } from './errors.ts';
import { decodeDeleteOptionsProtobuf } from './protobuf.ts';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
  propagationPolicy?: string;
  dryRun?: string[];
}

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

/** The request's DeleteOptions; 400/415 for a body that cannot be decoded, 422 for invalid options. */
export function readDeleteOptions(body: Buffer, contentType: string, query: URLSearchParams): DeleteOptions {
  // whitespace-only bodies count as none: some clients send a bare newline with DELETE
  const options = body.toString('latin1').trim() === '' ? fromQuery(query) : fromBody(body, contentType);
  validateDeleteOptions(options);
  return options;
}

export const isDryRun = (options: DeleteOptions): boolean => (options.dryRun ?? []).includes('All');

/** A deletion precondition the object fails, in storage.Preconditions.Check's words; undefined when met. */
export function failedPrecondition(options: DeleteOptions, meta: { uid?: string; resourceVersion?: string }): string | undefined {
  const pre = options.preconditions ?? {};
  if (pre.uid !== undefined && pre.uid !== meta.uid) return `UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ''}`;
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion)
    return `ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`;
  return undefined;
}

function fromBody(body: Buffer, contentType: string): DeleteOptions {
  if (contentType === PROTOBUF_MEDIA_TYPE) return normalise(decodeDeleteOptionsProtobuf(body));
  const json = contentType === '' || contentType.includes('json');
  if (!json && !contentType.includes('yaml'))
    throw unsupportedMediaType(
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ${PROTOBUF_MEDIA_TYPE}`,
    );
  let parsed: unknown;
  try {
    parsed = json ? JSON.parse(body.toString('utf8')) : parseYaml(body.toString('utf8'));
  } catch (e) {
    throw badRequest(`error decoding DeleteOptions: ${(e as Error).message}`);
  }
  return normalise(parsed);
}

const goJsonType = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v);

function typeError(field: string, value: unknown, goType: string): Error {
  return badRequest(`json: cannot unmarshal ${goJsonType(value)} into Go struct field DeleteOptions.${field} of type ${goType}`);
}

/** Keep the known fields with the right types (unknown ones are dropped, as the real decoder does). */
function normalise(raw: unknown): DeleteOptions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw badRequest(`json: cannot unmarshal ${goJsonType(raw)} into Go value of type v1.DeleteOptions`);
  const o = raw as Record<string, unknown>;
  if (o.kind !== undefined && o.kind !== 'DeleteOptions')
    throw badRequest(`decoded object cannot be converted to DeleteOptions (the body has kind "${String(o.kind)}")`);
  const out: DeleteOptions = {};
  const present = (v: unknown) => v !== undefined && v !== null;
  if (present(o.gracePeriodSeconds)) {
    if (!Number.isInteger(o.gracePeriodSeconds)) throw typeError('gracePeriodSeconds', o.gracePeriodSeconds, 'int64');
    out.gracePeriodSeconds = o.gracePeriodSeconds as number;
  }
  if (present(o.preconditions)) {
    const p = o.preconditions as Record<string, unknown>;
    if (typeof p !== 'object' || Array.isArray(p)) throw typeError('preconditions', p, 'v1.Preconditions');
    out.preconditions = {};
    for (const k of ['uid', 'resourceVersion'] as const) {
      if (!present(p[k])) continue;
      if (typeof p[k] !== 'string') throw typeError(`preconditions.${k}`, p[k], 'string');
      out.preconditions[k] = p[k] as string;
    }
  }
  if (present(o.orphanDependents)) {
    if (typeof o.orphanDependents !== 'boolean') throw typeError('orphanDependents', o.orphanDependents, 'bool');
    out.orphanDependents = o.orphanDependents;
  }
  if (present(o.propagationPolicy)) {
    if (typeof o.propagationPolicy !== 'string') throw typeError('propagationPolicy', o.propagationPolicy, 'v1.DeletionPropagation');
    out.propagationPolicy = o.propagationPolicy;
  }
  if (present(o.dryRun)) {
    if (!Array.isArray(o.dryRun) || o.dryRun.some((d) => typeof d !== 'string')) throw typeError('dryRun', o.dryRun, '[]string');
    out.dryRun = o.dryRun as string[];
  }
  return out;
}

function fromQuery(q: URLSearchParams): DeleteOptions {
  const out: DeleteOptions = {};
  const grace = q.get('gracePeriodSeconds');
  if (grace !== null) {
    if (!/^[+-]?\d+$/.test(grace)) throw badRequest(`strconv.ParseInt: parsing "${grace}": invalid syntax`);
    out.gracePeriodSeconds = Number(grace);
  }
  const orphan = q.get('orphanDependents');
  if (orphan !== null) {
    // Go's strconv.ParseBool
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(orphan)) out.orphanDependents = true;
    else if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(orphan)) out.orphanDependents = false;
    else throw badRequest(`strconv.ParseBool: parsing "${orphan}": invalid syntax`);
  }
  const policy = q.get('propagationPolicy');
  if (policy !== null) out.propagationPolicy = policy;
  if (q.has('dryRun')) out.dryRun = q.getAll('dryRun');
  return out;
}

/** ValidateDryRun's cause: "All" is the only dry-run value (422 on every write verb's options). */
export const unsupportedDryRun = (values: string[]): StatusCause => ({
  reason: 'FieldValueNotSupported',
  field: 'dryRun',
  message: `Unsupported value: []string{${values.map((d) => JSON.stringify(d)).join(', ')}}: supported values: "All"`,
});

function validateDeleteOptions(o: DeleteOptions): void {
  const errs: StatusCause[] = [];
  if (o.orphanDependents !== undefined && o.propagationPolicy !== undefined)
    errs.push(causes.invalid('propagationPolicy', o.propagationPolicy, 'orphanDependents and deletionPropagation cannot be both set'));
  if (o.propagationPolicy !== undefined && !PROPAGATION_POLICIES.includes(o.propagationPolicy))
    errs.push(causes.notSupported('propagationPolicy', o.propagationPolicy, [...PROPAGATION_POLICIES, 'nil']));
  if ((o.dryRun ?? []).some((d) => d !== 'All')) errs.push(unsupportedDryRun(o.dryRun!));
  if (errs.length > 0) throw invalid('DeleteOptions', 'meta.k8s.io', '', errs);
}
