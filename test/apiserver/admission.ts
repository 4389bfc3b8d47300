// Admission webhooks: calls the stored Mutating- then ValidatingWebhookConfigurations over HTTPS
// with admission.k8s.io/v1 AdmissionReview, the way kube-apiserver does. Configurations are read
// from storage on every request, so a webhook that patches its own caBundle takes effect at once.
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { ApiError, badRequest, internal } from './errors.ts';
import { jsonPatch } from './patch.ts';
import { matchLabelSelectorObject } from './selectors.ts';
import type { ResourceType } from './registry.ts';
import type { KObj, Storage } from './storage.ts';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}
export type ServiceResolver = (namespace: string, name: string, port: number) => string;

interface AdmissionAttributes {
  operation: Operation;
  type: ResourceType;
  subresource?: string;
  name: string;
  namespace?: string;
  object?: KObj;
  oldObject?: KObj;
  dryRun: boolean;
  userInfo: UserInfo;
  options?: KObj;
}

const MUTATING = 'admissionregistration.k8s.io/mutatingwebhookconfigurations';
const VALIDATING = 'admissionregistration.k8s.io/validatingwebhookconfigurations';

export class Admission {
  constructor(
    private storage: Storage,
    private serviceResolver?: ServiceResolver,
  ) {}

  /** Runs mutating webhooks in order; returns the (possibly patched) object and warnings. */
  async mutate(attrs: AdmissionAttributes, warnings: string[]): Promise<KObj | undefined> {
    let object = attrs.object;
    for (const hook of this.hooks(MUTATING, attrs)) {
      const response = await this.call(hook, { ...attrs, object }, warnings);
      if (response?.patch && object) {
        if (response.patchType !== 'JSONPatch') throw internal(`admission webhook "${hook.name}" returned an unsupported patchType ${response.patchType}`);
        object = jsonPatch(object, JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')));
      }
    }
    return object;
  }

  /** Runs validating webhooks (in parallel, like the real server). */
  async validate(attrs: AdmissionAttributes, warnings: string[]): Promise<void> {
    await Promise.all(this.hooks(VALIDATING, attrs).map((hook) => this.call(hook, attrs, warnings)));
  }

  private hooks(resource: string, attrs: AdmissionAttributes): any[] {
    const t = attrs.type;
    if (t.group === 'admissionregistration.k8s.io') return []; // webhooks never intercept their own configuration
    const out: any[] = [];
    for (const cfg of this.storage.list(resource)) {
      for (const hook of cfg.webhooks ?? []) if (this.matches(hook, attrs)) out.push(hook);
    }
    return out;
  }

  private matches(hook: any, attrs: AdmissionAttributes): boolean {
    const t = attrs.type;
    const resourceName = attrs.subresource ? `${t.plural}/${attrs.subresource}` : t.plural;
    const ruleMatches = (hook.rules ?? []).some((r: any) => {
      const has = (list: string[] | undefined, v: string) => (list ?? []).includes('*') || (list ?? []).includes(v);
      if (!has(r.operations, attrs.operation) || !has(r.apiGroups, t.group) || !has(r.apiVersions, t.version)) return false;
      const scope = r.scope ?? '*';
      if (scope === 'Cluster' && t.namespaced) return false;
      if (scope === 'Namespaced' && !t.namespaced) return false;
      return (r.resources ?? []).some((pattern: string) => {
        if (pattern === '*/*' || pattern === resourceName) return true;
        const [pr, ps] = pattern.split('/');
        if (ps === undefined) return !attrs.subresource && (pr === '*' || pr === t.plural);
        return (pr === '*' || pr === t.plural) && (ps === '*' || ps === attrs.subresource);
      });
    });
    if (!ruleMatches) return false;
    const objLabels = [attrs.object?.metadata?.labels, attrs.oldObject?.metadata?.labels].filter((l) => l !== undefined);
    if (hook.objectSelector && !(objLabels.length ? objLabels : [{}]).some((l) => matchLabelSelectorObject(hook.objectSelector, l))) return false;
    if (hook.namespaceSelector && (t.namespaced || t.kind === 'Namespace')) {
      const nsLabels =
        t.kind === 'Namespace'
          ? (attrs.object ?? attrs.oldObject)?.metadata?.labels
          : this.storage.peek('/namespaces', undefined, attrs.namespace ?? '')?.metadata?.labels;
      if (!matchLabelSelectorObject(hook.namespaceSelector, nsLabels ?? {})) return false;
    }
    return true;
  }

  private async call(hook: any, attrs: AdmissionAttributes, warnings: string[]): Promise<any> {
    if (attrs.dryRun && !['None', 'NoneOnDryRun'].includes(hook.sideEffects)) throw badRequest(`admission webhook "${hook.name}" does not support dry run`);
    const uid = randomUUID();
    const t = attrs.type;
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: { group: t.group, version: t.version, kind: t.kind },
        resource: { group: t.group, version: t.version, resource: t.plural },
        ...(attrs.subresource ? { subResource: attrs.subresource, requestSubResource: attrs.subresource } : {}),
        requestKind: { group: t.group, version: t.version, kind: t.kind },
        requestResource: { group: t.group, version: t.version, resource: t.plural },
        name: attrs.name,
        ...(attrs.namespace ? { namespace: attrs.namespace } : {}),
        operation: attrs.operation,
        userInfo: attrs.userInfo,
        object: attrs.object ?? null,
        oldObject: attrs.oldObject ?? null,
        dryRun: attrs.dryRun,
        options: attrs.options ?? null,
      },
    };
    const timeoutSeconds = hook.timeoutSeconds ?? 10;
    let body: any;
    try {
      body = await post(this.urlOf(hook, timeoutSeconds), hook.clientConfig?.caBundle, review, timeoutSeconds * 1000);
      if (body?.response?.uid !== uid) throw new Error(`expected response.uid="${uid}", got "${body?.response?.uid ?? ''}"`);
    } catch (e) {
      if (hook.failurePolicy === 'Ignore') return undefined;
      throw internal(`failed calling webhook "${hook.name}": ${(e as Error).message}`);
    }
    const response = body.response;
    for (const w of response.warnings ?? []) warnings.push(String(w));
    if (!response.allowed) throw denial(hook.name, response.status);
    return response;
  }

  private urlOf(hook: any, timeoutSeconds: number): string {
    const cc = hook.clientConfig ?? {};
    let base: string;
    if (cc.url) base = cc.url;
    else if (cc.service) {
      const { namespace, name, port = 443, path = '' } = cc.service;
      if (!this.serviceResolver)
        throw new Error(
          `failed to call webhook: service "${namespace}/${name}" cannot be reached: the embedded API server has no cluster network (pass serviceResolver to startApiServer)`,
        );
      base = this.serviceResolver(namespace, name, port).replace(/\/$/, '') + path;
    } else throw new Error('failed to call webhook: clientConfig has neither url nor service');
    const u = new URL(base);
    u.searchParams.set('timeout', `${timeoutSeconds}s`);
    return u.toString();
  }
}

/** The real server's ToStatusErr: "admission webhook "name" denied the request: message", code >= 400. */
function denial(name: string, status: any): ApiError {
  const s = status ?? {};
  const deniedBy = `admission webhook "${name}" denied the request`;
  const message = s.message ? `${deniedBy}: ${s.message}` : s.reason ? `${deniedBy}: ${s.reason}` : `${deniedBy} without explanation`;
  const code = typeof s.code === 'number' && s.code >= 400 ? s.code : 400;
  return new ApiError(code, s.reason ?? '', message, s.details);
}

/**
 * A connection failure in the words of Go's net/http and crypto/tls (kube-apiserver is a Go
 * program): users see these quoted in API errors, so docs and CLI output match a real cluster.
 */
function goNetError(e: NodeJS.ErrnoException, u: URL): string {
  const host = `${u.hostname}:${u.port || 443}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${host}: connect: connection refused`;
    case 'ECONNRESET':
      return `read tcp ${host}: read: connection reset by peer`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${u.hostname}: no such host`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${u.hostname}`;
    default:
      return e.message;
  }
}

function post(url: string, caBundle: string | undefined, review: unknown, timeoutMs: number, retried = false): Promise<any> {
  const data = Buffer.from(JSON.stringify(review));
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': data.length },
        ca: caBundle ? Buffer.from(caBundle, 'base64').toString('utf8') : undefined,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200)
            return reject(new Error(`failed to call webhook: the server responded with status ${res.statusCode}: ${text.slice(0, 200)}`));
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new Error('received invalid webhook response: not a JSON AdmissionReview'));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`failed to call webhook: Post "${url}": context deadline exceeded`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      // a kept-alive connection the webhook closed meanwhile: retry once on a new one, as Go's transport does
      if (req.reusedSocket && e.code === 'ECONNRESET' && !retried) return resolve(post(url, caBundle, review, timeoutMs, true));
      reject(e.message.startsWith('failed to call webhook') ? e : new Error(`failed to call webhook: Post "${url}": ${goNetError(e, new URL(url))}`));
    });
    req.end(data);
  });
}
