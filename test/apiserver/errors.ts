// Kubernetes Status errors with the same reason, code and message text the real kube-apiserver
// returns, so clients (kubectl, client-node, our own KubeClient) react to them the same way.
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}
interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }
  toStatus(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}), // a plain storage error has none
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** "certificates.cert-manager.io" or "secrets" for core: the group-qualified resource name used in messages. */
export function qualifiedResource(group: string, plural: string): string {
  return group ? `${plural}.${group}` : plural;
}

export const notFound = (group: string, plural: string, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualifiedResource(group, plural)} "${name}" not found`, { name, group, kind: plural });

export const alreadyExists = (group: string, plural: string, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualifiedResource(group, plural)} "${name}" already exists`, { name, group, kind: plural });

export const conflict = (group: string, plural: string, name: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group, kind: plural },
  );

/** 409 for a DeleteOptions precondition (uid/resourceVersion) the stored object does not meet, worded like storage.Preconditions.Check. */
export const preconditionFailed = (group: string, plural: string, name: string, detail: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(group, plural)} "${name}": Precondition failed: ${detail}`, {
    name,
    group,
    kind: plural,
  });

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export const methodNotSupported = (group: string, plural: string, verb: string): ApiError =>
  new ApiError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualifiedResource(group, plural)}"`, { group, kind: plural });

export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message);

export const tooManyRequests = (message: string, retryAfterSeconds: number): ApiError => new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds });

export const unsupportedMediaType = (message: string): ApiError => new ApiError(415, 'UnsupportedMediaType', message);

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized');

export const internal = (message: string): ApiError => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);

/** 422 Invalid: `Kind.group "name" is invalid: field: message` like field.ErrorList.ToAggregate(). */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${joined}`, { name, group, kind, causes });
}

export function forbidden(
  user: string,
  verb: string,
  group: string,
  plural: string,
  name: string | undefined,
  namespace: string | undefined,
  subresource?: string,
): ApiError {
  const res = subresource ? `${qualifiedResource(group, plural)}/${subresource}` : qualifiedResource(group, plural);
  const what = name ? `${res} "${name}"` : res;
  const resourceText = `resource "${plural}${subresource ? '/' + subresource : ''}" in API group "${group}"`;
  const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  return new ApiError(403, 'Forbidden', `${what} is forbidden: User "${user}" cannot ${verb} ${resourceText}${scope}`, { name, group, kind: plural });
}

/** Cause builders with the wording of k8s.io/apimachinery/pkg/util/validation/field. */
export const causes = {
  required: (field: string): StatusCause => ({ reason: 'FieldValueRequired', message: 'Required value', field }),
  invalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${fmtValue(value)}: ${detail}`,
    field,
  }),
  typeInvalid: (field: string, value: unknown, detail: string): StatusCause => ({
    reason: 'FieldValueTypeInvalid',
    message: `Invalid value: ${fmtValue(value)}: ${detail}`,
    field,
  }),
  notSupported: (field: string, value: unknown, allowed: unknown[]): StatusCause => ({
    reason: 'FieldValueNotSupported',
    message: `Unsupported value: ${fmtValue(value)}: supported values: ${allowed.map((v) => fmtValue(v)).join(', ')}`,
    field,
  }),
  tooLong: (field: string, max: number): StatusCause => ({ reason: 'FieldValueTooLong', message: `Too long: may not be more than ${max} bytes`, field }),
  tooMany: (field: string, actual: number, max: number): StatusCause => ({
    reason: 'FieldValueTooMany',
    message: `Too many: ${actual}: must have at most ${max} items`,
    field,
  }),
  forbidden: (field: string, detail: string): StatusCause => ({ reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field }),
  duplicate: (field: string, value: unknown): StatusCause => ({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${fmtValue(value)}`, field }),
};

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) return `[]interface {}{...}`;
  if (typeof v === 'object') return `map[string]interface {}{...}`;
  return String(v);
}
