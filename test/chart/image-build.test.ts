// The image's build (scripts/build.ts, run by `npm run build` in the Dockerfile) laid out as the image
// holds it: package.json, node_modules and dist/ side by side. Its entry point must not load
// @kubernetes/client-node's generated API (~14 MiB of the worker's heap), every package the bundle
// leaves external must be one `npm ci --omit=dev` installs at the top of node_modules, and the bundled
// worker and CLI must still load a kubeconfig, authenticate (here through an exec credential plugin),
// watch and write: a SelfSigned Certificate becomes Ready.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, stringify } from 'yaml';
import type { Metafile } from 'esbuild';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import { Resources } from '../../api/resources.ts';
import type { Certificate } from '../../api/types.generated.ts';
import { KubeClient, loadKubeConfig } from '../../lib/kube/client.ts';
import { BUILT_ENTRY_POINT, buildBundle } from '../../scripts/build.ts';
import { repoRoot } from '../../scripts/render-manifests.ts';
import { imageEnv, imageNodeFlags } from '../../bench/compiled-worker.ts';
import { certificate, isReady, secretWithCertificate, waitFor } from '../fixtures.ts';
import { runCommand } from '../run-command.ts';

const NS = 'image-build';

// Module hooks (run before the entry point): every module file Node loads is recorded, and each ES
// module's source (CommonJS sources do not pass through here) is checked for names only client-node's
// generated API defines (its model and API classes), and for KubeConfig.
const LOAD_HOOKS = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (url.startsWith('file:')) {
    const source = loaded.source ?? '';
    const text = typeof source === 'string' ? source : Buffer.from(source).toString('utf8');
    appendFileSync(out, JSON.stringify({ url, generatedApi: /\\b(V1PodSpec|CoreV1Api)\\b/.test(text), kubeConfig: /\\bclass _?KubeConfig\\b/.test(text) }) + '\\n');
  }
  return loaded;
}
`;

interface LoadedModule {
  url: string;
  generatedApi: boolean;
  kubeConfig: boolean;
}

describe('the image build (dist/ bundled by scripts/build.ts)', { timeout: 600_000 }, () => {
  let app: string;
  let metafile: Metafile;
  let server: EmbeddedApiServer | undefined;
  let worker: ChildProcess | undefined;
  let workerOutput = '';

  before(async () => {
    // /app of the runtime stage: package.json ("type": "module"), node_modules and dist/.
    app = mkdtempSync(join(tmpdir(), 'certgate-image-'));
    copyFileSync(join(repoRoot, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(repoRoot, 'node_modules'), join(app, 'node_modules'), 'dir');
    metafile = await buildBundle(join(app, 'dist'));
  });

  after(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((resolve) => worker!.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await server?.stop();
    rmSync(app, { recursive: true, force: true });
  });

  /** Runs `node --import <LOAD_HOOKS> args...` in the app folder; returns its exit code, output and the modules it loaded. */
  async function loadedModules(args: string[]): Promise<{ code: number; stdout: string; stderr: string; modules: LoadedModule[] }> {
    const out = join(app, `loaded-${Date.now()}.jsonl`);
    writeFileSync(out, '');
    writeFileSync(join(app, 'hooks.mjs'), LOAD_HOOKS);
    writeFileSync(
      join(app, 'register-hooks.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(app, 'hooks.mjs')).href)}, { data: { out: ${JSON.stringify(out)} } });\n`,
    );
    const r = await runCommand(process.execPath, ['--import', pathToFileURL(join(app, 'register-hooks.mjs')).href, ...args], { cwd: app, timeoutMs: 120_000 });
    const modules = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LoadedModule);
    return { ...r, modules };
  }

  test('`certgate worker --help` loads KubeConfig but none of client-node’s generated API', async () => {
    const r = await loadedModules([...imageNodeFlags(), join('dist', BUILT_ENTRY_POINT), 'worker', '--help']);
    assert.match(r.stdout, /Usage: worker/, r.stderr);
    assert.ok(
      r.modules.some((m) => m.kubeConfig),
      `KubeConfig is among the modules the worker loads: ${r.modules.map((m) => m.url).join(', ')}`,
    );
    assert.deepEqual(
      r.modules.filter((m) => m.generatedApi).map((m) => m.url),
      [],
      'no loaded module holds the generated API',
    );
    assert.deepEqual(
      r.modules.filter((m) => m.url.includes('/@kubernetes/client-node/')).map((m) => m.url),
      [],
      'client-node is bundled',
    );
    // The DNS providers' SDKs are imported only when an issuer uses them: the bundle keeps them behind import().
    assert.deepEqual(
      r.modules.filter((m) => /\/node_modules\/(@aws-sdk|@azure|cloudflare|google-auth-library|akamai-edgegrid)\//.test(m.url)).map((m) => m.url),
      [],
      'no DNS provider SDK is loaded at start',
    );
  });

  test('the check sees the generated API where client-node is loaded from node_modules', async () => {
    const r = await loadedModules(['--input-type=module', '-e', "await import('@kubernetes/client-node');"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.modules.some((m) => m.generatedApi && m.url.includes('/client-node/dist/gen/')));
  });

  test('every package the bundle imports is one `npm ci --omit=dev` installs at the top of node_modules', () => {
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const external = new Set(
      Object.values(metafile.outputs)
        .flatMap((o) => o.imports)
        .filter((i) => i.external && !isBuiltin(i.path))
        .map((i) =>
          i.path
            .split('/')
            .slice(0, i.path.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    );
    assert.ok(external.has('pino') && external.has('js-yaml'), `our dependencies and client-node's stay external: ${[...external].join(', ')}`);
    assert.ok(!external.has('@kubernetes/client-node'), 'client-node is bundled');
    const missing = [...external].filter((name) => !lock.packages[`node_modules/${name}`] || lock.packages[`node_modules/${name}`].dev);
    assert.deepEqual(missing, [], 'not installed at node_modules/<name> in the production tree');
  });

  test('the bundled worker issues a SelfSigned Certificate with an exec-plugin kubeconfig; the bundled CLI reads it', async () => {
    server = await startApiServer();
    // The same cluster, the token handed over by an exec credential plugin instead of the kubeconfig.
    const execPlugin = join(app, 'credential.mjs');
    const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: server.token } };
    writeFileSync(execPlugin, `process.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`, { mode: 0o600 });
    const kubeconfig = parse(readFileSync(server.kubeconfigPath, 'utf8')) as { users: Array<{ name: string; user: Record<string, unknown> }> };
    for (const u of kubeconfig.users)
      u.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [execPlugin], interactiveMode: 'Never' } };
    const execKubeconfig = join(app, 'kubeconfig-exec.yaml');
    writeFileSync(execKubeconfig, stringify(kubeconfig), { mode: 0o600 });

    const admin = new KubeClient(loadKubeConfig({ kubeconfig: server.kubeconfigPath }), 'certgate-test');
    await admin.create(Resources.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await admin.create(Resources.Issuer, {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Issuer',
      metadata: { name: 'selfsigned', namespace: NS },
      spec: { selfSigned: {} },
    });
    await admin.create(Resources.Certificate, certificate(NS, 'bundled'));

    const entry = join('dist', BUILT_ENTRY_POINT);
    const flags = ['--kubeconfig', execKubeconfig, '--namespace', NS, '--no-leader-elect', '--metrics-listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0'];
    worker = spawn(process.execPath, [...imageNodeFlags(), entry, 'worker', ...flags], {
      cwd: app,
      env: { ...process.env, ...imageEnv(), CERTGATE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (b: Buffer) => (workerOutput = (workerOutput + b.toString()).slice(-20_000)));
    worker.stderr!.on('data', (b: Buffer) => (workerOutput = (workerOutput + b.toString()).slice(-20_000)));

    const secret = await secretWithCertificate(admin, NS, 'bundled-tls', 120_000).catch((e: Error) => {
      throw new Error(`${e.message}\nworker output:\n${workerOutput}`);
    });
    const cert = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    assert.match(cert.subjectAltName ?? '', /DNS:bundled\.example\.test/);
    await waitFor('Certificate bundled Ready', async () => isReady(await admin.get<Certificate>(Resources.Certificate, NS, 'bundled')), 120_000);

    const status = await runCommand(
      process.execPath,
      [...imageNodeFlags(), entry, 'status', 'certificate', 'bundled', '-n', NS, '--kubeconfig', execKubeconfig],
      {
        cwd: app,
        timeoutMs: 120_000,
      },
    );
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /bundled/);
    assert.match(status.stdout, /Ready/);
    // cli/version.ts finds package.json from its own module's URL: a chunk of the bundle, one folder below dist/.
    const version = await runCommand(process.execPath, [entry, 'version', '--client'], { cwd: app, timeoutMs: 60_000 });
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    assert.match(version.stdout, new RegExp(`Client Version: v${pkg.version.replaceAll('.', '\\.')} `), version.stderr);
  });
});
