// `make demo`: certgate end to end on this machine, no cluster needed.
// Starts the embedded Kubernetes API server, pebble (Let's Encrypt's test CA) resolving names
// through BIND, and certgate's three processes exactly as the Helm chart runs them (worker,
// solver, webhook), then drives them the way a user would: kubectl apply of a ClusterIssuer and
// an annotated Ingress, a wait for the Secret, and a kubectl apply the webhook refuses.
// Pass --keep to leave everything running (Ctrl-C stops it); the API server's state is kept in
// .demo/ so a second run starts where the first ended. Pass --short-lived for pebble 2.10 and its
// `shortlived` profile: a 6-day certificate whose renewal time comes from the CA's ARI window.
// Pass --gateway to also install the Gateway API CRDs and issue a certificate for an annotated
// Gateway, HTTP-01 answered through an HTTPRoute (the demo plays the Gateway controller).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, openSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startApiServer } from '../test/apiserver/index.ts';
import { startAcmeStack } from '../test/services/index.ts';
import { freePort } from '../test/services/ports.ts';
import { runCommand } from '../test/run-command.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { GATEWAY_API_CRD_DIR } from '../test/gateway-api/install.ts';
import { startTestGateway, type TestGateway } from '../test/e2e/test-gateway.ts';

const repo = resolve(import.meta.dirname, '..');
const demoDir = join(repo, '.demo');
const keep = process.argv.includes('--keep');
const shortLived = process.argv.includes('--short-lived');
const gateway = process.argv.includes('--gateway');
const step = (text: string) => console.log(`\n\x1b[1m==> ${text}\x1b[0m`);

// A fresh start each run, so the demo shows issuance every time (the API server itself persists
// its state to .demo/apiserver/state.json and survives a restart while it runs with --keep).
rmSync(join(demoDir, 'apiserver'), { recursive: true, force: true });
mkdirSync(demoDir, { recursive: true });
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

async function shutdown(code: number): Promise<never> {
  for (const c of children) c.kill('SIGTERM');
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));

// Asynchronous on purpose: the API server runs in this process and must keep answering.
async function run(command: string, args: string[], input?: string): Promise<{ status: number; out: string }> {
  const r = await runCommand(command, args, { input, timeoutMs: 120_000 });
  return { status: r.code, out: `${r.stdout}${r.stderr}`.trimEnd() };
}

function kubectl(kubeconfig: string, args: string[], input?: string): Promise<{ status: number; out: string }> {
  return run('kubectl', ['--kubeconfig', kubeconfig, ...args], input);
}

function certgate(name: string, args: string[]): ChildProcess {
  const logFile = join(demoDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [join(repo, 'bin/certgate.js'), ...args], { stdio: ['ignore', fd, fd] });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`certgate ${name} exited (${code ?? signal}); see ${logFile}`);
  });
  children.push(child);
  return child;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

try {
  step(`Starting pebble ${shortLived ? '2.10 (ARI, profiles) ' : ''}(ACME test CA) and BIND (DNS for *.example.test)`);
  const stack = await startAcmeStack(shortLived ? { pebbleVersion: '2.10' } : {});
  cleanups.push(() => stack.stop());
  console.log(`ACME directory ${stack.pebble.directoryUrl}; pebble dials HTTP-01 on port ${stack.pebble.httpPort}`);

  step('Starting the embedded Kubernetes API server');
  const webhookPort = await freePort();
  const api = await startApiServer({
    dir: join(demoDir, 'apiserver'),
    statePath: join(demoDir, 'apiserver', 'state.json'),
    // No cluster network here: the chart's webhook Service resolves to the local webhook process.
    serviceResolver: () => `https://127.0.0.1:${webhookPort}`,
  });
  cleanups.push(() => api.stop());
  const kc = api.kubeconfigPath;
  console.log(`API server ${api.url}; try: kubectl --kubeconfig ${kc} get certificates -A`);

  step("Installing certgate's namespace and webhook configurations from the Helm chart");
  const rendered = spawnSync(
    join(repo, '.tools/helm/helm'),
    ['template', 'certgate', join(repo, 'charts/certgate'), '--namespace', 'certgate', '--show-only', 'templates/webhook-configurations.yaml'],
    { encoding: 'utf8' },
  );
  if (rendered.status !== 0) throw new Error(`helm template failed: ${rendered.stderr}`);
  console.log((await kubectl(kc, ['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: certgate\n')).out);
  console.log((await kubectl(kc, ['apply', '-f', '-'], rendered.stdout)).out);

  step('Starting certgate webhook, solver and worker (logs in .demo/*.log)');
  certgate('webhook', [
    'webhook',
    '--kubeconfig',
    kc,
    '--listen',
    `127.0.0.1:${webhookPort}`,
    '--metrics-listen',
    `127.0.0.1:${await freePort()}`,
    '--namespace',
    'certgate',
    '--tls-extra-san',
    '127.0.0.1',
  ]);
  // With --gateway the solver sits behind the demo's Gateway controller, which owns pebble's HTTP-01 port.
  const solverPort = gateway ? await freePort() : stack.pebble.httpPort;
  certgate('solver', ['solver', '--kubeconfig', kc, '--listen', `127.0.0.1:${solverPort}`]);
  // The Gateway controller's part: route pebble's HTTP-01 requests by the HTTPRoutes attached to
  // demo/public; requests no HTTPRoute matches (the Ingress challenges) go to the solver as before.
  const demoGateway = gateway
    ? await startTestGateway({
        client: new KubeClient(loadKubeConfig({ kubeconfig: kc })),
        namespace: 'demo',
        gateway: 'public',
        port: stack.pebble.httpPort,
        backendPort: solverPort,
        fallbackPort: solverPort,
      })
    : undefined;
  if (demoGateway) cleanups.push(() => demoGateway.stop());
  const metricsPort = await freePort();
  certgate('worker', [
    'worker',
    '--kubeconfig',
    kc,
    '--metrics-listen',
    `127.0.0.1:${metricsPort}`,
    '--health-listen',
    `127.0.0.1:${await freePort()}`,
    '--acme-http01-self-check-port',
    String(stack.pebble.httpPort),
    '--acme-dns-nameserver',
    `127.0.0.1:${stack.bind.port}`,
    '--acme-backoff-min-ms',
    '50',
    // BIND is the zone's authoritative nameserver, on its own port instead of 53
    '--dns01-authoritative-port',
    String(stack.bind.port),
    ...(gateway ? ['--gateway-api-discovery-interval', '2s'] : []),
  ]);
  await waitFor('the webhook to answer', 120_000, async () => {
    const r = await kubectl(kc, ['get', 'validatingwebhookconfiguration', 'certgate-webhook', '-o', 'jsonpath={.webhooks[0].clientConfig.caBundle}']);
    return r.status === 0 && r.out.length > 0 ? true : undefined;
  });

  step('kubectl apply: a ClusterIssuer for pebble and an Ingress annotated cert-manager.io/cluster-issuer');
  const caBundle = Buffer.from(stack.pebble.caBundlePem).toString('base64');
  /** A ClusterIssuer on the demo's pebble; `solvers` is the YAML list under spec.acme.solvers. */
  const pebbleClusterIssuer = (name: string, solvers: string, profile?: string) => `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: ${name}
spec:
  acme:
    server: ${stack.pebble.directoryUrl}
    email: admin@example.test
    caBundle: ${caBundle}
    privateKeySecretRef:
      name: pebble-account-key${profile ? `\n    profile: ${profile}` : ''}
    solvers:${solvers}`;
  const manifests = `
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
# The ingress controller's class (no controller runs here: the solver answers pebble directly).
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
spec:
  controller: k8s.io/ingress-nginx
---
${pebbleClusterIssuer(
  'pebble',
  `
      - http01:
          ingress:
            ingressClassName: nginx`,
  shortLived ? 'shortlived' : undefined,
)}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: shop
  namespace: demo
  annotations:
    cert-manager.io/cluster-issuer: pebble
spec:
  ingressClassName: nginx
  tls:
    - hosts: [shop.example.test, www.shop.example.test]
      secretName: shop-tls
  rules:
    - host: shop.example.test
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: shop, port: { number: 80 } } } }] }
    - host: www.shop.example.test
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: shop, port: { number: 80 } } } }] }
`;
  writeFileSync(join(demoDir, 'demo.yaml'), manifests);
  await waitFor('the ClusterIssuer to be accepted', 20_000, async () => {
    const r = await kubectl(kc, ['apply', '-f', join(demoDir, 'demo.yaml')]);
    if (r.status === 0) {
      console.log(r.out);
      return true;
    }
    return undefined;
  });

  step('Waiting for the certificate');
  const started = Date.now();
  await waitFor('Certificate demo/shop-tls to be Ready', 180_000, async () => {
    const r = await kubectl(kc, ['get', 'certificate', 'shop-tls', '-n', 'demo', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return r.out === 'True' ? true : undefined;
  });
  console.log(`issued in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log((await kubectl(kc, ['get', 'clusterissuer,certificate,certificaterequest,order', '-A'])).out);

  step('The Secret the Ingress names: a chain from pebble for exactly the Ingress hosts');
  const secret = JSON.parse((await kubectl(kc, ['get', 'secret', 'shop-tls', '-n', 'demo', '-o', 'json'])).out);
  const leaf = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
  console.log(`subjectAltName: ${leaf.subjectAltName}\nissuer: ${leaf.issuer.replace(/\n/g, ', ')}\nvalid: ${leaf.validFrom} → ${leaf.validTo}`);
  console.log((await run(process.execPath, [join(repo, 'bin/certgate.js'), 'inspect', 'secret', 'shop-tls', '-n', 'demo', '--kubeconfig', kc])).out);

  if (shortLived) {
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000;
    if (days > 7) throw new Error(`the shortlived profile gave a ${days.toFixed(1)}-day certificate`);
    step(`A ${days.toFixed(0)}-day certificate: its renewal time comes from the CA's ARI window`);
    await waitFor('the ARI renewal window in the Certificate status', 30_000, async () => {
      const r = await kubectl(kc, ['get', 'certificate', 'shop-tls', '-n', 'demo', '-o', 'jsonpath={.status.renewalTimeSource}']);
      return r.out === 'ARIWindow' ? true : undefined;
    });
    console.log((await run(process.execPath, [join(repo, 'bin/certgate.js'), 'status', 'certificate', 'shop-tls', '-n', 'demo', '--kubeconfig', kc])).out);
  }

  if (demoGateway)
    await gatewayDemo(
      kc,
      pebbleClusterIssuer('pebble-gateway', '\n      - http01:\n          gatewayHTTPRoute: {}   # the HTTPRoute attaches to the annotated Gateway'),
      demoGateway,
    );

  step('certgate status certificates -A: every Certificate, soonest expiry first');
  console.log((await run(process.execPath, [join(repo, 'bin/certgate.js'), 'status', 'certificates', '-A', '--kubeconfig', kc])).out);

  step('The webhook at work: an Ingress whose TLS host has no rule is refused at kubectl apply');
  const bad = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: broken
  namespace: demo
  annotations:
    cert-manager.io/cluster-issuer: pebble
spec:
  tls:
    - hosts: [typo.example.test]
      secretName: shop-tls
  rules:
    - host: api.example.test
      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: api, port: { number: 80 } } } }] }
`;
  const refused = await kubectl(kc, ['apply', '-f', '-'], bad);
  console.log(refused.out);
  if (refused.status === 0) throw new Error('the webhook accepted an Ingress it should refuse');

  step('A wildcard certificate over DNS-01: a ClusterIssuer with an RFC 2136 solver writing TXT records into BIND');
  const wildcard = `
apiVersion: v1
kind: Secret
metadata:
  name: bind-tsig
  namespace: certgate
stringData:
  secret: ${stack.bind.tsig.secret}
---
${pebbleClusterIssuer(
  'pebble-dns',
  `
      - dns01:
          rfc2136:
            nameserver: ${stack.bind.address}
            tsigKeyName: ${stack.bind.tsig.name}
            tsigAlgorithm: HMACSHA256
            tsigSecretSecretRef: { name: bind-tsig, key: secret }`,
)}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: wildcard
  namespace: demo
spec:
  secretName: wildcard-tls
  dnsNames: [example.test, "*.example.test"]
  issuerRef: { name: pebble-dns, kind: ClusterIssuer }
`;
  console.log((await kubectl(kc, ['apply', '-f', '-'], wildcard)).out);
  const wildcardStarted = Date.now();
  await waitFor('Certificate demo/wildcard to be Ready', 180_000, async () => {
    const r = await kubectl(kc, ['get', 'certificate', 'wildcard', '-n', 'demo', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return r.out === 'True' ? true : undefined;
  });
  console.log(`issued in ${((Date.now() - wildcardStarted) / 1000).toFixed(1)} s`);
  const wildcardSecret = JSON.parse((await kubectl(kc, ['get', 'secret', 'wildcard-tls', '-n', 'demo', '-o', 'json'])).out);
  console.log(`subjectAltName: ${new X509Certificate(Buffer.from(wildcardSecret.data['tls.crt'], 'base64')).subjectAltName}`);

  step('Metrics (cert-manager compatible names)');
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  console.log(
    metrics
      .split('\n')
      .filter((l) => l.startsWith('certmanager_certificate_'))
      .join('\n'),
  );

  console.log(
    `\ncertgate demo: OK. Certificates issued by pebble and stored in demo/shop-tls (HTTP-01${shortLived ? ', shortlived profile: 6 days' : ''})${gateway ? ', demo/store-tls (Gateway demo/public, HTTP-01 through an HTTPRoute)' : ''} and demo/wildcard-tls (DNS-01, *.example.test).`,
  );
  if (keep) {
    console.log(`Still running (Ctrl-C to stop). kubectl --kubeconfig ${kc} get certificates -A`);
    await new Promise(() => undefined);
  }
  await shutdown(0);
} catch (err) {
  console.error(`\ncertgate demo failed: ${err instanceof Error ? err.message : String(err)}\nlogs: ${demoDir}/*.log`);
  await shutdown(1);
}

/** --gateway: Gateway API CRDs, a ClusterIssuer solving HTTP-01 through HTTPRoutes, and an annotated Gateway. */
async function gatewayDemo(kc: string, clusterIssuer: string, demoGateway: TestGateway): Promise<void> {
  step('Gateway API: installing its CRDs (upstream, standard channel) as a cluster with a Gateway controller has them');
  // create, not apply: the HTTPRoute CRD is too large for kubectl's last-applied annotation.
  const crds = await kubectl(kc, ['create', '-f', GATEWAY_API_CRD_DIR]);
  console.log(crds.out);
  if (crds.status !== 0) throw new Error('could not install the Gateway API CRDs');

  step('kubectl apply: a ClusterIssuer solving HTTP-01 with gatewayHTTPRoute and a Gateway annotated cert-manager.io/cluster-issuer');
  const manifests = `${clusterIssuer}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: public
  namespace: demo
  annotations:
    cert-manager.io/cluster-issuer: pebble-gateway
spec:
  gatewayClassName: demo
  listeners:
    - name: http
      port: 80
      protocol: HTTP
    - name: store
      hostname: store.example.test
      port: 443
      protocol: HTTPS
      tls:
        mode: Terminate
        certificateRefs: [{ name: store-tls }]
`;
  writeFileSync(join(demoDir, 'gateway.yaml'), manifests);
  await waitFor('the Gateway manifests to be accepted', 30_000, async () => {
    const r = await kubectl(kc, ['apply', '-f', join(demoDir, 'gateway.yaml')]);
    if (r.status === 0) {
      console.log(r.out);
      return true;
    }
    return undefined;
  });
  const started = Date.now();
  await waitFor('Certificate demo/store-tls to be Ready', 180_000, async () => {
    const r = await kubectl(kc, ['get', 'certificate', 'store-tls', '-n', 'demo', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return r.out === 'True' ? true : undefined;
  });
  console.log(`issued in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const cert = JSON.parse((await kubectl(kc, ['get', 'certificate', 'store-tls', '-n', 'demo', '-o', 'json'])).out);
  console.log(
    `Certificate demo/store-tls: dnsNames ${cert.spec.dnsNames.join(', ')}, controlled by ${cert.metadata.ownerReferences[0].kind} ${cert.metadata.ownerReferences[0].name}`,
  );
  const routed = demoGateway.routed.filter((r) => r.host === 'store.example.test');
  console.log(
    `pebble's HTTP-01 requests for store.example.test routed by certgate's HTTPRoute: ${routed.length} (${[...new Set(routed.map((r) => r.route))].join(', ')})`,
  );
  if (routed.length === 0) throw new Error('no HTTP-01 request was routed through an HTTPRoute');
  const secret = JSON.parse((await kubectl(kc, ['get', 'secret', 'store-tls', '-n', 'demo', '-o', 'json'])).out);
  const leaf = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
  console.log(`Secret demo/store-tls: subjectAltName ${leaf.subjectAltName}, issuer ${leaf.issuer.replace(/\n/g, ', ')}`);
}
