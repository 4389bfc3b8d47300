// Conformance of the embedded API server, asserted from the client side: raw HTTPS requests,
// the @kubernetes/client-node informer and /usr/bin/kubectl. The expected texts and codes are the
// real kube-apiserver's; this suite drives the embedded server only, because several checks use its
// test knobs (forced compaction, dropped watches, request log, RBAC and persistence restarts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, makeInformer, type KubernetesObject } from '@kubernetes/client-node';
import { startApiServer, createTestCa, type EmbeddedApiServer } from './index.ts';

const GROUP = 'conformance.certgate.io';
const WIDGETS = `/apis/${GROUP}/v1/namespaces/default/widgets`;

const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wdg'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
          { name: 'Color', type: 'string', jsonPath: '.spec.color' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1, maximum: 10 },
                  color: { type: 'string', enum: ['red', 'green', 'blue'], default: 'green' },
                  hosts: { type: 'array', maxItems: 2, items: { type: 'string', pattern: '^[a-z.]+$' } },
                  port: { 'x-kubernetes-int-or-string': true },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
              status: {
                type: 'object',
                properties: { conditions: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, status: { type: 'string' } } } } },
              },
            },
          },
        },
      },
    ],
  },
};

let server: EmbeddedApiServer;
let hookPort = 0; // where the test's webhook Service "certgate/hook" listens
let workDir: string;
const requests: string[] = [];

interface Reply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

function api(method: string, path: string, body?: unknown, contentType = 'application/json', accept = 'application/json'): Promise<Reply> {
  return request(server, server.token, method, path, body, contentType, accept);
}

function request(
  srv: EmbeddedApiServer,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  accept = 'application/json',
): Promise<Reply> {
  const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      srv.url + path,
      {
        method,
        ca: srv.caPem,
        headers: { authorization: `Bearer ${token}`, accept, ...(data ? { 'content-type': contentType, 'content-length': data.length } : {}) },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** Read a watch stream until `until` says stop (or the server ends it); bounded by timeoutMs. */
function watchEvents(path: string, until: (events: any[]) => boolean, timeoutMs = 5000): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    let buf = '';
    const req = https.get(server.url + path, { ca: server.caPem, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
      res.on('data', (c) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
        if (until(events)) finish();
      });
      res.on('end', finish);
    });
    const timer = setTimeout(() => finish(), timeoutMs);
    function finish() {
      clearTimeout(timer);
      req.destroy();
      resolve(events);
    }
    req.on('error', (e) => (events.length ? resolve(events) : reject(e)));
  });
}

function kubectl(args: string[], stdin?: string, kubeconfig = server.kubeconfigPath): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(workDir, 'kube-cache'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    p.stdin.end(stdin ?? '');
  });
}

async function eventually<T>(fn: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const widget = (name: string, spec: Record<string, unknown> = { size: 3 }, extra: Record<string, unknown> = {}) => ({
  apiVersion: `${GROUP}/v1`,
  kind: 'Widget',
  metadata: { name, ...extra },
  spec,
});

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'certgate-conformance-'));
  server = await startApiServer({
    dir: workDir,
    crdDir: null,
    bookmarkIntervalMs: 100,
    serviceResolver: (namespace, name, port) => {
      assert.deepEqual([namespace, name, port], ['certgate', 'hook', 443]);
      return `https://127.0.0.1:${hookPort}`;
    },
    onRequest: (m, u) => requests.push(`${m} ${u}`),
  });
  const r = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd);
  assert.equal(r.status, 201, JSON.stringify(r.body));
});

after(async () => {
  await server?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('CRUD semantics', () => {
  it('rejects a stale update with 409 Conflict and the real message', async () => {
    const created = (await api('POST', WIDGETS, widget('stale'))).body;
    const first = await api('PUT', `${WIDGETS}/stale`, { ...created, spec: { size: 4 } });
    assert.equal(first.status, 200);
    const second = await api('PUT', `${WIDGETS}/stale`, { ...created, spec: { size: 5 } });
    assert.equal(second.status, 409);
    assert.equal(second.body.reason, 'Conflict');
    assert.equal(
      second.body.message,
      `Operation cannot be fulfilled on widgets.${GROUP} "stale": the object has been modified; please apply your changes to the latest version and try again`,
    );
  });

  it('answers 404 and 409 AlreadyExists as Status objects, and 404 for a missing namespace', async () => {
    const missing = await api('GET', `${WIDGETS}/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual([missing.body.kind, missing.body.reason, missing.body.message], ['Status', 'NotFound', `widgets.${GROUP} "nope" not found`]);
    await api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'dup' } });
    const dup = await api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'dup' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.reason, 'AlreadyExists');
    assert.equal(dup.body.message, 'configmaps "dup" already exists');
    const noNs = await api('POST', '/api/v1/namespaces/ghost/configmaps', { metadata: { name: 'x' } });
    assert.equal(noNs.status, 404);
    assert.equal(noNs.body.message, 'namespaces "ghost" not found');
  });

  it('refuses a create that carries a resourceVersion (500, as etcd3 storage does), except in a dry run or as "0"', async () => {
    const cms = '/api/v1/namespaces/default/configmaps';
    const refused = await api('POST', cms, { metadata: { name: 'with-rv', resourceVersion: '42' } });
    assert.equal(refused.status, 500);
    assert.equal(refused.body.message, 'resourceVersion should not be set on objects to be created');
    assert.equal(refused.body.reason, undefined);
    assert.equal((await api('GET', `${cms}/with-rv`)).status, 404, 'nothing stored');
    assert.equal((await api('POST', `${cms}?dryRun=All`, { metadata: { name: 'with-rv', resourceVersion: '42' } })).status, 201);
    const zero = await api('POST', cms, { metadata: { name: 'with-rv', resourceVersion: '0' } });
    assert.equal(zero.status, 201);
    assert.notEqual(zero.body.metadata.resourceVersion, '0');
  });

  it('bumps generation on spec changes only, and keeps status behind its subresource', async () => {
    const created = (await api('POST', WIDGETS, { ...widget('gen'), status: { conditions: [{ type: 'Ready', status: 'True' }] } })).body;
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.status, undefined, 'status is dropped on create when it is a subresource');
    const labelled = (await api('PATCH', `${WIDGETS}/gen`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).body;
    assert.equal(labelled.metadata.generation, 1);
    const viaMain = (await api('PATCH', `${WIDGETS}/gen`, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'application/merge-patch+json'))
      .body;
    assert.equal(viaMain.status, undefined, 'main resource writes ignore status');
    assert.equal(viaMain.metadata.resourceVersion, labelled.metadata.resourceVersion, 'a no-op write keeps the resourceVersion');
    const viaStatus = (
      await api(
        'PATCH',
        `${WIDGETS}/gen/status`,
        { spec: { size: 9 }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
        'application/merge-patch+json',
      )
    ).body;
    assert.deepEqual(viaStatus.status.conditions, [{ type: 'Ready', status: 'True' }]);
    assert.equal(viaStatus.spec.size, 3, '/status writes ignore spec');
    assert.equal(viaStatus.metadata.generation, 1);
    const specChange = (await api('PATCH', `${WIDGETS}/gen`, { spec: { size: 7 } }, 'application/merge-patch+json')).body;
    assert.equal(specChange.metadata.generation, 2);
    assert.deepEqual(specChange.status, viaStatus.status);
  });

  it('supports generateName, JSON patch, strategic merge patch for built-ins and dryRun=All', async () => {
    const gen = await api('POST', '/api/v1/namespaces/default/secrets', { metadata: { generateName: 'tok-' }, stringData: { a: 'b' } });
    assert.equal(gen.status, 201);
    assert.match(gen.body.metadata.name, /^tok-[a-z0-9]{5}$/);
    assert.equal(gen.body.data.a, Buffer.from('b').toString('base64'));
    const svc = await api('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'svc' },
      spec: {
        ports: [
          { name: 'http', port: 80 },
          { name: 'https', port: 443 },
        ],
      },
    });
    assert.equal(svc.status, 201);
    const smp = await api(
      'PATCH',
      '/api/v1/namespaces/default/services/svc',
      { spec: { ports: [{ port: 443, name: 'tls' }] } },
      'application/strategic-merge-patch+json',
    );
    assert.deepEqual(
      smp.body.spec.ports.map((p: any) => `${p.name}:${p.port}`),
      ['http:80', 'tls:443'],
      'ports merged by their patchMergeKey',
    );
    const crSmp = await api('PATCH', `${WIDGETS}/stale`, { spec: { size: 2 } }, 'application/strategic-merge-patch+json');
    assert.equal(crSmp.status, 415);
    const jp = await api('PATCH', `${WIDGETS}/stale`, [{ op: 'replace', path: '/spec/size', value: 6 }], 'application/json-patch+json');
    assert.equal(jp.body.spec.size, 6);
    const dry = await api('POST', `${WIDGETS}?dryRun=All`, widget('dry'));
    assert.equal(dry.status, 201);
    assert.equal(dry.body.spec.color, 'green', 'defaults applied in a dry run');
    assert.equal((await api('GET', `${WIDGETS}/dry`)).status, 404, 'dry run stored nothing');
    const dryDelete = await api('DELETE', `${WIDGETS}/stale?dryRun=All`);
    assert.equal(dryDelete.status, 200);
    assert.equal((await api('GET', `${WIDGETS}/stale`)).status, 200);
  });

  it('validates built-in kinds like the real server: labels, Secret type and TLS keys, Ingress paths', async () => {
    const longLabel = await api('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'long-label', labels: { 'cert-manager.io/certificate-name': 'x'.repeat(64) } },
    });
    assert.equal(longLabel.status, 422);
    assert.match(longLabel.body.message, /^ConfigMap "long-label" is invalid: metadata.labels: Invalid value: "x{64}": must be no more than 63 characters$/);
    const tlsMissingKey = await api('POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 'half-tls' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': '' },
    });
    assert.equal(tlsMissingKey.status, 422);
    assert.equal(tlsMissingKey.body.message, 'Secret "half-tls" is invalid: data[tls.key]: Required value');
    await api('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'opaque' }, data: { a: 'YQ==' } });
    const retype = await api(
      'PATCH',
      '/api/v1/namespaces/default/secrets/opaque',
      { type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } },
      'application/merge-patch+json',
    );
    assert.equal(retype.status, 422);
    assert.equal(retype.body.message, 'Secret "opaque" is invalid: type: Invalid value: "kubernetes.io/tls": field is immutable');
    const notBase64 = await api('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'raw' }, data: { a: 'not base64!' } });
    assert.equal(notBase64.status, 400);
    const noPathType = await api('POST', '/apis/networking.k8s.io/v1/namespaces/default/ingresses', {
      metadata: { name: 'np' },
      spec: { rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', backend: { service: { name: 's', port: { number: 80 } } } }] } }] },
    });
    assert.equal(noPathType.status, 422);
    assert.equal(
      noPathType.body.message,
      'Ingress.networking.k8s.io "np" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
    );
  });

  it('filters lists with label and field selectors', async () => {
    for (const [name, labels] of [
      ['sel-a', { tier: 'web', env: 'prod' }],
      ['sel-b', { tier: 'db', env: 'prod' }],
      ['sel-c', { tier: 'web' }],
    ] as const)
      await api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name, labels } });
    const names = async (q: string) =>
      (await api('GET', `/api/v1/namespaces/default/configmaps?${q}`)).body.items.map((i: any) => i.metadata.name).filter((n: string) => n.startsWith('sel-'));
    assert.deepEqual(await names('labelSelector=tier%3Dweb'), ['sel-a', 'sel-c']);
    assert.deepEqual(await names('labelSelector=tier%3D%3Dweb,env!%3Dprod'), ['sel-c']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('tier in (db,cache)')}`), ['sel-b']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('tier notin (db),env')}`), ['sel-a']);
    assert.deepEqual(await names(`labelSelector=${encodeURIComponent('!env')}`), ['sel-c']);
    assert.deepEqual(await names('fieldSelector=metadata.name%3Dsel-b'), ['sel-b']);
    await api('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'tls-1' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } });
    const tls = await api('GET', '/api/v1/secrets?fieldSelector=type%3Dkubernetes.io%2Ftls');
    assert.deepEqual(
      tls.body.items.map((i: any) => i.metadata.name),
      ['tls-1'],
    );
    const cli = await kubectl(['get', 'configmaps', '-l', 'tier=web,env=prod', '-o', 'name']);
    assert.equal(cli.stdout.trim(), 'configmap/sel-a');
    const bad = await api('GET', '/api/v1/namespaces/default/configmaps?fieldSelector=spec.foo%3Dx');
    assert.equal(bad.status, 400);
    const gone = await api('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=tier%3Dweb');
    assert.equal(gone.status, 200);
    assert.deepEqual(gone.body.items.map((i: any) => i.metadata.name).sort(), ['sel-a', 'sel-c']);
    assert.deepEqual(await names('labelSelector=tier'), ['sel-b'], 'deletecollection removed only the selected objects');
  });

  it('pages lists: remainingItemCount only without a selector; resourceVersion=0 (the watch cache) ignores limit', async () => {
    for (const n of ['page-1', 'page-2', 'page-3'])
      await api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: n, labels: { paged: 'yes' } } });
    const plain = (await api('GET', '/api/v1/namespaces/default/configmaps?limit=1')).body;
    assert.ok(plain.metadata.continue);
    assert.equal(typeof plain.metadata.remainingItemCount, 'number');
    const selected = (await api('GET', '/api/v1/namespaces/default/configmaps?limit=1&labelSelector=paged%3Dyes')).body;
    assert.ok(selected.metadata.continue, 'still paged');
    assert.equal(selected.metadata.remainingItemCount, undefined, 'not counted with a label selector');
    const byField = (await api('GET', '/api/v1/namespaces/default/configmaps?limit=1&fieldSelector=metadata.namespace%3Ddefault')).body;
    assert.equal(byField.metadata.remainingItemCount, undefined, 'nor with a field selector');
    const cached = (await api('GET', '/api/v1/namespaces/default/configmaps?limit=1&resourceVersion=0&labelSelector=paged%3Dyes')).body;
    assert.deepEqual(
      cached.items.map((i: any) => i.metadata.name),
      ['page-1', 'page-2', 'page-3'],
    );
    assert.equal(cached.metadata.continue, undefined);
  });

  it('lists the state at an exact past resourceVersion, and 410 once it left the history', async () => {
    const v1 = (await api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'exact' }, data: { v: '1' } })).body.metadata.resourceVersion;
    await api('PATCH', '/api/v1/namespaces/default/configmaps/exact', { data: { v: '2' } }, 'application/merge-patch+json');
    const past = await api('GET', `/api/v1/namespaces/default/configmaps?resourceVersion=${v1}&resourceVersionMatch=Exact&fieldSelector=metadata.name%3Dexact`);
    assert.equal(past.status, 200);
    assert.equal(past.body.metadata.resourceVersion, v1);
    assert.deepEqual(
      past.body.items.map((i: any) => i.data.v),
      ['1'],
    );
    const now = await api(
      'GET',
      `/api/v1/namespaces/default/configmaps?resourceVersion=${v1}&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Dexact`,
    );
    assert.deepEqual(
      now.body.items.map((i: any) => i.data.v),
      ['2'],
    );
    server.compactHistory();
    const expired = await api('GET', `/api/v1/namespaces/default/configmaps?resourceVersion=${v1}&resourceVersionMatch=Exact`);
    assert.equal(expired.status, 410);
    assert.equal(expired.body.reason, 'Expired');
  });
});

describe('webhook configurations (validated as admissionregistration.k8s.io/v1)', () => {
  const VWC = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
  const MWC = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
  const rule = { apiGroups: [GROUP], apiVersions: ['v1'], resources: ['widgets'], operations: ['CREATE'], scope: 'Namespaced' };
  // Registered by url, like the e2e suite's webhooks (https on loopback), and valid as written.
  const hook = (overrides: Record<string, unknown> = {}) => ({
    name: 'check.conformance.certgate.io',
    clientConfig: { url: 'https://127.0.0.1:9443/validate' },
    rules: [rule],
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    // never called: matches no object
    objectSelector: { matchLabels: { 'conformance-never': 'true' } },
    ...overrides,
  });
  const refusal = async (path: string, name: string, webhooks: unknown[]): Promise<string> => {
    const res = await api('POST', path, { metadata: { name }, webhooks });
    assert.equal(res.status, 422, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.reason, 'Invalid');
    const prefix = `${path === VWC ? 'Validating' : 'Mutating'}WebhookConfiguration.admissionregistration.k8s.io "${name}" is invalid: `;
    assert.ok(res.body.message.startsWith(prefix), res.body.message);
    return res.body.message.slice(prefix.length);
  };

  it('accepts a valid configuration addressed by https url or by Service', async () => {
    const byUrl = await api('POST', VWC, {
      metadata: { name: 'valid-url' },
      webhooks: [
        hook(),
        hook({
          name: 'other.conformance.certgate.io',
          timeoutSeconds: 30,
          failurePolicy: 'Ignore',
          matchPolicy: 'Exact',
          sideEffects: 'NoneOnDryRun',
          admissionReviewVersions: ['v2', 'v1beta1'],
        }),
      ],
    });
    assert.equal(byUrl.status, 201, JSON.stringify(byUrl.body));
    const byService = await api('POST', MWC, {
      metadata: { name: 'valid-service' },
      webhooks: [
        hook({
          clientConfig: { service: { namespace: 'certgate', name: 'hook', path: '/mutate', port: 8443 } },
          reinvocationPolicy: 'IfNeeded',
          rules: [{ ...rule, operations: ['*'], scope: '*' }],
        }),
      ],
    });
    assert.equal(byService.status, 201, JSON.stringify(byService.body));
    await api('DELETE', `${VWC}/valid-url`);
    await api('DELETE', `${MWC}/valid-service`);
  });

  it('refuses a clientConfig that is not exactly one of url/service, or a url that is not plain https', async () => {
    assert.equal(
      await refusal(VWC, 'both', [hook({ clientConfig: { url: 'https://127.0.0.1:9443/', service: { namespace: 'a', name: 'b' } } })]),
      'webhooks[0].clientConfig: Required value: exactly one of url or service is required',
    );
    assert.equal(
      await refusal(VWC, 'neither', [hook({ clientConfig: { caBundle: '' } })]),
      'webhooks[0].clientConfig: Required value: exactly one of url or service is required',
    );
    assert.equal(
      await refusal(VWC, 'plain-http', [hook({ clientConfig: { url: 'http://127.0.0.1:9443/validate' } })]),
      'webhooks[0].clientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
    );
    assert.equal(
      await refusal(VWC, 'query', [hook({ clientConfig: { url: 'https://127.0.0.1:9443/validate?timeout=5s' } })]),
      'webhooks[0].clientConfig.url: Invalid value: "timeout=5s": query parameters are not permitted in the URL',
    );
    assert.equal(
      await refusal(VWC, 'fragment', [hook({ clientConfig: { url: 'https://127.0.0.1:9443/validate#top' } })]),
      'webhooks[0].clientConfig.url: Invalid value: "top": fragments are not permitted in the URL',
    );
    assert.equal(
      await refusal(VWC, 'userinfo', [hook({ clientConfig: { url: 'https://admin@127.0.0.1:9443/validate' } })]),
      'webhooks[0].clientConfig.url: Invalid value: "admin": user information is not permitted in the URL',
    );
    assert.equal(
      await refusal(MWC, 'bad-service', [hook({ clientConfig: { service: { name: 'hook', port: 70000, path: 'mutate' } } })]),
      '[webhooks[0].clientConfig.service.namespace: Required value: service namespace is required, webhooks[0].clientConfig.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive, webhooks[0].clientConfig.service.path: Invalid value: "mutate": must start with a \'/\']',
    );
  });

  it('refuses sideEffects other than None/NoneOnDryRun, and a missing one', async () => {
    assert.equal(
      await refusal(VWC, 'side-some', [hook({ sideEffects: 'Some' })]),
      'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
    );
    assert.equal(
      await refusal(VWC, 'side-unknown', [hook({ sideEffects: 'Unknown' })]),
      'webhooks[0].sideEffects: Unsupported value: "Unknown": supported values: "None", "NoneOnDryRun"',
    );
    assert.equal(
      await refusal(MWC, 'side-missing', [hook({ sideEffects: undefined })]),
      'webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun',
    );
  });

  it('refuses webhook names that are not a DNS subdomain of three labels, or repeat within the configuration', async () => {
    assert.equal(
      await refusal(VWC, 'two-labels', [hook({ name: 'certgate.io' })]),
      'webhooks[0].name: Invalid value: "certgate.io": should be a domain with at least three segments separated by dots',
    );
    assert.match(
      await refusal(VWC, 'upper', [hook({ name: 'Check.certgate.io' })]),
      /^webhooks\[0\]\.name: Invalid value: "Check\.certgate\.io": a lowercase RFC 1123 subdomain must consist of/,
    );
    assert.equal(await refusal(VWC, 'no-name', [hook({ name: '' })]), 'webhooks[0].name: Required value');
    assert.equal(await refusal(MWC, 'twice', [hook(), hook()]), 'webhooks[1].name: Duplicate value: "check.conformance.certgate.io"');
  });

  it('refuses timeoutSeconds outside 1..30 and admissionReviewVersions without a known version', async () => {
    assert.equal(
      await refusal(VWC, 'slow', [hook({ timeoutSeconds: 31 })]),
      'webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds',
    );
    assert.equal(
      await refusal(VWC, 'instant', [hook({ timeoutSeconds: 0 })]),
      'webhooks[0].timeoutSeconds: Invalid value: 0: the timeout value must be between 1 and 30 seconds',
    );
    assert.equal(
      await refusal(VWC, 'no-versions', [hook({ admissionReviewVersions: [] })]),
      'webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1',
    );
    assert.equal(
      await refusal(VWC, 'future-version', [hook({ admissionReviewVersions: ['v2'] })]),
      'webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
    );
    assert.equal(
      await refusal(VWC, 'twice-version', [hook({ admissionReviewVersions: ['v1', 'v1'] })]),
      'webhooks[0].admissionReviewVersions[1]: Invalid value: "v1": duplicate version',
    );
  });

  it('refuses unknown failurePolicy, matchPolicy, reinvocationPolicy, rule operations and scope', async () => {
    assert.equal(
      await refusal(VWC, 'failure', [hook({ failurePolicy: 'Retry' })]),
      'webhooks[0].failurePolicy: Unsupported value: "Retry": supported values: "Fail", "Ignore"',
    );
    assert.equal(
      await refusal(VWC, 'match', [hook({ matchPolicy: 'Fuzzy' })]),
      'webhooks[0].matchPolicy: Unsupported value: "Fuzzy": supported values: "Equivalent", "Exact"',
    );
    assert.equal(
      await refusal(MWC, 'reinvoke', [hook({ reinvocationPolicy: 'Always' })]),
      'webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"',
    );
    assert.equal(
      await refusal(VWC, 'patch-op', [hook({ rules: [{ ...rule, operations: ['CREATE', 'PATCH'] }] })]),
      'webhooks[0].rules[0].operations[1]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
    );
    assert.equal(
      await refusal(VWC, 'star-op', [hook({ rules: [{ ...rule, operations: ['*', 'CREATE'] }] })]),
      'webhooks[0].rules[0].operations: Invalid value: []string{"*", "CREATE"}: if \'*\' is present, must not specify other operations',
    );
    assert.equal(
      await refusal(VWC, 'scope', [hook({ rules: [{ ...rule, scope: 'Global' }] })]),
      'webhooks[0].rules[0].scope: Unsupported value: "Global": supported values: "*", "Cluster", "Namespaced"',
    );
    assert.equal(await refusal(VWC, 'no-ops', [hook({ rules: [{ ...rule, operations: [] }] })]), 'webhooks[0].rules[0].operations: Required value');
  });

  it('validates updates too, leaving the stored configuration unchanged', async () => {
    assert.equal((await api('POST', VWC, { metadata: { name: 'updated' }, webhooks: [hook()] })).status, 201);
    try {
      const patched = await api(
        'PATCH',
        `${VWC}/updated`,
        [{ op: 'replace', path: '/webhooks/0/clientConfig/url', value: 'http://127.0.0.1:9443/validate' }],
        'application/json-patch+json',
      );
      assert.equal(patched.status, 422);
      assert.equal(
        patched.body.message,
        'ValidatingWebhookConfiguration.admissionregistration.k8s.io "updated" is invalid: webhooks[0].clientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
      );
      assert.deepEqual(patched.body.details.causes, [
        {
          reason: 'FieldValueInvalid',
          field: 'webhooks[0].clientConfig.url',
          message: 'Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
        },
      ]);
      assert.equal((await api('GET', `${VWC}/updated`)).body.webhooks[0].clientConfig.url, 'https://127.0.0.1:9443/validate');
    } finally {
      await api('DELETE', `${VWC}/updated`);
    }
  });
});

describe('schema validation', () => {
  it('rejects CRD-schema violations with 422 Invalid and field causes', async () => {
    const r = await api('POST', WIDGETS, widget('bad', { color: 'purple', hosts: ['a.com', 'B!', 'c.com'], port: 1.5 }));
    assert.equal(r.status, 422);
    assert.equal(r.body.reason, 'Invalid');
    assert.equal(r.body.details.kind, 'Widget');
    assert.equal(r.body.details.group, GROUP);
    const byField = Object.fromEntries(r.body.details.causes.map((c: any) => [c.field, c.reason]));
    assert.equal(byField['spec.size'], 'FieldValueRequired');
    assert.equal(byField['spec.color'], 'FieldValueNotSupported');
    assert.equal(byField['spec.hosts'], 'FieldValueTooMany');
    assert.equal(byField['spec.hosts[1]'], 'FieldValueInvalid');
    assert.equal(byField['spec.port'], 'FieldValueTypeInvalid');
    assert.match(r.body.message, /^Widget\.conformance\.certgate\.io "bad" is invalid: \[/);
    const one = await api('POST', WIDGETS, widget('bad2', { size: 11 }));
    assert.equal(one.body.message, `Widget.${GROUP} "bad2" is invalid: spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10`);
  });

  it('names status-subresource errors relative to status (no "status." prefix), FieldValueTypeInvalid for a wrong type', async () => {
    const w = (await api('POST', WIDGETS, widget('bad-status', { size: 1 }))).body;
    const bad = await api('PUT', `${WIDGETS}/bad-status/status`, { ...w, status: { conditions: [{ type: 7, status: 'True' }] } });
    assert.equal(bad.status, 422);
    assert.equal(
      bad.body.message,
      'Widget.conformance.certgate.io "bad-status" is invalid: conditions[0].type: Invalid value: "integer": conditions[0].type in body must be of type string: "integer"',
    );
    assert.deepEqual(bad.body.details.causes, [
      {
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "integer": conditions[0].type in body must be of type string: "integer"',
        field: 'conditions[0].type',
      },
    ]);
  });

  it('handles unknown fields per fieldValidation: Strict rejects, Warn warns, Ignore prunes silently', async () => {
    const body = widget('unknown', { size: 2, foo: 1, extra: { anything: true } });
    const strict = await api('POST', `${WIDGETS}?fieldValidation=Strict`, body);
    assert.equal(strict.status, 400);
    assert.equal(strict.body.message, 'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.foo"');
    const warn = await api('POST', `${WIDGETS}?fieldValidation=Warn&dryRun=All`, body);
    assert.equal(warn.status, 201);
    assert.equal(warn.headers.warning, '299 - "unknown field \\"spec.foo\\""');
    const ignore = await api('POST', `${WIDGETS}?fieldValidation=Ignore`, body);
    assert.equal(ignore.status, 201);
    assert.equal(ignore.headers.warning, undefined);
    assert.equal(ignore.body.spec.foo, undefined, 'pruned');
    assert.deepEqual(ignore.body.spec.extra, { anything: true }, 'x-kubernetes-preserve-unknown-fields keeps data');
  });
});

describe('watch', () => {
  it('resumes from a resourceVersion, sends bookmarks and honours timeoutSeconds', async () => {
    const a = (await api('POST', WIDGETS, widget('w-a'))).body;
    await api('PATCH', `${WIDGETS}/w-a`, { spec: { size: 8 } }, 'application/merge-patch+json');
    await api('DELETE', `${WIDGETS}/w-a`);
    const events = await watchEvents(
      `${WIDGETS}?watch=true&resourceVersion=${a.metadata.resourceVersion}&allowWatchBookmarks=true&timeoutSeconds=3`,
      () => false,
      8000,
    );
    const changes = events.filter((e) => e.type !== 'BOOKMARK' && e.object.metadata.name === 'w-a').map((e) => `${e.type}:${e.object.spec.size}`);
    assert.deepEqual(changes, ['MODIFIED:8', 'DELETED:8'], 'only changes after the given resourceVersion');
    assert.ok(
      events.some((e) => e.type === 'BOOKMARK' && Number(e.object.metadata.resourceVersion) > 0),
      'bookmark sent',
    );
  });

  it("sends BOOKMARKs 2 s before the watch's deadline (else every minute), only once the resource has had an event, with that event's version", async () => {
    const fresh = await startApiServer({ dir: join(workDir, 'bookmarks'), crdDir: null });
    try {
      const watchFor = (path: string, timeoutSeconds: number) =>
        new Promise<Array<{ type: string; rv: string; atMs: number }>>((resolve, reject) => {
          const started = Date.now();
          const events: Array<{ type: string; rv: string; atMs: number }> = [];
          let buf = '';
          const req = https.get(
            `${fresh.url}${path}?watch=true&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}`,
            { ca: fresh.caPem, headers: { authorization: `Bearer ${fresh.token}` } },
            (res) => {
              res.on('data', (c) => {
                buf += c;
                for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) {
                  const e = JSON.parse(buf.slice(0, i));
                  events.push({ type: e.type, rv: e.object.metadata.resourceVersion, atMs: Date.now() - started });
                }
              });
              res.on('end', () => resolve(events));
            },
          );
          req.on('error', reject);
        });
      // ConfigMaps have had no event since this server started: no bookmark at all
      const quiet = watchFor('/api/v1/namespaces/default/configmaps', 4);
      const created = await request(fresh, fresh.token, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'b' } });
      await request(fresh, fresh.token, 'POST', '/api/v1/namespaces/kube-system/serviceaccounts', { metadata: { name: 'later' } }); // a newer version elsewhere
      const secrets = await watchFor('/api/v1/namespaces/default/secrets', 4);
      assert.deepEqual(
        (await quiet).filter((e) => e.type === 'BOOKMARK'),
        [],
      );
      const bookmarks = secrets.filter((e) => e.type === 'BOOKMARK');
      assert.equal(bookmarks.length, 1, JSON.stringify(secrets));
      assert.ok(bookmarks[0].atMs >= 1500, `not on a timer from the start: ${bookmarks[0].atMs} ms`);
      assert.equal(bookmarks[0].rv, created.body.metadata.resourceVersion, 'the version of the last Secret event');
    } finally {
      await fresh.stop();
    }
  });

  it('answers 410 Gone for a resourceVersion older than the history window', async () => {
    const old = (await api('POST', WIDGETS, widget('w-old'))).body.metadata.resourceVersion;
    await api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'bump-' } });
    server.compactHistory();
    const events = await watchEvents(`${WIDGETS}?watch=true&resourceVersion=${old}`, (ev) => ev.length > 0);
    assert.equal(events[0].type, 'ERROR');
    assert.equal(events[0].object.code, 410);
    assert.equal(events[0].object.reason, 'Expired');
    assert.match(events[0].object.message, /^too old resource version: \d+ \(\d+\)$/);
  });

  it("answers 410 Expired to a watch from before the resource's watch cache started (a version from just before its CRD was created)", async () => {
    // A version still inside the history window (no compaction since), but older than the CRD.
    const before = (await api('GET', '/api/v1/namespaces')).body.metadata.resourceVersion;
    const gadgets = {
      ...widgetCrd,
      metadata: { name: `gadgets.${GROUP}` },
      spec: { ...widgetCrd.spec, names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' } },
    };
    const crd = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', gadgets);
    assert.equal(crd.status, 201, JSON.stringify(crd.body));
    const path = `/apis/${GROUP}/v1/namespaces/default/gadgets`;
    const listed = await eventually(async () => ((await api('GET', path)).status === 200 ? (await api('GET', path)).body : undefined), 'gadgets served');
    const events = await watchEvents(`${path}?watch=true&resourceVersion=${before}`, (ev) => ev.length > 0);
    assert.equal(events[0]?.type, 'ERROR', JSON.stringify(events));
    assert.equal(events[0].object.code, 410);
    assert.equal(events[0].object.reason, 'Expired');
    assert.match(events[0].object.message, new RegExp(`^too old resource version: ${before} \\(\\d+\\)$`));
    // The same version still resumes a watch of a resource served since before it.
    const widgetsFromBefore = await watchEvents(`${WIDGETS}?watch=true&resourceVersion=${before}&timeoutSeconds=1`, () => false, 3000);
    assert.ok(!widgetsFromBefore.some((e) => e.type === 'ERROR'), JSON.stringify(widgetsFromBefore));
    // From the list's resourceVersion the watch works and sees later changes.
    const later = watchEvents(`${path}?watch=true&resourceVersion=${listed.metadata.resourceVersion}`, (ev) => ev.some((e) => e.type === 'ADDED'));
    await api('POST', path, { ...widget('g-1'), kind: 'Gadget' });
    assert.deepEqual(
      (await later).filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type}:${e.object.metadata.name}`),
      ['ADDED:g-1'],
    );
  });

  it("returns custom resources with every object's keys sorted, as the real server encodes them (create, get, list, watch)", async () => {
    const sortedDeep = (v: unknown): boolean =>
      Array.isArray(v)
        ? v.every(sortedDeep)
        : v === null || typeof v !== 'object'
          ? true
          : Object.keys(v).join() === Object.keys(v).sort().join() && Object.values(v).every(sortedDeep);
    const from = (await api('GET', WIDGETS)).body.metadata.resourceVersion;
    const watched = watchEvents(`${WIDGETS}?watch=true&resourceVersion=${from}`, (ev) => ev.some((e) => e.object?.metadata?.name === 'w-keys'));
    // Keys deliberately out of order at every level.
    const created = await api('POST', WIDGETS, {
      spec: { size: 2, extra: { zeta: 1, alpha: { y: 1, b: 2 } }, color: 'red' },
      metadata: { name: 'w-keys', labels: { zz: 'a', aa: 'b' } },
      kind: 'Widget',
      apiVersion: `${GROUP}/v1`,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const got = (await api('GET', `${WIDGETS}/w-keys`)).body;
    const listed = (await api('GET', WIDGETS)).body.items.find((o: any) => o.metadata.name === 'w-keys');
    const event = (await watched).find((e) => e.object?.metadata?.name === 'w-keys');
    for (const [what, obj] of Object.entries({ created: created.body, got, listed, watched: event?.object })) {
      assert.ok(obj && sortedDeep(obj), `${what}: keys sorted at every level: ${JSON.stringify(obj)}`);
    }
    assert.deepEqual(Object.keys(got.spec.extra), ['alpha', 'zeta']);
  });

  it('sends DELETED with the old (matching) state when an object leaves a selector, ADDED when it enters', async () => {
    const from = (await api('GET', WIDGETS)).body.metadata.resourceVersion;
    const done = (ev: any[]) => ev.filter((e) => e.type !== 'BOOKMARK').length >= 3;
    const byLabel = watchEvents(`${WIDGETS}?watch=true&resourceVersion=${from}&labelSelector=${encodeURIComponent('tier=front')}`, done);
    await api('POST', WIDGETS, widget('w-sel', { size: 1 }, { labels: { tier: 'front' } }));
    const left = (await api('PATCH', `${WIDGETS}/w-sel`, { metadata: { labels: { tier: 'back' } }, spec: { size: 2 } }, 'application/merge-patch+json')).body;
    await api('PATCH', `${WIDGETS}/w-sel`, { metadata: { labels: { tier: 'front' } }, spec: { size: 3 } }, 'application/merge-patch+json');
    const events = (await byLabel).filter((e) => e.type !== 'BOOKMARK');
    assert.deepEqual(
      events.map((e) => `${e.type}:${e.object.metadata.labels.tier}:${e.object.spec.size}`),
      ['ADDED:front:1', 'DELETED:front:1', 'ADDED:front:3'],
      'DELETED carries the state that matched',
    );
    assert.equal(events[1].object.metadata.resourceVersion, left.metadata.resourceVersion, "with the change's resourceVersion");
    // the same with a field selector (core Events by reason)
    const EVENTS = '/api/v1/namespaces/default/events';
    const fromEvents = (await api('GET', EVENTS)).body.metadata.resourceVersion;
    const byReason = watchEvents(
      `${EVENTS}?watch=true&resourceVersion=${fromEvents}&fieldSelector=${encodeURIComponent('reason=Pending')}`,
      (ev) => ev.filter((e) => e.type !== 'BOOKMARK').length >= 2,
    );
    await api('POST', EVENTS, {
      metadata: { name: 'ev-sel' },
      involvedObject: { kind: 'Widget', name: 'w-sel', namespace: 'default' },
      reason: 'Pending',
      message: 'waiting',
      type: 'Normal',
    });
    const moved = (await api('PATCH', `${EVENTS}/ev-sel`, { reason: 'Issued', message: 'done' }, 'application/merge-patch+json')).body;
    const reasons = (await byReason).filter((e) => e.type !== 'BOOKMARK');
    assert.deepEqual(
      reasons.map((e) => `${e.type}:${e.object.reason}:${e.object.message}:${e.object.metadata.resourceVersion === moved.metadata.resourceVersion}`),
      ['ADDED:Pending:waiting:false', 'DELETED:Pending:waiting:true'],
    );
  });

  it('drives the client-node informer: add/update/delete, resume after reconnect, relist after 410', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(server.kubeconfigPath);
    const list = async () => (await api('GET', `/apis/${GROUP}/v1/namespaces/informer/widgets`)).body;
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'informer' } });
    const inf = makeInformer<KubernetesObject>(kc, `/apis/${GROUP}/v1/namespaces/informer/widgets`, list);
    const seen: string[] = [];
    inf.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    inf.on('update', (o) => seen.push(`update:${o.metadata?.name}:${(o as any).spec.size}`));
    inf.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    const path = `/apis/${GROUP}/v1/namespaces/informer/widgets`;
    await api('POST', path, widget('i-1'));
    await inf.start();
    try {
      await eventually(() => seen.includes('add:i-1'), 'initial list');
      await api('POST', path, widget('i-2'));
      await api('PATCH', `${path}/i-1`, { spec: { size: 9 } }, 'application/merge-patch+json');
      await api('DELETE', `${path}/i-2`);
      await eventually(() => seen.includes('delete:i-2') && seen.includes('update:i-1:9'), 'watch events');

      const watchesBefore = requests.filter((r) => r.includes('/namespaces/informer/widgets?') && r.includes('watch=true')).length;
      server.closeWatches();
      await api('PATCH', `${path}/i-1`, { spec: { size: 4 } }, 'application/merge-patch+json');
      await eventually(() => seen.includes('update:i-1:4'), 'event after reconnect');
      const resumed = requests.filter((r) => r.includes('/namespaces/informer/widgets?') && r.includes('watch=true')).slice(watchesBefore);
      assert.ok(resumed.length >= 1 && resumed.every((r) => /resourceVersion=\d+/.test(r)), `resumed from a resourceVersion: ${resumed.join(' ')}`);

      // Make the informer's resourceVersion stale: change another resource, forget history, drop the watch.
      await api('POST', '/api/v1/namespaces/informer/configmaps', { metadata: { generateName: 'bump-' } });
      server.compactHistory();
      const mark = requests.length;
      server.closeWatches();
      await eventually(() => requests.slice(mark).some((r) => r.startsWith('GET /apis/') && !r.includes('watch=')) || undefined, 'relist after 410');
      await api('POST', path, widget('i-3'));
      await eventually(() => seen.includes('add:i-3'), 'events after relist');
    } finally {
      await inf.stop();
    }
  });
});

describe('controllers', () => {
  it('garbage-collects dependents of a deleted owner (by uid)', async () => {
    const owner = (await api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner' } })).body;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
    await api('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'dependent', ownerReferences: [ref] } });
    await api('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'other-owner', ownerReferences: [{ ...ref, uid: 'not-this-one' }] } });
    await api('DELETE', '/api/v1/namespaces/default/configmaps/owner');
    await eventually(async () => (await api('GET', '/api/v1/namespaces/default/secrets/dependent')).status === 404, 'dependent deleted');
    const keeper = (await api('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'keeper' } })).body;
    await api('POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 'orphaned', ownerReferences: [{ ...ref, name: 'keeper', uid: keeper.metadata.uid }] },
    });
    await api('DELETE', '/api/v1/namespaces/default/configmaps/keeper', { propagationPolicy: 'Orphan' });
    const orphan = await api('GET', '/api/v1/namespaces/default/secrets/orphaned');
    assert.equal(orphan.status, 200, 'propagationPolicy Orphan keeps dependents');
    assert.equal(orphan.body.metadata.ownerReferences, undefined);
    // an owner reference to a uid that never existed is also garbage
    await eventually(async () => (await api('GET', '/api/v1/namespaces/default/secrets/other-owner')).status === 404, 'orphan deleted');
  });

  it('marks objects with finalizers for deletion and deletes them when the last finalizer goes', async () => {
    await api('POST', WIDGETS, widget('fin', { size: 1 }, { finalizers: ['example.com/hold'] }));
    const del = await api('DELETE', `${WIDGETS}/fin`);
    assert.equal(del.status, 200);
    const marked = (await api('GET', `${WIDGETS}/fin`)).body;
    assert.ok(marked.metadata.deletionTimestamp, 'deletionTimestamp set');
    await api('PATCH', `${WIDGETS}/fin`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal((await api('GET', `${WIDGETS}/fin`)).status, 404);
  });

  it('refuses a new finalizer on an object being deleted (422), while removing one still works', async () => {
    await api('POST', WIDGETS, widget('fin-late', { size: 1 }, { finalizers: ['example.com/hold'] }));
    assert.equal((await api('DELETE', `${WIDGETS}/fin-late`)).status, 200);
    const added = await api(
      'PATCH',
      `${WIDGETS}/fin-late`,
      [{ op: 'add', path: '/metadata/finalizers/-', value: 'example.com/late' }],
      'application/json-patch+json',
    );
    assert.equal(added.status, 422);
    assert.equal(
      added.body.message,
      'Widget.conformance.certgate.io "fin-late" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/late"}',
    );
    assert.deepEqual(
      added.body.details.causes.map((c: any) => `${c.field} ${c.reason}`),
      ['metadata.finalizers FieldValueForbidden'],
    );
    assert.deepEqual((await api('GET', `${WIDGETS}/fin-late`)).body.metadata.finalizers, ['example.com/hold']);
    await api('PATCH', `${WIDGETS}/fin-late`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal((await api('GET', `${WIDGETS}/fin-late`)).status, 404);
  });

  it("answers a dryRun value other than All with 422 on the verb's options", async () => {
    const created = await api('POST', `${WIDGETS}?dryRun=Yes`, widget('dry-yes', { size: 1 }));
    assert.equal(created.status, 422);
    assert.equal(created.body.reason, 'Invalid');
    assert.equal(created.body.message, 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"');
    assert.equal((await api('GET', `${WIDGETS}/dry-yes`)).status, 404, 'nothing was written');
    await api('POST', WIDGETS, widget('dry-yes', { size: 1 }));
    const patched = await api('PATCH', `${WIDGETS}/dry-yes?dryRun=Yes`, { spec: { size: 2 } }, 'application/merge-patch+json');
    assert.equal(patched.status, 422);
    assert.equal(patched.body.message, 'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"');
    const deleted = await api('DELETE', `${WIDGETS}/dry-yes?dryRun=Yes`);
    assert.equal(deleted.status, 422);
    assert.equal(deleted.body.message, 'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"');
    assert.equal((await api('GET', `${WIDGETS}/dry-yes`)).body.spec.size, 1);
    await api('DELETE', `${WIDGETS}/dry-yes`);
  });

  it('deletes the content of a deleted namespace, then the namespace', async () => {
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await api('POST', '/api/v1/namespaces/doomed/secrets', { metadata: { name: 's' } });
    const del = await api('DELETE', '/api/v1/namespaces/doomed');
    assert.equal(del.body.status.phase, 'Terminating');
    await eventually(async () => (await api('GET', '/api/v1/namespaces/doomed')).status === 404, 'namespace gone');
    assert.equal((await api('GET', '/api/v1/namespaces/doomed/secrets/s')).status, 404);
  });
});

describe('managedFields and server-side apply', () => {
  const CMS = '/api/v1/namespaces/default/configmaps';
  const apply = (name: string, manager: string | undefined, data: Record<string, string> | undefined, extra = '') =>
    api(
      'PATCH',
      `${CMS}/${name}?${manager ? `fieldManager=${manager}` : ''}${extra}`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, ...(data ? { data } : {}) },
      'application/apply-patch+yaml',
    );
  const owners = (obj: any) =>
    Object.fromEntries(
      obj.metadata.managedFields.map((m: any) => [
        `${m.manager}/${m.operation}`,
        Object.keys(m.fieldsV1['f:data'] ?? {})
          .filter((k) => k !== '.')
          .sort()
          .join(','),
      ]),
    );
  const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

  it("records managedFields on every write: the fieldManager, else the User-Agent's product", async () => {
    const created = await api('POST', `${CMS}?fieldManager=kubectl-create`, { metadata: { name: 'mf', labels: { app: 'x' } }, data: { a: '1' } });
    assert.equal(created.status, 201);
    const [entry] = created.body.metadata.managedFields;
    assert.match(entry.time, ISO_SECONDS);
    assert.deepEqual(
      { ...entry, time: undefined },
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: undefined,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      },
    );
    // no fieldManager: the User-Agent up to its first "/" (here Node's https client sends none, so the raw request sets one)
    const ua = await new Promise<any>((resolve, reject) => {
      const data = JSON.stringify({ data: { b: '2' } });
      const req = https.request(
        `${server.url}${CMS}/mf`,
        {
          method: 'PATCH',
          ca: server.caPem,
          headers: {
            authorization: `Bearer ${server.token}`,
            'content-type': 'application/merge-patch+json',
            'content-length': Buffer.byteLength(data),
            'user-agent': 'certgate-worker/0.1.0 (linux)',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(JSON.parse(text)));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
    assert.deepEqual(owners(ua), { 'kubectl-create/Update': 'f:a', 'certgate-worker/Update': 'f:b' });
    // a status write is recorded with its subresource
    const w = (await api('POST', `${WIDGETS}?fieldManager=maker`, widget('mf-w', { size: 2 }))).body;
    const st = await api('PUT', `${WIDGETS}/mf-w/status?fieldManager=reporter`, { ...w, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    const reporter = st.body.metadata.managedFields.find((m: any) => m.manager === 'reporter');
    assert.equal(reporter.subresource, 'status');
    assert.deepEqual(reporter.fieldsV1, { 'f:status': { '.': {}, 'f:conditions': {} } }, 'a list without x-kubernetes-list-type is atomic');
    assert.deepEqual(
      Object.keys(st.body.metadata.managedFields.find((m: any) => m.manager === 'maker').fieldsV1['f:spec']),
      ['.', 'f:color', 'f:size'],
      'the creator owns defaulted fields too',
    );
  });

  it('applies server-side: conflicts are 409 naming the owner, equal values share ownership, force takes it, unapplied fields go', async () => {
    const first = await apply('ssa', 'alpha', { a: '1', b: '2' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.deepEqual(
      first.body.metadata.managedFields.map((m: any) => [m.manager, m.operation, m.fieldsV1]),
      [['alpha', 'Apply', { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } }]],
    );

    const clash = await apply('ssa', 'beta', { a: 'x' });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.reason, 'Conflict');
    assert.equal(clash.body.message, 'Apply failed with 1 conflict: conflict with "alpha": .data.a');
    assert.deepEqual(clash.body.details, { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "alpha"', field: '.data.a' }] });
    assert.equal((await api('GET', `${CMS}/ssa`)).body.data.a, '1', 'nothing changed');

    const shared = await apply('ssa', 'beta', { a: '1', c: '3' });
    assert.equal(shared.status, 200, JSON.stringify(shared.body));
    assert.deepEqual(owners(shared.body), { 'alpha/Apply': 'f:a,f:b', 'beta/Apply': 'f:a,f:c' });

    const two = await apply('ssa', 'gamma', { a: 'y', b: 'z' });
    assert.equal(two.status, 409);
    assert.equal(two.body.message, 'Apply failed with 3 conflicts: conflicts with "alpha":\n- .data.a\n- .data.b\nconflicts with "beta":\n- .data.a');

    const forced = await apply('ssa', 'beta', { a: 'x', c: '3' }, '&force=true');
    assert.equal(forced.status, 200);
    assert.equal(forced.body.data.a, 'x');
    assert.deepEqual(owners(forced.body), { 'alpha/Apply': 'f:b', 'beta/Apply': 'f:a,f:c' });

    // alpha stops applying b: its only owner, so it goes; beta's fields stay; alpha, owning nothing, leaves managedFields
    const dropped = await apply('ssa', 'alpha', undefined);
    assert.equal(dropped.status, 200);
    assert.deepEqual(dropped.body.data, { a: 'x', c: '3' });
    assert.deepEqual(owners(dropped.body), { 'beta/Apply': 'f:a,f:c' });

    // an ordinary update takes fields silently; applying over it is a conflict with that Update manager
    const edited = await api('PATCH', `${CMS}/ssa?fieldManager=kubectl-edit`, { data: { c: 'edited' } }, 'application/merge-patch+json');
    const editTime = edited.body.metadata.managedFields.find((m: any) => m.manager === 'kubectl-edit').time;
    const reapply = await apply('ssa', 'beta', { a: 'x', c: '3' });
    assert.equal(reapply.status, 409);
    assert.equal(reapply.body.message, `Apply failed with 1 conflict: conflict with "kubectl-edit" using v1 at ${editTime}: .data.c`);
    // beta no longer applying c while kubectl-edit owns it: c stays
    const kept = await apply('ssa', 'beta', { a: 'x' });
    assert.deepEqual(kept.body.data, { a: 'x', c: 'edited' });
    // sharing a field is a change of ownership alone: stored (new resourceVersion); the same apply again is a no-op
    const coOwned = await apply('ssa', 'delta', { a: 'x' });
    assert.notEqual(coOwned.body.metadata.resourceVersion, kept.body.metadata.resourceVersion);
    assert.deepEqual(owners(coOwned.body), { 'beta/Apply': 'f:a', 'delta/Apply': 'f:a', 'kubectl-edit/Update': 'f:c' });
    const repeated = await apply('ssa', 'delta', { a: 'x' });
    assert.equal(repeated.body.metadata.resourceVersion, coOwned.body.metadata.resourceVersion);
    assert.deepEqual(repeated.body.metadata.managedFields, coOwned.body.metadata.managedFields);
  });

  it('refuses an apply without fieldManager, and force on other patches (422 on PatchOptions)', async () => {
    const noManager = await apply('ssa-nm', undefined, { a: '1' });
    assert.equal(noManager.status, 422);
    assert.equal(noManager.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    assert.equal((await api('GET', `${CMS}/ssa-nm`)).status, 404);
    await api('POST', CMS, { metadata: { name: 'ssa-nm' } });
    const force = await api('PATCH', `${CMS}/ssa-nm?force=true`, { data: { a: '1' } }, 'application/merge-patch+json');
    assert.equal(force.status, 422);
    assert.equal(force.body.message, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
  });

  it("merges associative lists by key and keeps other managers' items, as kubectl apply --server-side sees it", async () => {
    const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-cli\n  finalizers: [example.com/a]\ndata:\n${data}`;
    writeFileSync(join(workDir, 'ssa.yaml'), cm('  k: one\n'));
    const first = await kubectl(['apply', '--server-side', '--field-manager=argocd', '-f', join(workDir, 'ssa.yaml')]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /configmap\/ssa-cli serverside-applied/);
    await api(
      'PATCH',
      `${CMS}/ssa-cli?fieldManager=operator`,
      [
        { op: 'add', path: '/metadata/finalizers/-', value: 'example.com/b' },
        { op: 'replace', path: '/data/k', value: 'two' },
      ],
      'application/json-patch+json',
    );
    writeFileSync(join(workDir, 'ssa.yaml'), cm('  k: three\n'));
    const clash = await kubectl(['apply', '--server-side', '--field-manager=argocd', '-f', join(workDir, 'ssa.yaml')]);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /Apply failed with 1 conflict: conflict with "operator" using v1 at [0-9TZ:-]+: \.data\.k/);
    const forced = await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=argocd', '-f', join(workDir, 'ssa.yaml')]);
    assert.equal(forced.code, 0, forced.stderr);
    const got = (await api('GET', `${CMS}/ssa-cli`)).body;
    assert.equal(got.data.k, 'three');
    assert.deepEqual(got.metadata.finalizers, ['example.com/a', 'example.com/b'], "a set list keeps the other manager's member");
    const operator = got.metadata.managedFields.find((m: any) => m.manager === 'operator');
    assert.deepEqual(operator.fieldsV1, { 'f:metadata': { 'f:finalizers': { 'v:"example.com/b"': {} } } });
    await api('PATCH', `${CMS}/ssa-cli`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
  });
});

describe('warnings (Warning: 299 headers)', () => {
  const INGRESSES = '/apis/networking.k8s.io/v1/namespaces/default/ingresses';
  const ingress = (name: string, annotations: Record<string, string>) => ({
    metadata: { name, annotations },
    spec: { rules: [{ host: `${name}.example.com` }] },
  });

  it('warns that the kubernetes.io/ingress.class annotation is deprecated when an Ingress with it is created (also in a dry run)', async () => {
    const expected = '299 - "annotation \\"kubernetes.io/ingress.class\\" is deprecated, please use \'spec.ingressClassName\' instead"';
    const dry = await api('POST', `${INGRESSES}?dryRun=All`, ingress('classic', { 'kubernetes.io/ingress.class': 'nginx' }));
    assert.equal(dry.status, 201, JSON.stringify(dry.body));
    assert.equal(dry.headers.warning, expected);
    const created = await api('POST', INGRESSES, ingress('classic', { 'kubernetes.io/ingress.class': 'nginx' }));
    assert.equal(created.headers.warning, expected);
    const plain = await api('POST', INGRESSES, ingress('modern', { 'cert-manager.io/cluster-issuer': 'x' }));
    assert.equal(plain.status, 201);
    assert.equal(plain.headers.warning, undefined);
    writeFileSync(
      join(workDir, 'classic.yaml'),
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: classic-cli\n  annotations:\n    kubernetes.io/ingress.class: nginx\nspec:\n  rules:\n  - host: cli.example.com\n',
    );
    const cli = await kubectl(['apply', '-f', join(workDir, 'classic.yaml')]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stderr, /^Warning: annotation "kubernetes\.io\/ingress\.class" is deprecated, please use 'spec\.ingressClassName' instead$/m);
  });

  it('warns on every request to a deprecated CRD version: its deprecationWarning, else "<group>/<version> <Kind> is deprecated; use <newest version>"', async () => {
    const version = (name: string, extra: Record<string, unknown>) => ({
      name,
      served: true,
      storage: name === 'v1',
      schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      ...extra,
    });
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `relics.${GROUP}` },
      spec: {
        group: GROUP,
        scope: 'Namespaced',
        names: { plural: 'relics', singular: 'relic', kind: 'Relic' },
        versions: [
          version('v1alpha1', { deprecated: true, deprecationWarning: 'relics v1alpha1 goes away in 2027' }),
          version('v1beta1', { deprecated: true }),
          version('v1', {}),
        ],
      },
    };
    assert.equal((await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
    const path = (v: string) => `/apis/${GROUP}/${v}/namespaces/default/relics`;
    await eventually(async () => (await api('GET', path('v1'))).status === 200, 'relics served');
    const created = await api('POST', path('v1beta1'), { metadata: { name: 'r1' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const defaultText = `299 - "${GROUP}/v1beta1 Relic is deprecated; use ${GROUP}/v1 Relic"`;
    assert.equal(created.headers.warning, defaultText);
    assert.equal((await api('GET', `${path('v1beta1')}/r1`)).headers.warning, defaultText);
    assert.equal((await api('GET', path('v1beta1'))).headers.warning, defaultText);
    assert.equal((await api('GET', path('v1alpha1'))).headers.warning, '299 - "relics v1alpha1 goes away in 2027"');
    assert.equal((await api('GET', path('v1'))).headers.warning, undefined);
    const watched = await new Promise<string | string[] | undefined>((resolve, reject) => {
      const req = https.get(
        `${server.url}${path('v1beta1')}?watch=true&timeoutSeconds=1`,
        { ca: server.caPem, headers: { authorization: `Bearer ${server.token}` } },
        (res) => {
          resolve(res.headers.warning);
          req.destroy();
        },
      );
      req.on('error', reject);
    });
    assert.equal(watched, defaultText);
  });
});

describe('kubectl', () => {
  it('applies an Ingress and a custom resource, then re-applies a change (client-side apply)', async () => {
    const ingress = (cls: string, extraAnnotation: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
${extraAnnotation}
spec:
  ingressClassName: ${cls}
  tls:
  - hosts: [a.example.com]
    secretName: web-tls
  rules:
  - host: a.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: web, port: {number: 80}}}
---
apiVersion: ${GROUP}/v1
kind: Widget
metadata:
  name: applied
spec:
  size: ${cls === 'nginx' ? 2 : 5}
`;
    writeFileSync(join(workDir, 'a.yaml'), ingress('nginx', '    old: "yes"'));
    const first = await kubectl(['apply', '-f', join(workDir, 'a.yaml')]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /ingress.networking.k8s.io\/web created/);
    assert.match(first.stdout, /widget.conformance.certgate.io\/applied created/);
    writeFileSync(join(workDir, 'a.yaml'), ingress('traefik', ''));
    const second = await kubectl(['apply', '-f', join(workDir, 'a.yaml')]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /ingress.networking.k8s.io\/web configured/);
    const ing = (await api('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/web')).body;
    assert.equal(ing.spec.ingressClassName, 'traefik');
    assert.equal(ing.metadata.annotations.old, undefined, 'field removed from the manifest is removed (three-way merge)');
    assert.ok(ing.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    const w = (await api('GET', `${WIDGETS}/applied`)).body;
    assert.equal(w.spec.size, 5);
    assert.equal(w.metadata.generation, 2);
  });

  it('rejects an unknown field like the real server (strict by default) and shows schema errors', async () => {
    const res = await kubectl(['apply', '-f', '-'], `apiVersion: ${GROUP}/v1\nkind: Widget\nmetadata: {name: typo}\nspec: {size: 1, colour: red}\n`);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /strict decoding error: unknown field "spec.colour"/);
    const invalid = await kubectl(['apply', '-f', '-'], `apiVersion: ${GROUP}/v1\nkind: Widget\nmetadata: {name: nosize}\nspec: {color: red}\n`);
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /The Widget "nosize" is invalid: spec.size: Required value/);
    const ingressTypo = await kubectl(
      ['apply', '-f', '-'],
      'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: typo}\nspec:\n  tls:\n  - hosts: [a.example.com]\n    secretname: x\n',
    );
    assert.notEqual(ingressTypo.code, 0);
    assert.match(ingressTypo.stderr, /Ingress in version "v1" cannot be handled as a Ingress: strict decoding error: unknown field "spec.tls\[0\].secretname"/);
  });

  it('shows printer columns in kubectl get', async () => {
    await api('POST', WIDGETS, widget('printed', { size: 4, color: 'blue' }));
    await api('PATCH', `${WIDGETS}/printed/status`, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'application/merge-patch+json');
    const res = await kubectl(['get', 'wdg', 'printed']);
    assert.equal(res.code, 0, res.stderr);
    const [header, row] = res.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    assert.deepEqual(header, ['NAME', 'SIZE', 'COLOR', 'READY']);
    assert.deepEqual(row, ['printed', '4', 'blue', 'True']);
    const secrets = await kubectl(['get', 'secrets', 'tls-1']);
    assert.match(secrets.stdout, /^NAME\s+TYPE\s+DATA\s+AGE\n/);
  });

  it('shows a webhook denial and a webhook warning on kubectl apply; dry runs reach both webhooks with dryRun: true', async () => {
    const ca = createTestCa('conformance-webhook-ca');
    const leaf = ca.issue(['127.0.0.1']);
    const reviews: any[] = [];
    const hook = https.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const review = JSON.parse(body);
        reviews.push(review.request);
        const obj = review.request.object;
        const response: any = { uid: review.request.uid, allowed: obj?.spec?.color !== 'red' };
        if (!response.allowed) response.status = { code: 403, message: 'red widgets are not allowed' };
        else response.warnings = ['widgets look better in blue'];
        if (req.url?.startsWith('/mutate')) {
          response.allowed = true;
          delete response.status;
          delete response.warnings;
          response.patchType = 'JSONPatch';
          response.patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { mutated: 'true' } }])).toString('base64');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const port = (hook.address() as any).port;
    const rules = [{ apiGroups: [GROUP], apiVersions: ['*'], resources: ['widgets'], operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' }];
    const clientConfig = (path: string) => ({ url: `https://127.0.0.1:${port}${path}`, caBundle: Buffer.from(ca.certPem).toString('base64') });
    try {
      // registered with the wrong CA first: calls fail closed until the caBundle is fixed
      await api('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
        metadata: { name: 'vwidget' },
        webhooks: [
          {
            name: 'vwidget.conformance.certgate.io',
            rules,
            clientConfig: { ...clientConfig('/validate'), caBundle: Buffer.from(server.caPem).toString('base64') },
            admissionReviewVersions: ['v1'],
            sideEffects: 'None',
            failurePolicy: 'Fail',
            objectSelector: { matchExpressions: [{ key: 'skip', operator: 'DoesNotExist' }] },
          },
        ],
      });
      const untrusted = await api('POST', WIDGETS, widget('untrusted', { size: 1 }));
      assert.equal(untrusted.status, 500);
      assert.match(
        untrusted.body.message,
        /^Internal error occurred: failed calling webhook "vwidget.conformance.certgate.io": failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/validate\?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority$/,
        "in Go's words",
      );
      const fixed = await api(
        'PATCH',
        '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/vwidget',
        [{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: Buffer.from(ca.certPem).toString('base64') }],
        'application/json-patch+json',
      );
      assert.equal(fixed.status, 200);
      // the mutating webhook is addressed as a Service, resolved through the serviceResolver option
      hookPort = port;
      // v1 has no webhooks with side effects (sideEffects Some/Unknown were v1beta1's): every v1 webhook is called on dry runs
      const mwidget = (sideEffects: string) => ({
        metadata: { name: 'mwidget' },
        webhooks: [
          {
            name: 'mwidget.conformance.certgate.io',
            rules,
            clientConfig: { service: { namespace: 'certgate', name: 'hook', path: '/mutate' }, caBundle: Buffer.from(ca.certPem).toString('base64') },
            admissionReviewVersions: ['v1'],
            sideEffects,
          },
        ],
      });
      const withSideEffects = await api('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', mwidget('Some'));
      assert.equal(withSideEffects.status, 422);
      assert.equal((await api('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', mwidget('NoneOnDryRun'))).status, 201);
      const denied = await kubectl(['apply', '-f', '-'], `apiVersion: ${GROUP}/v1\nkind: Widget\nmetadata: {name: red}\nspec: {size: 1, color: red}\n`);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /admission webhook "vwidget.conformance.certgate.io" denied the request: red widgets are not allowed/);
      const warned = await kubectl(['apply', '-f', '-'], `apiVersion: ${GROUP}/v1\nkind: Widget\nmetadata: {name: blue}\nspec: {size: 1, color: blue}\n`);
      assert.equal(warned.code, 0, warned.stderr);
      assert.match(warned.stderr, /Warning: widgets look better in blue/);
      const stored = (await api('GET', `${WIDGETS}/blue`)).body;
      assert.equal(stored.metadata.labels.mutated, 'true', 'mutating webhook JSONPatch applied');
      const seen = reviews.find((r) => r.name === 'blue' && r.operation === 'CREATE');
      assert.deepEqual(
        [seen.kind.kind, seen.resource.resource, seen.namespace, seen.dryRun, seen.userInfo.username],
        ['Widget', 'widgets', 'default', false, 'kubernetes-admin'],
      );
      const dryOk = await api('POST', `${WIDGETS}?dryRun=All`, widget('dry-hook', { size: 1 }));
      assert.equal(dryOk.status, 201);
      assert.equal(dryOk.body.metadata.labels.mutated, 'true');
      assert.deepEqual(
        reviews.filter((r) => r.name === 'dry-hook').map((r) => r.dryRun),
        [true, true],
        'both webhooks saw dryRun: true',
      );
      assert.equal((await api('GET', `${WIDGETS}/dry-hook`)).status, 404);
      // a webhook that cannot be reached fails closed with failurePolicy Fail
      hook.close();
      hook.closeAllConnections();
      const unreachable = await api('POST', WIDGETS, widget('unreachable', { size: 1 }, { labels: { skip: 'validation' } }));
      assert.equal(unreachable.status, 500);
      assert.match(
        unreachable.body.message,
        /^Internal error occurred: failed calling webhook "mwidget.conformance.certgate.io": failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/mutate\?timeout=10s": dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/,
        "in Go's words",
      );
    } finally {
      await api('DELETE', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/vwidget');
      await api('DELETE', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/mwidget');
      hook.close();
    }
  });
});

describe('kubectl typed clients (protobuf bodies)', () => {
  it('creates secrets, configmaps, namespaces and service accounts, and answers auth can-i', async () => {
    const secret = await kubectl(['create', 'secret', 'generic', 'pb-secret', '--from-literal=user=admin', '--type=example.com/basic', '-o', 'json']);
    assert.equal(secret.code, 0, secret.stderr);
    const stored = (await api('GET', '/api/v1/namespaces/default/secrets/pb-secret')).body;
    assert.deepEqual([stored.type, stored.data.user, stored.metadata.generateName], ['example.com/basic', Buffer.from('admin').toString('base64'), undefined]);
    const cm = await kubectl(['create', 'configmap', 'pb-cm', '--from-literal=k=v']);
    assert.equal(cm.code, 0, cm.stderr);
    assert.deepEqual((await api('GET', '/api/v1/namespaces/default/configmaps/pb-cm')).body.data, { k: 'v' });
    const ns = await kubectl(['create', 'namespace', 'pb-ns']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.equal((await api('GET', '/api/v1/namespaces/pb-ns')).body.status.phase, 'Active');
    const sa = await kubectl(['create', 'serviceaccount', 'pb-sa', '-n', 'pb-ns']);
    assert.equal(sa.code, 0, sa.stderr);
    const canI = await kubectl(['auth', 'can-i', 'delete', 'secrets']);
    assert.equal(canI.stdout.trim(), 'yes');
  });
});

describe('RBAC (rbac: true)', () => {
  let rbacServer: EmbeddedApiServer;
  before(async () => {
    rbacServer = await startApiServer({ dir: join(workDir, 'rbac'), crdDir: null, rbac: true });
  });
  after(async () => rbacServer?.stop());

  it('forbids ServiceAccount tokens until a RoleBinding grants access', async () => {
    const admin = (m: string, p: string, b?: unknown) => request(rbacServer, rbacServer.token, m, p, b);
    const bot = rbacServer.tokenFor('default', 'bot');
    const denied = await request(rbacServer, bot, 'GET', '/api/v1/namespaces/default/secrets');
    assert.equal(denied.status, 403);
    assert.equal(denied.body.reason, 'Forbidden');
    assert.equal(
      denied.body.message,
      'secrets is forbidden: User "system:serviceaccount:default:bot" cannot list resource "secrets" in API group "" in the namespace "default"',
    );
    const noToken = await request(rbacServer, 'wrong', 'GET', '/api/v1/namespaces/default/secrets');
    assert.equal(noToken.status, 401);
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles', {
      metadata: { name: 'secret-reader' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch'] }],
    });
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
      metadata: { name: 'bot-reads-secrets' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'default' }],
    });
    assert.equal((await request(rbacServer, bot, 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
    assert.equal((await request(rbacServer, bot, 'GET', '/api/v1/namespaces/kube-system/secrets')).status, 403, 'a RoleBinding grants only in its namespace');
    const kubeconfig = await rbacServer.kubeconfigFor('default', 'bot');
    const create = await kubectl(['create', 'configmap', 'nope', '--from-literal=a=b'], undefined, kubeconfig);
    assert.notEqual(create.code, 0);
    assert.match(
      create.stderr,
      /configmaps is forbidden: User "system:serviceaccount:default:bot" cannot create resource "configmaps" in API group "" in the namespace "default"/,
    );
    const canI = await kubectl(['auth', 'can-i', 'list', 'secrets'], undefined, kubeconfig);
    assert.equal(canI.stdout.trim(), 'yes');
    // kubectl create token (serviceaccounts/token) and impersonation (--as) answer for that ServiceAccount
    const adminKubeconfig = rbacServer.kubeconfigPath;
    await admin('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'bot' } });
    const token = await kubectl(['create', 'token', 'bot'], undefined, adminKubeconfig);
    assert.equal(token.code, 0, token.stderr);
    assert.equal((await request(rbacServer, token.stdout.trim(), 'GET', '/api/v1/namespaces/default/secrets')).status, 200);
    assert.equal((await request(rbacServer, token.stdout.trim(), 'GET', '/api/v1/namespaces/default/configmaps')).status, 403);
    const asBot = await kubectl(['auth', 'can-i', 'list', 'configmaps', '--as=system:serviceaccount:default:bot'], undefined, adminKubeconfig);
    assert.equal(asBot.stdout.trim(), 'no');
    const botImpersonates = await kubectl(['get', 'secrets', '--as=kubernetes-admin'], undefined, kubeconfig);
    assert.match(botImpersonates.stderr, /users "kubernetes-admin" is forbidden: User "system:serviceaccount:default:bot" cannot impersonate resource "users"/);
  });

  it('refuses Roles and bindings that grant rights the user does not hold, unless it may escalate or bind (403 with the real text)', async () => {
    const RBAC = '/apis/rbac.authorization.k8s.io/v1';
    const admin = (m: string, p: string, b?: unknown) => request(rbacServer, rbacServer.token, m, p, b);
    const asDelegate = (m: string, p: string, b?: unknown) => request(rbacServer, delegate, m, p, b);
    const delegate = rbacServer.tokenFor('default', 'delegate');
    const bind = (name: string, roleKind: string, roleName: string) => ({
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: 'delegate', namespace: 'default' }],
    });
    // The delegate may manage Roles and RoleBindings in "default" and read ConfigMaps there, nothing more.
    assert.equal(
      (
        await admin('POST', `${RBAC}/namespaces/default/roles`, {
          metadata: { name: 'rbac-manager' },
          rules: [
            { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ['create', 'get', 'update'] },
            { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
          ],
        })
      ).status,
      201,
    );
    assert.equal((await admin('POST', `${RBAC}/namespaces/default/rolebindings`, bind('delegate-manages-rbac', 'Role', 'rbac-manager'))).status, 201);
    assert.equal(
      (await admin('POST', `${RBAC}/clusterroles`, { metadata: { name: 'secret-admin' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['*'] }] }))
        .status,
      201,
    );
    const groups = '(groups=["system:serviceaccounts" "system:serviceaccounts:default" "system:authenticated"])';

    const steal = { metadata: { name: 'steal-secrets' }, rules: [{ apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list'] }] };
    for (const path of [`${RBAC}/namespaces/default/roles?dryRun=All`, `${RBAC}/namespaces/default/roles`]) {
      const refused = await asDelegate('POST', path, steal);
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.body.reason, 'Forbidden');
      assert.equal(
        refused.body.message,
        `roles.rbac.authorization.k8s.io "steal-secrets" is forbidden: user "system:serviceaccount:default:delegate" ${groups} is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["configmaps"], Verbs:["list"]}\n{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}`,
      );
      assert.deepEqual(refused.body.details, { name: 'steal-secrets', group: 'rbac.authorization.k8s.io', kind: 'roles' });
    }
    // Rights it holds it may hand on, and a Role it made may not later grow beyond them.
    const held = await asDelegate('POST', `${RBAC}/namespaces/default/roles`, {
      metadata: { name: 'read-config' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    const grown = await asDelegate('PUT', `${RBAC}/namespaces/default/roles/read-config`, {
      ...held.body,
      rules: [{ apiGroups: [''], resources: ['configmaps', 'secrets'], verbs: ['get'] }],
    });
    assert.equal(grown.status, 403);
    assert.match(
      grown.body.message,
      /is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["secrets"\], Verbs:\["get"\]\}$/,
    );
    assert.equal(
      (
        await asDelegate('POST', `${RBAC}/namespaces/default/rolebindings`, {
          ...bind('read-config', 'Role', 'read-config'),
          subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'default' }],
        })
      ).status,
      201,
    );

    // Binding a role whose rules it lacks is refused; a binding to a missing role is 404.
    const bound = await asDelegate('POST', `${RBAC}/namespaces/default/rolebindings`, bind('grab-secrets', 'ClusterRole', 'secret-admin'));
    assert.equal(bound.status, 403);
    assert.equal(
      bound.body.message,
      `rolebindings.rbac.authorization.k8s.io "grab-secrets" is forbidden: user "system:serviceaccount:default:delegate" ${groups} is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["*"]}`,
    );
    const missing = await asDelegate('POST', `${RBAC}/namespaces/default/rolebindings`, bind('to-nothing', 'ClusterRole', 'no-such-role'));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'clusterroles.rbac.authorization.k8s.io "no-such-role" not found');

    // The "bind" verb on that ClusterRole, and the "escalate" verb on roles, lift the check.
    await admin('POST', `${RBAC}/namespaces/default/roles`, {
      metadata: { name: 'may-bind-escalate' },
      rules: [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['secret-admin'], verbs: ['bind'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate'] },
      ],
    });
    await admin('POST', `${RBAC}/namespaces/default/rolebindings`, bind('delegate-may-bind-escalate', 'Role', 'may-bind-escalate'));
    assert.equal((await asDelegate('POST', `${RBAC}/namespaces/default/rolebindings`, bind('grab-secrets', 'ClusterRole', 'secret-admin'))).status, 201);
    assert.equal(
      (
        await asDelegate('POST', `${RBAC}/namespaces/default/roles`, {
          ...steal,
          metadata: { name: 'steal-more' },
          rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['delete'] }],
        })
      ).status,
      201,
    );
    // The admin (system:masters) is never checked.
    assert.equal(
      (
        await admin('POST', `${RBAC}/clusterroles`, {
          metadata: { name: 'aggregate-all' },
          aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] },
        })
      ).status,
      201,
    );
  });
});

describe('persistence (statePath)', () => {
  it('reloads objects and keeps counting resourceVersions after a restart', async () => {
    const statePath = join(workDir, 'state', 'state.json');
    const first = await startApiServer({ dir: join(workDir, 'p1'), crdDir: null, statePath });
    const created = (await request(first, first.token, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'kept' }, data: { a: '1' } })).body;
    await request(first, first.token, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetCrd);
    await first.stop();
    const second = await startApiServer({ dir: join(workDir, 'p2'), crdDir: null, statePath });
    try {
      const reloaded = (await request(second, second.token, 'GET', '/api/v1/namespaces/default/configmaps/kept')).body;
      assert.deepEqual([reloaded.metadata.uid, reloaded.data.a], [created.metadata.uid, '1']);
      const w = await request(second, second.token, 'POST', `/apis/${GROUP}/v1/namespaces/default/widgets`, widget('after-restart'));
      assert.equal(w.status, 201, 'CRDs are served again after a restart');
      assert.ok(Number(w.body.metadata.resourceVersion) > Number(created.metadata.resourceVersion));
    } finally {
      await second.stop();
    }
  });
});

describe('the chart CRDs', () => {
  it('load at start and are served to kubectl', async () => {
    const chartServer = await startApiServer({ dir: join(workDir, 'chart') });
    try {
      const crds = (await request(chartServer, chartServer.token, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).body.items;
      assert.ok(crds.length > 0, 'charts/certgate/crds has CRDs');
      for (const crd of crds)
        assert.ok(
          crd.status.conditions.some((c: any) => c.type === 'Established' && c.status === 'True'),
          `${crd.metadata.name} established`,
        );
      const get = await kubectl(['get', 'certificates', '-A'], undefined, chartServer.kubeconfigPath);
      assert.equal(get.code, 0, get.stderr);
      assert.match(get.stderr, /No resources found/);
    } finally {
      await chartServer.stop();
    }
  });
});
