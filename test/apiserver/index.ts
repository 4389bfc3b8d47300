// The embedded Kubernetes API server: HTTPS on loopback, bearer tokens, a kubeconfig on disk.
// Wires storage, registry, admission, REST verbs, watches and background controllers.
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, existsSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { Storage, type KObj } from './storage.ts';
import { Registry, resourceKey, type ResourceType } from './registry.ts';
import { Admission, type ServiceResolver } from './admission.ts';
import { Rest, type RequestContext } from './rest.ts';
import { Controllers } from './gc.ts';
import { WatchHub } from './watch.ts';
import { Authenticator, ADMIN_USER } from './auth.ts';
import { createHandler } from './http.ts';
import { crdToTypes } from './crd.ts';
import { createTestCa, type KeyPairPem } from './tls.ts';
import { ApiError } from './errors.ts';
import { RbacAuthorizer } from './rbac.ts';
import { checkEscalation } from './rbac-escalation.ts';
import { Aggregator } from './aggregation.ts';

export { createTestCa, type TestCa, type KeyPairPem } from './tls.ts';

export interface EmbeddedApiServer {
  url: string;
  kubeconfigPath: string;
  caPem: string;
  token: string;
  stop(): Promise<void>;
  /** a bearer token for system:serviceaccount:<namespace>:<serviceAccount> */
  tokenFor(namespace: string, serviceAccount: string): string;
  /** writes a kubeconfig authenticating as that ServiceAccount; returns its path */
  kubeconfigFor(namespace: string, serviceAccount: string): Promise<string>;
  /** drop all watch history: any older resourceVersion now gets 410 Gone */
  compactHistory(): void;
  /** end every open watch connection, as a server restart or network drop would */
  closeWatches(): void;
  /**
   * End every watch and refuse new ones (429 "storage is (re)initializing", as a restarting real
   * server does) until release() is called; lists and writes go on. Tests make changes in this gap
   * and compactHistory() to force clients through the 410 relist path.
   */
  holdWatches(): () => void;
}

export interface StartOptions {
  port?: number;
  dir?: string;
  statePath?: string;
  crdDir?: string | null;
  rbac?: boolean;
  /** how many changes watches can resume across before 410 Gone (default 1000) */
  historyWindow?: number;
  /** how often watches that allow BOOKMARKs get one when their deadline is further (default 60 s, the real server's minute); always 2 s before the deadline */
  bookmarkIntervalMs?: number;
  /** where webhooks with clientConfig.service, and APIServices whose Service is not ExternalName, are reached (no cluster network here) */
  serviceResolver?: ServiceResolver;
  /** observe every request (tests assert e.g. that an informer relisted; benchmarks count requests and connections per client) */
  onRequest?: (method: string, url: string, req: IncomingMessage) => void;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

interface ServingTls {
  caPem: string;
  server: KeyPairPem;
}
let tlsMaterial: ServingTls | undefined;
/** One CA and serving certificate per process: minting RSA keys and signing in JS costs seconds. */
function serverTls(): ServingTls {
  if (!tlsMaterial) {
    const ca = createTestCa('certgate-embedded-apiserver-ca');
    tlsMaterial = { caPem: ca.certPem, server: ca.issue(['127.0.0.1', 'localhost'], 'kube-apiserver') };
  }
  return tlsMaterial;
}

/** The CA and serving pair stored in dir by an earlier start (while valid for another day), else fresh ones, stored. */
function reusableTls(dir: string): ServingTls {
  const [caFile, certFile, keyFile] = ['ca.crt', 'apiserver.crt', 'apiserver.key'].map((f) => join(dir, f));
  if ([caFile, certFile, keyFile].every((f) => existsSync(f))) {
    const certPem = readFileSync(certFile, 'utf8');
    if (Date.parse(new X509Certificate(certPem).validTo) > Date.now() + 86_400_000)
      return { caPem: readFileSync(caFile, 'utf8'), server: { certPem, keyPem: readFileSync(keyFile, 'utf8') } };
  }
  const tls = serverTls();
  writeFileSync(certFile, tls.server.certPem);
  writeFileSync(keyFile, tls.server.keyPem, { mode: 0o600 });
  return tls;
}

export async function startApiServer(opts: StartOptions = {}): Promise<EmbeddedApiServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'certgate-apiserver-'));
  mkdirSync(dir, { recursive: true });
  const storage = new Storage(opts.historyWindow ?? 1000);
  const registry = new Registry();
  // with an explicit dir (make demo), the admin token and TLS material survive restarts so that
  // running processes keep working with the kubeconfig they loaded
  const tokenFile = join(dir, 'token');
  const auth = new Authenticator(opts.dir && existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (opts.dir) writeFileSync(tokenFile, auth.adminToken, { mode: 0o600 });
  const admission = new Admission(storage, opts.serviceResolver);
  let persistTimer: NodeJS.Timeout | undefined;
  const persistNow = () => {
    if (!opts.statePath) return;
    clearTimeout(persistTimer);
    persistTimer = undefined;
    mkdirSync(dirname(opts.statePath), { recursive: true });
    writeFileSync(opts.statePath + '.tmp', JSON.stringify(storage.snapshot()));
    renameSync(opts.statePath + '.tmp', opts.statePath);
  };
  let controllers: Controllers | undefined;
  const rbac = opts.rbac ? new RbacAuthorizer(storage) : undefined;
  const rest = new Rest(storage, admission, {
    guard: rbac
      ? (ctx, obj, old) => checkEscalation(rbac, { type: ctx.type, user: ctx.user, namespace: ctx.namespace, name: ctx.name ?? obj.metadata.name }, obj, old)
      : undefined,
    changed(t, obj, deleted) {
      if (t.group === 'apiextensions.k8s.io' && t.kind === 'CustomResourceDefinition') syncCrd(registry, storage, rest, obj, deleted);
      // only deletions, owner references and terminating namespaces give the controllers work
      if (deleted || obj.metadata.ownerReferences?.length || (t.kind === 'Namespace' && obj.metadata.deletionTimestamp)) controllers?.schedule();
      if (opts.statePath && !persistTimer) persistTimer = setTimeout(persistNow, 200);
    },
  });
  controllers = new Controllers(storage, registry, rest);
  const watches = new WatchHub(storage);

  if (opts.statePath && existsSync(opts.statePath)) {
    storage.load(JSON.parse(readFileSync(opts.statePath, 'utf8')));
    for (const crd of storage.list('apiextensions.k8s.io/customresourcedefinitions')) registry.setCustom(crd.metadata.name, crdToTypes(crd));
  }
  const adminCtx = (t: ResourceType, namespace?: string, name?: string): RequestContext => ({
    type: t,
    namespace,
    name,
    user: ADMIN_USER,
    dryRun: false,
    fieldValidation: 'Strict',
    warnings: [],
  });
  const nsType = registry.find('', 'v1', 'namespaces')!;
  for (const ns of INITIAL_NAMESPACES) if (!storage.get('/namespaces', undefined, ns)) await rest.create(adminCtx(nsType), { metadata: { name: ns } });
  const crdDir = opts.crdDir === undefined ? join(REPO_ROOT, 'charts/certgate/crds') : opts.crdDir;
  if (crdDir && existsSync(crdDir)) await applyCrdDir(crdDir, rest, registry, adminCtx);

  const tls = opts.dir ? reusableTls(dir) : serverTls();
  const server = https.createServer({ cert: tls.server.certPem, key: tls.server.keyPem });
  // Idle keep-alive sockets outlive clients' own idle timeouts (Node's agent: 5 s), so a client
  // never reuses a socket the server is closing at that moment (ECONNRESET under load).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // Every TCP connection, including those still in their TLS handshake: closeAllConnections() only
  // knows connections that finished it, and one finishing after stop() would keep serving (a new
  // watch on it keeps server.close() from ever completing).
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  let address = '';
  if (opts.onRequest) server.on('request', (req) => opts.onRequest!(req.method ?? '', req.url ?? '', req));
  server.on(
    'request',
    createHandler({
      registry,
      rest,
      watches,
      auth,
      authorizer: rbac?.authorize,
      address: () => address,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
      aggregator: new Aggregator(storage, opts.serviceResolver),
    }),
  );
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, '127.0.0.1', () => res());
  });
  const port = (server.address() as { port: number }).port;
  address = `127.0.0.1:${port}`;
  const url = `https://${address}`;
  const writeKubeconfig = (file: string, user: string, token: string): string => {
    const path = join(dir, file);
    writeFileSync(path, kubeconfigYaml(url, tls.caPem, user, token), { mode: 0o600 });
    return path;
  };
  writeFileSync(join(dir, 'ca.crt'), tls.caPem);
  const kubeconfigPath = writeKubeconfig('kubeconfig', 'admin', auth.adminToken);

  return {
    url,
    kubeconfigPath,
    caPem: tls.caPem,
    token: auth.adminToken,
    tokenFor: (ns, sa) => auth.tokenFor(ns, sa),
    kubeconfigFor: async (ns, sa) => writeKubeconfig(`kubeconfig-${ns}-${sa}`, `system:serviceaccount:${ns}:${sa}`, auth.tokenFor(ns, sa)),
    compactHistory: () => storage.compactAll(),
    closeWatches: () => watches.closeAll(),
    holdWatches: () => watches.hold(),
    async stop() {
      controllers?.stop();
      watches.closeAll();
      if (persistTimer) persistNow();
      await new Promise<void>((res) => {
        server.close(() => res());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
    },
  };
}

function kubeconfigYaml(server: string, caPem: string, user: string, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'certgate-embedded', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: 'certgate-embedded', context: { cluster: 'certgate-embedded', user, namespace: 'default' } }],
    'current-context': 'certgate-embedded',
  });
}

/** A CRD change (re)defines its served types; deleting it deletes its objects. */
function syncCrd(registry: Registry, storage: Storage, rest: Rest, crd: KObj, deleted: boolean): void {
  const types = crdToTypes(crd);
  // The real server starts a watch cache per served resource: watches from before it get 410.
  const key = resourceKey(crd.spec?.group ?? '', crd.spec?.names?.plural ?? '');
  if (!deleted) {
    registry.setCustom(crd.metadata.name, types);
    storage.startWatchCache(key);
    return;
  }
  storage.dropWatchCache(key);
  registry.setCustom(crd.metadata.name, []);
  if (types.length === 0) return;
  for (const obj of storage.list(resourceKey(types[0].group, types[0].plural))) rest.remove(types[0], obj);
}

async function applyCrdDir(
  dir: string,
  rest: Rest,
  registry: Registry,
  ctxFor: (t: ResourceType, ns?: string, name?: string) => RequestContext,
): Promise<void> {
  const crdType = registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS();
      if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
      try {
        const existing = rest.get(ctxFor(crdType, undefined, crd.metadata.name));
        await rest.update(ctxFor(crdType, undefined, crd.metadata.name), {
          ...crd,
          metadata: { ...crd.metadata, resourceVersion: existing.metadata.resourceVersion },
        });
      } catch (e) {
        if (e instanceof ApiError && e.code === 404) await rest.create(ctxFor(crdType), crd);
        else throw new Error(`cannot load CRD from ${join(dir, file)}: ${(e as Error).message}`);
      }
    }
  }
}
