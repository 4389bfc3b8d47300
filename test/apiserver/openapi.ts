// OpenAPI v3 documents, enough for kubectl: it checks that PATCH of a kind accepts the
// fieldValidation query parameter (then leaves unknown-field checks to the server) and reads
// schemas for `kubectl explain`. Strategic merge patch is not advertised, so kubectl computes it
// from its compiled-in types, which is what it does for built-in kinds anyway.
import { createHash } from 'node:crypto';
import type { Registry, ResourceType } from './registry.ts';

const gvPath = (group: string, version: string): string => (group ? `apis/${group}/${version}` : `api/${version}`);
const schemaName = (t: ResourceType): string => `${(t.group || 'io.k8s.api.core').split('.').reverse().join('.')}.${t.version}.${t.kind}`;

export function openApiRoot(registry: Registry): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [group, versions] of registry.groups()) {
    for (const v of versions) {
      const doc = openApiGroupVersion(registry, group, v);
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
      paths[gvPath(group, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, v)}?hash=${hash}` };
    }
  }
  return { paths };
}

export function openApiGroupVersion(registry: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const params = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'].map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } }));
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const ref = { $ref: `#/components/schemas/${schemaName(t)}` };
    const content = (types: string[]) => Object.fromEntries(types.map((ct) => [ct, { schema: ref }]));
    const op = (action: string, body?: string[]) => ({
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      ...(body ? { requestBody: { content: content(body) } } : {}),
      parameters: params, // kubectl looks for fieldValidation on the operation itself
      responses: { '200': { description: 'OK', content: content(['application/json']) } },
    });
    const base = `/${gvPath(t.group, t.version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}`;
    paths[base] = { get: op('list'), post: op('post', ['*/*']) };
    paths[`${base}/{name}`] = {
      get: op('get'),
      put: op('put', ['*/*']),
      delete: op('delete'),
      patch: op('patch', ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']),
    };
    if (t.statusSubresource)
      paths[`${base}/{name}/status`] = {
        get: op('get'),
        put: op('put', ['*/*']),
        patch: op('patch', ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']),
      };
    schemas[schemaName(t)] = {
      ...(t.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }),
      'x-kubernetes-group-version-kind': [gvk],
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}
