// HTTP routing: authentication, non-resource endpoints (version, discovery, OpenAPI), and the
// REST paths /api/v1/... and /apis/<group>/<version>/... mapped onto Rest and WatchHub.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest, causes, forbidden, invalid, methodNotSupported, unauthorized, unsupportedMediaType, type StatusCause } from './errors.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, typesIn, versionInfo } from './discovery.ts';
import { openApiGroupVersion, openApiRoot } from './openapi.ts';
import { toTable } from './table.ts';
import { decodeKubernetesProtobuf } from './protobuf.ts';
import { isDryRun, PROTOBUF_MEDIA_TYPE, readDeleteOptions, unsupportedDryRun } from './delete-options.ts';
import { API_AUDIENCE, type Authenticator } from './auth.ts';
import type { UserInfo } from './admission.ts';
import type { Registry, ResourceType } from './registry.ts';
import type { RequestContext, Rest } from './rest.ts';
import type { WatchHub } from './watch.ts';
import type { Aggregator } from './aggregation.ts';

export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
  namespace?: string;
}
type Authorizer = (a: AuthorizationAttributes) => boolean;

interface HttpDeps {
  registry: Registry;
  rest: Rest;
  watches: WatchHub;
  auth: Authenticator;
  authorizer?: Authorizer;
  address: () => string;
  bookmarkIntervalMs: number;
  /** APIServices backed by a Service (the aggregation layer) */
  aggregator?: Aggregator;
}

const MAX_BODY = 3 * 1024 * 1024;

interface ResourceRoute {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPath: boolean;
}

/** RFC 7234 Warning headers as the real server writes them: code 299, agent "-", the text quoted. */
export function warningHeaders(warnings: string[]): string[] {
  return warnings.map((w) => `299 - "${w.replace(/["\\]/g, (c) => '\\' + c)}"`);
}

function send(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  if (warnings.length) res.setHeader('Warning', warningHeaders(warnings));
  const data = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), 'cache-control': 'no-cache, private' });
  res.end(data);
}

const notFoundPath = (): ApiError => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
const WRITE_OPTIONS_KIND: Record<string, string> = { create: 'CreateOptions', update: 'UpdateOptions', patch: 'PatchOptions' };

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRawBody(req)).toString('utf8');
}

async function readRawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Request bodies: JSON, YAML, or protobuf (kubectl's typed clients send it for built-in kinds). */
async function readObject(req: IncomingMessage, contentType: string): Promise<unknown> {
  const raw = await readRawBody(req);
  if (contentType === PROTOBUF_MEDIA_TYPE) return decodeKubernetesProtobuf(raw);
  return parseBody(raw.toString('utf8'), contentType);
}

function parseBody(raw: string, contentType: string): unknown {
  try {
    if (contentType.includes('yaml')) return parseYaml(raw);
    if (contentType === '' || contentType.includes('json')) return JSON.parse(raw);
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
  throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
}

/** Map a path to a served resource; undefined when it is not a resource path. */
function route(registry: Registry, segments: string[]): ResourceRoute | undefined {
  let group: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    rest = segments.slice(1);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1];
    rest = segments.slice(2);
  } else return undefined;
  const version = rest[0];
  let parts = rest.slice(1);
  let watchPath = false;
  if (parts[0] === 'watch') {
    watchPath = true;
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  // namespaces/<ns>/<resource>/... but namespaces/<name>/status|finalize is the Namespace's own subresource
  if (parts[0] === 'namespaces' && parts.length >= 3 && !(parts.length === 3 && group === '' && (parts[2] === 'status' || parts[2] === 'finalize'))) {
    namespace = parts[1];
    parts = parts.slice(2);
  }
  const type = registry.find(group, version, parts[0]);
  if (!type || parts.length > 3) throw notFoundPath();
  if (type.namespaced === false && namespace !== undefined) throw notFoundPath();
  const subresource = parts[2];
  const known =
    (subresource === 'status' && type.statusSubresource) ||
    (type.kind === 'Namespace' && subresource === 'finalize') ||
    (type.kind === 'ServiceAccount' && subresource === 'token');
  if (subresource !== undefined && !known) throw notFoundPath();
  return { type, namespace, name: parts[1], subresource: subresource === 'finalize' ? 'status' : subresource, watchPath };
}

function nonResource(deps: HttpDeps, path: string, segments: string[]): unknown {
  const { registry } = deps;
  if (path === '/version' || path === '/version/') return versionInfo();
  if (['/healthz', '/livez', '/readyz'].includes(path)) return 'ok';
  if (path === '/api') return apiVersions(deps.address());
  if (path === '/apis') return apiGroupList(registry);
  if (segments[0] === 'api' && segments.length === 2) {
    const types = typesIn(registry, '', segments[1]);
    return types.length ? apiResourceList(types, segments[1]) : undefined;
  }
  if (segments[0] === 'apis' && segments.length === 2) return apiGroup(registry, segments[1]);
  if (segments[0] === 'apis' && segments.length === 3) {
    const types = typesIn(registry, segments[1], segments[2]);
    return types.length ? apiResourceList(types, `${segments[1]}/${segments[2]}`) : undefined;
  }
  if (path === '/openapi/v3') return openApiRoot(registry);
  if (segments[0] === 'openapi' && segments[1] === 'v3') {
    const gv = segments.slice(2);
    if (gv[0] === 'api' && gv.length === 2) return openApiGroupVersion(registry, '', gv[1]);
    if (gv[0] === 'apis' && gv.length === 3) return openApiGroupVersion(registry, gv[1], gv[2]);
  }
  return undefined;
}

function verbOf(method: string, r: ResourceRoute, watch: boolean): string {
  switch (method) {
    case 'GET':
      return r.name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return r.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

export function createHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((e) => {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
      if (res.headersSent) res.end();
      else send(res, err.code, err.toStatus());
    });
  };
}

async function handle(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const authenticated = deps.auth.authenticate(req.headers.authorization);
  if (!authenticated) throw unauthorized();
  const user = impersonate(deps, authenticated, req);
  const url = new URL(req.url ?? '/', 'https://localhost');
  const q = url.searchParams;
  const segments = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  const method = req.method ?? 'GET';

  const aggregated = segments[0] === 'apis' && segments.length >= 3 ? deps.aggregator?.find(segments[1], segments[2]) : undefined;
  if (aggregated) {
    authorizeAggregated(deps, user, method, segments);
    return deps.aggregator!.proxy(aggregated, req, await readRawBody(req), res, user);
  }

  const r = route(deps.registry, segments);
  if (!r) {
    const doc = method === 'GET' ? nonResource(deps, url.pathname.replace(/\/$/, '') || '/', segments) : undefined;
    if (doc === undefined) throw notFoundPath();
    if (typeof doc === 'string') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(doc);
      return;
    }
    return send(res, 200, doc);
  }
  const t = r.type;
  const watch = r.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';
  const verb = verbOf(method, r, watch);
  const subresourceVerbs = r.subresource === 'token' ? ['create'] : ['get', 'update', 'patch'];
  if (r.subresource ? !subresourceVerbs.includes(verb) : !t.verbs.includes(verb))
    throw methodNotSupported(t.group, r.subresource ? `${t.plural}/${r.subresource}` : t.plural, verb);
  if (deps.authorizer && !deps.authorizer({ user, verb, group: t.group, resource: t.plural, subresource: r.subresource, name: r.name, namespace: r.namespace }))
    throw forbidden(user.username, verb, t.group, t.plural, r.name, r.namespace, r.subresource);

  const dryRunParam = q.getAll('dryRun');
  // Like ValidateCreate/Update/PatchOptions: 422 on the verb's options kind (delete's are checked with the rest of DeleteOptions; reads ignore dryRun).
  const writeOptionsKind = WRITE_OPTIONS_KIND[verb];
  if (writeOptionsKind && dryRunParam.some((d) => d !== 'All')) throw invalid(writeOptionsKind, 'meta.k8s.io', '', [unsupportedDryRun(dryRunParam)]);
  if (writeOptionsKind) {
    const optionErrors = fieldManagerErrors(verb, (req.headers['content-type'] ?? '').split(';')[0].trim() === 'application/apply-patch+yaml', q);
    if (optionErrors.length > 0) throw invalid(writeOptionsKind, 'meta.k8s.io', '', optionErrors);
  }
  const fv = q.get('fieldValidation') ?? 'Warn';
  if (!['Strict', 'Warn', 'Ignore'].includes(fv)) throw badRequest(`invalid fieldValidation directive: ${fv}`);
  const ctx: RequestContext = {
    type: t,
    namespace: t.namespaced ? r.namespace : undefined,
    name: r.name,
    subresource: r.subresource,
    user,
    dryRun: dryRunParam.includes('All'),
    fieldValidation: fv as RequestContext['fieldValidation'],
    fieldManager: q.get('fieldManager') ?? undefined,
    userAgent: req.headers['user-agent'],
    force: q.get('force') === 'true',
    warnings: t.deprecationWarning ? [t.deprecationWarning] : [],
  };
  if (t.namespaced && r.namespace === undefined && !['list', 'watch', 'deletecollection'].includes(verb)) throw notFoundPath();
  const accept = req.headers.accept ?? '';
  const wantsTable = accept.includes('as=Table');
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();

  switch (verb) {
    case 'get': {
      const obj = deps.rest.get(ctx);
      return send(res, 200, wantsTable ? toTable(t, [obj], obj.metadata.resourceVersion, q.get('includeObject') ?? 'Metadata') : obj, ctx.warnings);
    }
    case 'list': {
      const list = deps.rest.list(ctx, listQuery(q));
      return send(
        res,
        200,
        wantsTable ? { ...toTable(t, list.items, list.metadata.resourceVersion, q.get('includeObject') ?? 'Metadata'), metadata: list.metadata } : list,
        ctx.warnings,
      );
    }
    case 'watch':
      return deps.watches.serve(req, res, {
        type: t,
        namespace: ctx.namespace,
        labelSelector: q.get('labelSelector') ?? undefined,
        fieldSelector: r.name ? `metadata.name=${r.name}` : (q.get('fieldSelector') ?? undefined),
        resourceVersion: q.get('resourceVersion') ?? undefined,
        allowWatchBookmarks: q.get('allowWatchBookmarks') === 'true',
        sendInitialEvents: q.get('sendInitialEvents') === 'true',
        timeoutSeconds: q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
        bookmarkIntervalMs: deps.bookmarkIntervalMs,
        warnings: ctx.warnings,
        asTable: wantsTable ? (o) => toTable(t, [o], o.metadata.resourceVersion, q.get('includeObject') ?? 'Metadata') : undefined,
      });
    case 'create': {
      if (r.subresource === 'token') return send(res, 201, tokenRequest(deps, ctx, (await readObject(req, contentType)) as any));
      const body = await readObject(req, contentType);
      if (t.kind === 'TokenReview') return send(res, 201, tokenReview(deps, body as any));
      if (t.createOnly) return send(res, 201, accessReview(deps, user, body as any));
      const obj = await deps.rest.create(ctx, body);
      return send(res, 201, obj, ctx.warnings);
    }
    case 'update': {
      const obj = await deps.rest.update(ctx, await readObject(req, contentType));
      return send(res, 200, obj, ctx.warnings);
    }
    case 'patch': {
      const existed = contentType === 'application/apply-patch+yaml' ? safeExists(deps.rest, ctx) : true;
      const obj = await deps.rest.patch(ctx, contentType, await readBody(req));
      return send(res, existed ? 200 : 201, obj, ctx.warnings);
    }
    case 'delete': {
      const options = readDeleteOptions(await readRawBody(req), contentType, q);
      ctx.dryRun = isDryRun(options); // from the options: with a body, the query's dryRun is ignored
      const out = await deps.rest.delete(ctx, options);
      return send(res, 200, out, ctx.warnings);
    }
    case 'deletecollection': {
      const options = readDeleteOptions(await readRawBody(req), contentType, q);
      ctx.dryRun = isDryRun(options);
      const list = deps.rest.list(ctx, listQuery(q));
      const deleted = [];
      for (const item of list.items) {
        try {
          const out = await deps.rest.delete({ ...ctx, namespace: item.metadata.namespace, name: item.metadata.name }, options);
          deleted.push(out.kind === 'Status' ? item : out); // the list holds the deleted objects
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
      return send(res, 200, { apiVersion: list.apiVersion, kind: list.kind, metadata: {}, items: deleted }, ctx.warnings);
    }
    default:
      throw methodNotSupported(t.group, t.plural, verb);
  }
}

/** ValidatePatchOptions / ValidateFieldManager: apply needs a fieldManager, only apply takes force, names are at most 128 characters. */
function fieldManagerErrors(verb: string, isApply: boolean, q: URLSearchParams): StatusCause[] {
  const errs: StatusCause[] = [];
  const manager = q.get('fieldManager') ?? '';
  if (verb === 'patch' && !isApply && q.has('force')) errs.push(causes.forbidden('force', 'may not be specified for non-apply patch'));
  if (isApply && manager === '') errs.push({ ...causes.required('fieldManager'), message: 'Required value: is required for apply patch' });
  if (manager.length > 128) errs.push(causes.tooLong('fieldManager', 128));
  return errs;
}

function safeExists(rest: Rest, ctx: RequestContext): boolean {
  try {
    rest.get(ctx);
    return true;
  } catch {
    return false;
  }
}

function listQuery(q: URLSearchParams) {
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
    limit: q.has('limit') ? Number(q.get('limit')) : undefined,
    continue: q.get('continue') ?? undefined,
  };
}

/** SelfSubjectAccessReview / SubjectAccessReview answered by the configured authorizer (everything allowed without RBAC). */
function accessReview(deps: HttpDeps, requester: UserInfo, body: any): unknown {
  const spec = body?.spec ?? {};
  const ra = spec.resourceAttributes ?? {};
  const user: UserInfo = body?.kind === 'SubjectAccessReview' ? { username: spec.user ?? '', groups: spec.groups ?? [] } : requester;
  const allowed =
    !deps.authorizer ||
    deps.authorizer({
      user,
      verb: ra.verb ?? '',
      group: ra.group ?? '',
      resource: ra.resource ?? '',
      subresource: ra.subresource || undefined,
      name: ra.name || undefined,
      namespace: ra.namespace || undefined,
    });
  return { ...body, metadata: { ...(body?.metadata ?? {}), creationTimestamp: null }, status: { allowed, ...(allowed ? { reason: 'allowed by RBAC' } : {}) } };
}

/**
 * serviceaccounts/<name>/token (kubectl create token, a TokenRequest): a bearer token for that
 * ServiceAccount, for the audiences asked for (default: the API server's) and expiring as asked
 * (default one hour, at least 10 minutes, as kube-apiserver).
 */
function tokenRequest(deps: HttpDeps, ctx: RequestContext, body: { spec?: { audiences?: string[]; expirationSeconds?: number } } | undefined): unknown {
  const spec = body?.spec ?? {};
  deps.rest.get(ctx); // 404 when the ServiceAccount does not exist
  const expirationSeconds = spec.expirationSeconds ?? 3600;
  if (expirationSeconds < 600)
    throw invalid('TokenRequest', 'authentication.k8s.io', ctx.name!, [
      causes.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes'),
    ]);
  const audiences = spec.audiences?.length ? spec.audiences : [API_AUDIENCE];
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name: ctx.name, namespace: ctx.namespace, creationTimestamp: null },
    spec: { audiences, expirationSeconds, boundObjectRef: null },
    status: {
      token: deps.auth.tokenFor(ctx.namespace!, ctx.name!, { audiences, expirationSeconds }),
      expirationTimestamp: new Date(Date.now() + expirationSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}

/** TokenReview: whom a token belongs to, for the audiences asked for (how a relying party checks a ServiceAccount token). */
function tokenReview(deps: HttpDeps, body: any): unknown {
  const spec = body?.spec ?? {};
  const audiences: string[] | undefined = spec.audiences?.length ? spec.audiences : undefined;
  const found = deps.auth.review(String(spec.token ?? ''), audiences);
  const status = found
    ? { authenticated: true, user: { username: found.user.username, groups: found.user.groups }, audiences: found.audiences }
    : { user: {}, error: '[invalid bearer token, token lookup failed]' };
  return { ...body, metadata: { ...(body?.metadata ?? {}), creationTimestamp: null }, status };
}

/** RBAC for a proxied resource request, as the real server checks before proxying: /apis/<g>/<v>[/namespaces/<ns>]/<resource>[/<name>[/<sub>]]. */
function authorizeAggregated(deps: HttpDeps, user: UserInfo, method: string, segments: string[]): void {
  let parts = segments.slice(3);
  if (!deps.authorizer || parts.length === 0) return; // discovery of the group version: allowed to every authenticated user
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1];
    parts = parts.slice(2);
  }
  const [resource, name, subresource] = parts;
  const verb = verbOf(method, { name } as ResourceRoute, false);
  if (!deps.authorizer({ user, verb, group: segments[1], resource, subresource, name, namespace }))
    throw forbidden(user.username, verb, segments[1], resource, name, namespace, subresource);
}

/** Impersonate-User / Impersonate-Group (kubectl --as, --as-group), allowed by RBAC's "impersonate" verb. */
function impersonate(deps: HttpDeps, user: UserInfo, req: IncomingMessage): UserInfo {
  const as = req.headers['impersonate-user'];
  if (typeof as !== 'string' || as === '') return user;
  if (deps.authorizer && !deps.authorizer({ user, verb: 'impersonate', group: '', resource: 'users', name: as }))
    throw new ApiError(
      403,
      'Forbidden',
      `users "${as}" is forbidden: User "${user.username}" cannot impersonate resource "users" in API group "" at the cluster scope`,
      { name: as, kind: 'users' },
    );
  const rawGroups = req.headers['impersonate-group'];
  const groups = (Array.isArray(rawGroups) ? rawGroups : rawGroups ? [rawGroups] : []).flatMap((g) => g.split(',').map((x) => x.trim()));
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(as);
  if (sa) groups.push('system:serviceaccounts', `system:serviceaccounts:${sa[1]}`);
  return { username: as, groups: [...new Set([...groups, 'system:authenticated'])] };
}
