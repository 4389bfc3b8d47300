// The verbs on one resource type: create, get, list, update, patch, delete, deletecollection,
// with the real server's ordering: decode (prune, default) -> mutating admission -> validation ->
// validating admission -> storage, and its rules for resourceVersion, generation, status and finalizers.
import { parse as parseYaml } from 'yaml';
import {
  ApiError,
  alreadyExists,
  badRequest,
  gone,
  causes,
  conflict,
  invalid,
  notFound,
  preconditionFailed,
  unsupportedMediaType,
  type StatusCause,
} from './errors.ts';
import { failedPrecondition, type DeleteOptions } from './delete-options.ts';
import { applyDefaults, pruneUnknown, validate } from './schema-validate.ts';
import { carryMeta, deepEqual, generateNameSuffix, initMeta, noNewFinalizers, now, specChanged, validateName } from './meta.ts';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts';
import { applyConfig, recordUpdate, type WriteInfo } from './managed-fields.ts';
import { BUILTIN_FIELD_TREES } from './builtin-schemas.ts';
import { secretDataDecodeError, validateBuiltin, validateMetadata } from './builtin-validation.ts';
import { prepareBuiltin, tracksGeneration, unknownTopLevelFields, warningsOnCreate } from './strategies.ts';
import { crdStatus, validateCrd } from './crd.ts';
import { apiVersionOf, resourceKey, type ResourceType } from './registry.ts';
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { Admission, Operation, UserInfo } from './admission.ts';
import type { KObj, Storage } from './storage.ts';

export interface RequestContext {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  user: UserInfo;
  dryRun: boolean;
  fieldValidation: 'Strict' | 'Warn' | 'Ignore';
  fieldManager?: string;
  /** the request's User-Agent: names the field manager when fieldManager is not given */
  userAgent?: string;
  /** server-side apply: take ownership of conflicting fields */
  force?: boolean;
  warnings: string[];
}

/** prefixFromUserAgent: without a fieldManager, writes are owned by the User-Agent's product name (up to the first "/"). */
function managerOf(ctx: RequestContext): string {
  if (ctx.fieldManager) return ctx.fieldManager;
  return [...(ctx.userAgent ?? '').split('/')[0]]
    .filter((c) => c >= ' ' && c !== '\x7f')
    .join('')
    .slice(0, 128);
}

const writeInfo = (ctx: RequestContext): WriteInfo => ({
  type: ctx.type,
  manager: managerOf(ctx),
  apiVersion: apiVersionOf(ctx.type),
  subresource: ctx.subresource,
});

interface RestHooks {
  /** called after every stored change (not for dry runs) */
  changed(type: ResourceType, obj: KObj, deleted: boolean): void;
  /** checks a create or update after mutating admission, before validation (RBAC escalation prevention); throws to refuse */
  guard?(ctx: RequestContext, obj: KObj, old?: KObj): void;
}

interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  limit?: number;
  continue?: string;
}

function decodeContinue(token: string): number {
  try {
    const start = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')).start;
    if (Number.isInteger(start) && start >= 0) return start;
  } catch {}
  throw badRequest('continue key is not valid: invalid continue token');
}

export const keyOf = (t: ResourceType): string => resourceKey(t.group, t.plural);

/**
 * Output form: the requested version's apiVersion and kind (no conversion between CR versions beyond
 * that). Custom resources come out with every object's keys sorted, as the real server encodes the
 * maps it decoded them into; code that compares serialized objects must not depend on key order.
 */
export function present(t: ResourceType, obj: KObj): KObj {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  const out = { apiVersion: apiVersionOf(t), kind: t.kind, ...rest };
  return t.builtin ? out : sortKeysDeep(out);
}

function sortKeysDeep<V>(v: V): V {
  if (Array.isArray(v)) return v.map(sortKeysDeep) as V;
  if (v === null || typeof v !== 'object') return v;
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) sorted[k] = sortKeysDeep((v as Record<string, unknown>)[k]);
  return sorted as V;
}

export class Rest {
  constructor(
    private storage: Storage,
    private admission: Admission,
    private hooks: RestHooks,
  ) {}

  get(ctx: RequestContext): KObj {
    const obj = this.storage.get(keyOf(ctx.type), ctx.namespace, ctx.name!);
    if (!obj) throw notFound(ctx.type.group, ctx.type.plural, ctx.name!);
    return present(ctx.type, obj);
  }

  list(ctx: RequestContext, q: ListQuery): KObj {
    const t = ctx.type;
    const current = this.storage.currentRv();
    let items: KObj[];
    const rv = q.resourceVersion ? Number(q.resourceVersion) : undefined;
    if (rv !== undefined && !Number.isInteger(rv)) throw badRequest(`invalid resource version "${q.resourceVersion}"`);
    if (rv !== undefined && rv > current && q.resourceVersionMatch !== undefined)
      throw new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${rv}, current: ${current}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: `Too large resource version` }],
        retryAfterSeconds: 1,
      });
    const labels = q.labelSelector ? parseLabelSelector(q.labelSelector) : undefined;
    const fields = q.fieldSelector ? parseFieldSelector(q.fieldSelector, t.kind) : undefined;
    const selected = (o: Readonly<KObj>) => (!labels || matchLabels(labels, o.metadata.labels)) && (!fields || matchFields(fields, o));
    if (q.resourceVersionMatch === 'Exact' && rv !== undefined && rv < current) {
      const past = this.storage.listAt(keyOf(t), rv, ctx.namespace);
      if (past === 'expired') throw gone(`The resourceVersion for the provided list is too old.`);
      items = past.filter(selected);
    } else items = this.storage.list(keyOf(t), ctx.namespace, selected);
    const listRv = q.resourceVersionMatch === 'Exact' && rv !== undefined ? rv : current;
    const metadata: KObj = { resourceVersion: String(listRv) };
    const start = q.continue ? decodeContinue(q.continue) : 0;
    // resourceVersion=0 (any version) is served from the watch cache, which ignores limit
    const fromWatchCache = q.resourceVersion === '0' && q.resourceVersionMatch !== 'Exact' && !q.continue;
    if (q.limit && q.limit > 0 && !fromWatchCache) {
      const page = items.slice(start, start + q.limit);
      if (start + q.limit < items.length) {
        metadata.continue = Buffer.from(JSON.stringify({ start: start + q.limit })).toString('base64url');
        // etcd can count what is left only without a selector
        if (!labels && !fields) metadata.remainingItemCount = items.length - start - q.limit;
      }
      items = page;
    } else items = items.slice(start);
    return { apiVersion: apiVersionOf(t), kind: t.listKind, metadata, items: items.map((o) => present(t, o)) };
  }

  /** `applied`: the body is a server-side apply result that already carries its managedFields. */
  async create(ctx: RequestContext, body: unknown, applied = false): Promise<KObj> {
    const t = ctx.type;
    this.checkNamespaceWritable(ctx);
    let obj = this.decode(ctx, body);
    if (!obj.metadata.name) {
      if (!obj.metadata.generateName)
        throw invalid(t.kind, t.group, '', [{ ...causes.required('metadata.name'), message: 'Required value: name or generateName is required' }]);
      obj.metadata.name = obj.metadata.generateName + generateNameSuffix();
    }
    if (ctx.name && ctx.name !== obj.metadata.name)
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${ctx.name})`);
    const name = obj.metadata.name as string;
    const sentResourceVersion = obj.metadata.resourceVersion;
    initMeta(obj, tracksGeneration(t));
    if (t.statusSubresource && t.kind !== 'Namespace') delete obj.status;
    prepareBuiltin(t, obj, undefined);
    if (!applied) recordUpdate(writeInfo(ctx), undefined, obj);
    const attrs = {
      operation: 'CREATE' as Operation,
      type: t,
      name,
      namespace: ctx.namespace,
      dryRun: ctx.dryRun,
      userInfo: ctx.user,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions', ...(ctx.fieldManager ? { fieldManager: ctx.fieldManager } : {}) },
    };
    obj = (await this.admission.mutate({ ...attrs, object: present(t, obj) }, ctx.warnings)) as KObj;
    obj = this.afterMutation(t, obj);
    this.hooks.guard?.({ ...ctx, name }, obj);
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io') obj.status = crdStatus(obj);
    this.validateObject(t, obj, [...validateName(name, t.kind)]);
    ctx.warnings.push(...warningsOnCreate(t, obj));
    await this.admission.validate({ ...attrs, object: present(t, obj) }, ctx.warnings);
    if (ctx.dryRun) {
      if (this.storage.peek(keyOf(t), ctx.namespace, name)) throw alreadyExists(t.group, t.plural, name);
      return present(t, obj);
    }
    // etcd3's store refuses a create that carries a resourceVersion (a parseable, non-zero one) before
    // it looks for an existing object; the dry-run store skips that check
    if (Number(sentResourceVersion) > 0) throw new ApiError(500, '', 'resourceVersion should not be set on objects to be created');
    if (this.storage.peek(keyOf(t), ctx.namespace, name)) throw alreadyExists(t.group, t.plural, name);
    const stored = this.storage.put(keyOf(t), obj);
    this.hooks.changed(t, stored, false);
    return present(t, stored);
  }

  async update(ctx: RequestContext, body: unknown): Promise<KObj> {
    const t = ctx.type;
    const old = this.storage.get(keyOf(t), ctx.namespace, ctx.name!);
    if (!old) throw notFound(t.group, t.plural, ctx.name!);
    const obj = this.decode(ctx, body);
    if (obj.metadata.name !== ctx.name)
      throw badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${ctx.name})`);
    const rv = obj.metadata.resourceVersion;
    if (!rv && !t.builtin)
      throw invalid(t.kind, t.group, ctx.name!, [
        { reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' },
      ]);
    if (rv && rv !== old.metadata.resourceVersion) throw conflict(t.group, t.plural, ctx.name!);
    return this.writeUpdate(ctx, old, obj);
  }

  async patch(ctx: RequestContext, contentType: string, raw: string): Promise<KObj> {
    const t = ctx.type;
    const old = this.storage.get(keyOf(t), ctx.namespace, ctx.name!);
    let body: any;
    try {
      body = contentType === 'application/apply-patch+yaml' ? parseYaml(raw) : JSON.parse(raw);
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    if (contentType === 'application/apply-patch+yaml') {
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw badRequest('error decoding patch: the applied configuration is not an object');
      // the configuration as applied (checked and pruned, not defaulted): its fields are what the manager owns
      const config = this.decode(ctx, { ...body, metadata: { ...(body.metadata ?? {}), name: body.metadata?.name ?? ctx.name } }, false);
      delete config.metadata.managedFields;
      const merged = applyConfig(writeInfo(ctx), old ?? undefined, config, ctx.force === true);
      if (!old) return this.create(ctx, merged, true); // server-side apply creates missing objects
      merged.metadata.resourceVersion = old.metadata.resourceVersion;
      return this.writeUpdate(ctx, old, this.decode(ctx, merged), true);
    }
    if (!old) throw notFound(t.group, t.plural, ctx.name!);
    let patched: KObj;
    switch (contentType) {
      case 'application/merge-patch+json':
        patched = mergePatch(old, body);
        break;
      case 'application/json-patch+json':
        patched = jsonPatch(old, body);
        break;
      case 'application/strategic-merge-patch+json':
        if (!t.builtin)
          throw unsupportedMediaType(
            'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
          );
        patched = strategicMergePatch(t.kind, old, body);
        break;
      default:
        throw unsupportedMediaType(
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${t.builtin ? ', application/strategic-merge-patch+json' : ''}`,
        );
    }
    if (typeof patched?.metadata !== 'object') throw badRequest('patch removed metadata');
    if (patched.metadata.resourceVersion !== old.metadata.resourceVersion) throw conflict(t.group, t.plural, ctx.name!);
    patched.metadata.name ??= ctx.name;
    return this.writeUpdate(ctx, old, this.decode(ctx, patched));
  }

  /**
   * Every kind here deletes at once (or waits for finalizers) whatever gracePeriodSeconds says: the
   * real server does the same for all kinds but Pods, and for Pods no node ever ran (no kubelet).
   */
  async delete(ctx: RequestContext, options: DeleteOptions = {}): Promise<KObj> {
    const t = ctx.type;
    const old = this.storage.get(keyOf(t), ctx.namespace, ctx.name!);
    if (!old) throw notFound(t.group, t.plural, ctx.name!);
    const failed = failedPrecondition(options, old.metadata);
    if (failed) throw preconditionFailed(t.group, t.plural, ctx.name!, failed);
    const attrs = {
      operation: 'DELETE' as Operation,
      type: t,
      name: ctx.name!,
      namespace: ctx.namespace,
      dryRun: ctx.dryRun,
      userInfo: ctx.user,
      oldObject: present(t, old),
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', ...options },
    };
    await this.admission.mutate(attrs, ctx.warnings);
    await this.admission.validate(attrs, ctx.warnings);
    if (ctx.dryRun) return present(t, old);
    const finalizers: string[] = old.metadata.finalizers ?? [];
    if (finalizers.length > 0 || t.kind === 'Namespace') {
      if (old.metadata.deletionTimestamp) return present(t, old);
      old.metadata.deletionTimestamp = now();
      old.metadata.deletionGracePeriodSeconds = 0;
      if (t.kind === 'Namespace') old.status = { ...(old.status ?? {}), phase: 'Terminating' };
      const stored = this.storage.put(keyOf(t), old);
      this.hooks.changed(t, stored, false);
      return present(t, stored);
    }
    if (options.propagationPolicy === 'Orphan' || options.orphanDependents === true) this.orphanDependents(old.metadata.uid);
    return this.remove(t, old);
  }

  /** propagationPolicy=Orphan: dependents lose their reference to the owner instead of being collected. */
  private orphanDependents(uid: string): void {
    const dependents = [...this.storage.scan()].filter(({ obj }) => (obj.metadata.ownerReferences ?? []).some((r: KObj) => r.uid === uid));
    for (const { resource, obj } of dependents) {
      const copy = structuredClone(obj) as KObj;
      copy.metadata.ownerReferences = copy.metadata.ownerReferences.filter((r: KObj) => r.uid !== uid);
      if (copy.metadata.ownerReferences.length === 0) delete copy.metadata.ownerReferences;
      this.storage.put(resource, copy);
    }
  }

  /** Remove an object now (no admission): for garbage collection and the namespace controller too. */
  remove(t: ResourceType, old: KObj): KObj {
    const removed = this.storage.remove(keyOf(t), old.metadata.namespace, old.metadata.name);
    if (!removed) throw notFound(t.group, t.plural, old.metadata.name);
    this.hooks.changed(t, removed, true);
    if (!t.builtin || t.kind === 'Pod') return present(t, removed);
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: removed.metadata.name, group: t.group, kind: t.plural, uid: removed.metadata.uid },
    };
  }

  /** Shared tail of update and patch: status/subresource rules, generation, admission, finalizers, no-op detection. */
  private async writeUpdate(ctx: RequestContext, old: KObj, incoming: KObj, applied = false): Promise<KObj> {
    const t = ctx.type;
    let obj: KObj;
    if (ctx.subresource === 'status') {
      obj = structuredClone(old);
      if (incoming.status === undefined) delete obj.status;
      else obj.status = incoming.status;
    } else {
      obj = incoming;
      carryMeta(obj, old);
      if (t.statusSubresource) {
        if (old.status === undefined) delete obj.status;
        else obj.status = old.status;
      }
      prepareBuiltin(t, obj, old);
    }
    if (applied && ctx.subresource === 'status') obj.metadata.managedFields = incoming.metadata.managedFields;
    else if (!applied) recordUpdate(writeInfo(ctx), old, obj);
    obj.metadata.resourceVersion = old.metadata.resourceVersion;
    const attrs = {
      operation: 'UPDATE' as Operation,
      type: t,
      subresource: ctx.subresource,
      name: ctx.name!,
      namespace: ctx.namespace,
      dryRun: ctx.dryRun,
      userInfo: ctx.user,
      oldObject: present(t, old),
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'UpdateOptions', ...(ctx.fieldManager ? { fieldManager: ctx.fieldManager } : {}) },
    };
    obj = (await this.admission.mutate({ ...attrs, object: present(t, obj) }, ctx.warnings)) as KObj;
    obj = this.afterMutation(t, obj);
    if (ctx.subresource !== 'status') this.hooks.guard?.(ctx, obj, old);
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io' && ctx.subresource !== 'status')
      obj.status = crdStatus({ ...obj, status: old.status });
    // Like kube-apiserver's PrepareForUpdate: generation moves only when the spec changed after mutating admission.
    if (tracksGeneration(t) && specChanged(old, obj, t.statusSubresource)) obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
    this.validateObject(t, obj, noNewFinalizers(obj, old), old, ctx.subresource);
    await this.admission.validate({ ...attrs, object: present(t, obj) }, ctx.warnings);
    // no-op (nothing changed, field ownership included): no new resourceVersion
    const { resourceVersion: _a, ...newMeta } = obj.metadata;
    const { resourceVersion: _c, ...oldMeta } = old.metadata;
    if (deepEqual({ ...obj, metadata: newMeta }, { ...old, metadata: oldMeta })) return present(t, old);
    if (ctx.dryRun) return present(t, obj);
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0 && t.kind !== 'Namespace') {
      const last = this.storage.put(keyOf(t), obj); // MODIFIED, then DELETED, like etcd sees it
      this.hooks.changed(t, last, false);
      this.remove(t, last);
      return present(t, last);
    }
    const stored = this.storage.put(keyOf(t), obj);
    this.hooks.changed(t, stored, false);
    return present(t, stored);
  }

  /** Decoding rules: apiVersion/kind defaults and checks, namespace, unknown fields (strict/warn/ignore), CR defaults. */
  private decode(ctx: RequestContext, body: unknown, withDefaults = true): KObj {
    const t = ctx.type;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`the body of the request was not a JSON object`);
    const obj = structuredClone(body) as KObj;
    const [bodyGroup] = typeof obj.apiVersion === 'string' && obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : [''];
    if (obj.apiVersion && (bodyGroup !== t.group || (t.builtin && obj.apiVersion !== apiVersionOf(t))))
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(t)})`);
    if (obj.kind && obj.kind !== t.kind) throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${t.kind})`);
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    if (obj.metadata === undefined) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || obj.metadata === null) throw badRequest('metadata must be an object');
    if (t.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== ctx.namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      obj.metadata.namespace = ctx.namespace;
    } else delete obj.metadata.namespace;
    let unknown: string[];
    const fieldTree = t.schema ?? BUILTIN_FIELD_TREES[`${t.group}/${t.kind}`];
    if (fieldTree) unknown = pruneUnknown(fieldTree, obj);
    else {
      unknown = unknownTopLevelFields(t, obj);
      for (const k of unknown) delete obj[k];
    }
    if (unknown.length > 0) {
      const list = unknown.map((u) => `unknown field "${u}"`);
      if (ctx.fieldValidation === 'Strict')
        throw badRequest(`${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${list.join(', ')}`);
      if (ctx.fieldValidation === 'Warn') ctx.warnings.push(...list);
    }
    if (t.schema && withDefaults) applyDefaults(t.schema, obj);
    const decodeError = secretDataDecodeError(t, obj);
    if (decodeError) throw badRequest(decodeError);
    return obj;
  }

  /** Webhooks may add unknown fields or drop defaults: prune and default again silently. */
  private afterMutation(t: ResourceType, obj: KObj): KObj {
    const out = structuredClone(obj);
    if (t.schema) {
      pruneUnknown(t.schema, out);
      applyDefaults(t.schema, out);
    }
    return out;
  }

  private validateObject(t: ResourceType, obj: KObj, extra: StatusCause[], old?: KObj, subresource?: string): void {
    const errs = [...extra, ...validateMetadata(obj), ...validateBuiltin(t, obj, old)];
    // The status strategy validates the status alone against the status schema, so its errors name
    // fields relative to status ("conditions[0].type", no "status." prefix), as the real server's do.
    if (t.schema && subresource === 'status') {
      const statusSchema = t.schema.properties?.status;
      if (statusSchema && obj.status !== undefined) errs.push(...validate(statusSchema, obj.status, ''));
    } else if (t.schema) errs.push(...validate(t.schema, obj, ''));
    if (t.kind === 'CustomResourceDefinition' && t.group === 'apiextensions.k8s.io') errs.push(...validateCrd(obj));
    if (errs.length > 0) throw invalid(t.kind, t.group, obj.metadata.name ?? '', errs);
  }

  private checkNamespaceWritable(ctx: RequestContext): void {
    if (!ctx.type.namespaced) return;
    const ns = this.storage.peek('/namespaces', undefined, ctx.namespace ?? '');
    if (!ns) throw notFound('', 'namespaces', ctx.namespace ?? '');
    if (ns.metadata.deletionTimestamp)
      throw new ApiError(
        403,
        'Forbidden',
        `${ctx.type.plural}${ctx.type.group ? '.' + ctx.type.group : ''} "${ctx.name ?? ''}" is forbidden: unable to create new content in namespace ${ctx.namespace} because it is being terminated`,
        {
          name: ctx.name,
          group: ctx.type.group,
          kind: ctx.type.plural,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ctx.namespace} is being terminated`, field: 'metadata.namespace' }],
        },
      );
  }
}
