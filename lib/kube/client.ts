// A small typed REST client for the Kubernetes API, built on @kubernetes/client-node's KubeConfig
// (auth, TLS, contexts) and its Watch stream (lib/kube/informer.ts builds caches on it). One generic client for every resource keeps
// subresources (status), dry-run and every patch type available, which the generated per-group
// APIs of client-node make awkward. Business code receives a KubeClient; tests pass one bound to
// the embedded API server.
import https from 'node:https';
import http from 'node:http';
import { KubeConfig, Watch, type KubernetesObject, type KubernetesListObject } from '@kubernetes/client-node';
import { resourcePath, type ResourceDescriptor } from '../../api/resources.ts';
import { Informer, type WatchedCache } from './informer.ts';

export { KubeConfig, type KubernetesObject, type WatchedCache };

interface KubeConfigOptions {
  kubeconfig?: string; // a path; default: KUBECONFIG, ~/.kube/config, then in-cluster
  context?: string;
}

export function loadKubeConfig(opts: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw new Error(`kubeconfig has no context named "${opts.context}"`);
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new Error('no Kubernetes cluster configured: set KUBECONFIG or run in a cluster');
  return kc;
}

/** A failed API call, carrying the server's Status (reason, code, causes). */
export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly status: any,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeApiError && e.statusCode === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeApiError && e.statusCode === 409;
export const isAlreadyExists = (e: unknown): boolean => e instanceof KubeApiError && e.statusCode === 409 && e.reason === 'AlreadyExists';

type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  subresource?: 'status';
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

/** Requests sent and TCP/TLS connections opened by one KubeClient (watches excluded: client-node opens those). */
interface KubeClientStats {
  requests: number;
  connections: number;
}

// TLS settings client-node puts on request options; an agent is reused while they stay the same
// (a rotated client certificate gets a fresh agent).
const TLS_OPTION_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;
// Enough parallel requests for the worker's controllers; more wait in the agent's queue rather than
// opening connections without bound (kube-apiserver speaks HTTP/2 to client-go: one connection).
const MAX_SOCKETS = 16;

export class KubeClient {
  private readonly server: URL;
  private agent: { agent: http.Agent; tls: unknown[] } | undefined;
  private readonly counters: KubeClientStats = { requests: 0, connections: 0 };

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly defaultFieldManager = 'certgate',
    /** requestTimeoutMs: per request (default 30 s, 0 none); headers: sent on every request (the CLI's --as-group, which KubeConfig cannot carry). */
    private readonly options: { requestTimeoutMs?: number; headers?: Record<string, string | string[]> } = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  stats(): KubeClientStats {
    return { ...this.counters };
  }

  /** Closes idle keep-alive connections (a process that ends its work need not wait for their timeout). */
  close(): void {
    this.agent?.agent.destroy();
    this.agent = undefined;
  }

  /**
   * One keep-alive agent for every request: client-node's applyToHTTPSOptions builds a new agent
   * per call, which would make every API call a new TLS handshake. Its proxy agents are kept as they are.
   */
  private agentFor(reqOpts: https.RequestOptions, protocol: string): http.Agent | undefined {
    if (this.kubeConfig.getCurrentCluster()?.proxyUrl) return (reqOpts.agent as http.Agent | undefined) || undefined;
    const tls = TLS_OPTION_KEYS.map((k) => (reqOpts as Record<string, unknown>)[k]);
    const same = (a: unknown, b: unknown) => a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));
    if (this.agent && this.agent.tls.every((v, i) => same(v, tls[i]))) return this.agent.agent;
    const previous = this.agent?.agent;
    const options = {
      keepAlive: true,
      maxSockets: MAX_SOCKETS,
      ...Object.fromEntries(TLS_OPTION_KEYS.map((k, i) => [k, tls[i]]).filter(([, v]) => v !== undefined)),
    };
    const agent = protocol === 'http:' ? new http.Agent(options) : new https.Agent(options);
    const createConnection = agent.createConnection.bind(agent) as (...args: unknown[]) => unknown;
    (agent as { createConnection: unknown }).createConnection = (...args: unknown[]) => {
      this.counters.connections++;
      return createConnection(...args);
    };
    this.agent = { agent, tls };
    // Requests in flight on the old agent finish; its idle sockets close.
    if (previous) setTimeout(() => previous.destroy(), 60_000).unref();
    return agent;
  }

  /** Raw API call. Resolves with the parsed JSON body; throws KubeApiError on a non-2xx answer. */
  async request<T = any>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const reqOpts: https.RequestOptions = { method, headers: { Accept: 'application/json', ...this.options.headers } };
    // Authentication and TLS material on every call (tokens and exec credentials rotate), then our own agent.
    await this.kubeConfig.applyToHTTPSOptions(reqOpts);
    reqOpts.agent = this.agentFor(reqOpts, url.protocol);
    this.counters.requests++;
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    if (body !== undefined) {
      (reqOpts.headers as Record<string, string>)['Content-Type'] = opts.contentType ?? 'application/json';
      (reqOpts.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(body));
    }
    const transport = url.protocol === 'http:' ? http : https;
    const send = (retryOnStaleSocket: boolean): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const req = transport.request(url, reqOpts, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: any = undefined;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = text;
            }
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) return resolve(parsed as T);
            const message = parsed?.message ?? `${method} ${url.pathname}: HTTP ${code}`;
            reject(new KubeApiError(code, parsed?.reason ?? '', message, parsed));
          });
        });
        req.setTimeout(opts.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
        req.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed just as we reused it: the request never reached
          // the server, so send it again once on a fresh connection (Node's documented pattern).
          if (retryOnStaleSocket && req.reusedSocket && err.code === 'ECONNRESET' && method !== 'POST') send(false).then(resolve, reject);
          else reject(err);
        });
        if (body !== undefined) req.write(body);
        req.end();
      });
    return send(true);
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubernetesObject>(r: ResourceDescriptor, namespace: string | undefined, name: string): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', resourcePath(r, namespace, name));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  list<T extends KubernetesObject>(r: ResourceDescriptor, opts: ListOptions = {}): Promise<KubernetesListObject<T>> {
    return this.request('GET', resourcePath(r, opts.namespace), {
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
    });
  }

  create<T extends KubernetesObject>(r: ResourceDescriptor, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.request('POST', resourcePath(r, obj.metadata?.namespace), { body: obj, query: this.writeQuery(opts) });
  }

  /** PUT: fails with 409 Conflict when obj.metadata.resourceVersion is stale. */
  replace<T extends KubernetesObject>(r: ResourceDescriptor, obj: T, opts: WriteOptions = {}): Promise<T> {
    const path = resourcePath(r, obj.metadata?.namespace, obj.metadata!.name!, opts.subresource);
    return this.request('PUT', path, { body: obj, query: this.writeQuery(opts) });
  }

  replaceStatus<T extends KubernetesObject>(r: ResourceDescriptor, obj: T): Promise<T> {
    return this.replace(r, obj, { subresource: 'status' });
  }

  patch<T extends KubernetesObject>(
    r: ResourceDescriptor,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    opts: WriteOptions & { type?: PatchType } = {},
  ): Promise<T> {
    const type = opts.type ?? 'merge';
    return this.request('PATCH', resourcePath(r, namespace, name, opts.subresource), {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: this.writeQuery(opts),
    });
  }

  /** Deletes the object; resolves false when it was already gone. */
  async delete(
    r: ResourceDescriptor,
    namespace: string | undefined,
    name: string,
    opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; dryRun?: boolean } = {},
  ): Promise<boolean> {
    try {
      await this.request('DELETE', resourcePath(r, namespace, name), {
        body: {
          kind: 'DeleteOptions',
          apiVersion: 'v1',
          propagationPolicy: opts.propagationPolicy ?? 'Background',
          ...(opts.dryRun ? { dryRun: ['All'] } : {}),
        },
      });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /**
   * A list+watch cache of one resource (lib/kube/informer.ts: restarts with backoff, relists on
   * 410, reports staleness). Not started: register handlers, then call start().
   * Use selectors to keep memory bounded (e.g. only Secrets certgate manages).
   */
  cache<T extends KubernetesObject>(r: ResourceDescriptor, opts: ListOptions = {}): WatchedCache<T> {
    return new Informer<T>({
      path: resourcePath(r, opts.namespace),
      list: () => this.list<T>(r, opts),
      watch: new Watch(this.kubeConfig),
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
    });
  }

  private writeQuery(opts: WriteOptions): Record<string, string | undefined> {
    return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager ?? this.defaultFieldManager };
  }
}
