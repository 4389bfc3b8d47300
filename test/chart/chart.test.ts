// The Helm chart: lint, render with several value sets, check the rendered objects against the
// Kubernetes schemas and against what the processes expect (flags, names, ports), the security
// posture of every pod, and that values.schema.json rejects typos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { chartDir, renderChart, repoRoot, runHelm } from '../../scripts/render-manifests.ts';
import { all, chartContainerArgs, find, podTemplates, renderObjects, validateObject, type K8sObject } from './render.ts';
import { parseWebhookConfig } from '../../webhook/config.ts';
import { parseWorkerArgs } from '../../worker/flags.ts';
import { parseHostPort as parseSolverListen } from '../../lib/listen.ts';

interface ValueSet {
  name: string;
  values: Record<string, unknown>;
  release: string;
  namespace: string;
}

const valueSets: ValueSet[] = [
  { name: 'defaults', values: {}, release: 'certgate', namespace: 'certgate' },
  {
    name: 'production: monitoring, network policy, 3 replicas, warn mode, pinned digest',
    release: 'certgate',
    namespace: 'platform-tls',
    values: {
      image: { repository: 'registry.example.com/certgate', digest: `sha256:${'a'.repeat(64)}` },
      imagePullSecrets: [{ name: 'registry-creds' }],
      crds: { keep: false },
      logLevel: 'debug',
      defaultIssuer: 'ClusterIssuer/letsencrypt-production',
      clusterResourceNamespace: 'tls-secrets',
      controller: {
        replicas: 3,
        resources: { requests: { cpu: 0.1, memory: '200Mi' } },
        podDisruptionBudget: { minAvailable: '50%' },
        tolerations: [{ key: 'infra', operator: 'Exists', effect: 'NoSchedule' }],
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        extraArgs: ['--acme-backoff-min-ms=500'],
        serviceAccount: { annotations: { 'iam.example.com/role': 'dns-editor' } },
      },
      webhook: {
        replicas: 3,
        mode: 'warn',
        disabledRules: ['tls-host-not-in-rules', 'duplicate-host'],
        transparentTLS: true,
        failurePolicy: 'Ignore',
        timeoutSeconds: 5,
        excludeNamespaces: ['monitoring'],
      },
      networkPolicy: {
        enabled: true,
        metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        solverFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
      },
      prometheus: {
        serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
        prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      },
      alerts: { additionalLabels: { team: 'platform' }, expiryFloor: '14d' },
    },
  },
  {
    name: 'minimal: single replicas, CRDs managed elsewhere, one watched namespace, other release name',
    release: 'edge',
    namespace: 'tls-system',
    values: { crds: { enabled: false }, controller: { replicas: 1 }, webhook: { replicas: 1 }, watchNamespace: 'shop' },
  },
];

function withValuesFile<T>(values: Record<string, unknown>, fn: (file: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-values-'));
  try {
    const file = join(dir, 'values.yaml');
    writeFileSync(file, stringify(values));
    return fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argValue = (args: string[], flag: string): string | undefined => args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
const container = (objects: K8sObject[], deployment: string, name: string) =>
  find(objects, 'Deployment', deployment).spec.template.spec.containers.find((c: any) => c.name === name);

for (const set of valueSets) {
  test(`helm lint passes: ${set.name}`, () => {
    const r = withValuesFile(set.values, (file) => runHelm(['lint', chartDir, '--strict', '--namespace', set.namespace, '--values', file]));
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  });

  test(`rendered objects are valid Kubernetes objects and wired together: ${set.name}`, async () => {
    const objects = renderObjects(set.values, { release: set.release, namespace: set.namespace });
    for (const obj of objects) await validateObject(obj);
    const fullname = set.release.includes('certgate') ? set.release : `${set.release}-certgate`;
    const ns = set.namespace;

    // Every namespaced object lands in the release namespace, except the controller's Roles when
    // watchNamespace narrows them (watched namespace, cluster resource namespace, Events in default);
    // names are unique per kind.
    const clusterScoped = new Set([
      'CustomResourceDefinition',
      'ClusterRole',
      'ClusterRoleBinding',
      'MutatingWebhookConfiguration',
      'ValidatingWebhookConfiguration',
    ]);
    const watched = (set.values as any).watchNamespace as string | undefined;
    const rbacNamespaces = new Set([ns, ...(watched ? [watched, (set.values as any).clusterResourceNamespace ?? ns, 'default'] : [])]);
    for (const o of objects) {
      if (clusterScoped.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name}`);
      else if (['Role', 'RoleBinding'].includes(o.kind) && o.metadata.name.startsWith(`${fullname}-controller`))
        assert.ok(rbacNamespaces.has(o.metadata.namespace!), `${o.kind}/${o.metadata.name} namespace ${o.metadata.namespace}`);
      else assert.equal(o.metadata.namespace, ns, `${o.kind}/${o.metadata.name} namespace`);
    }
    const keys = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    assert.equal(new Set(keys).size, keys.length, 'duplicate objects');

    // Worker: flags point at objects that exist.
    const worker = container(objects, `${fullname}-controller`, 'worker');
    assert.equal(worker.args[0], 'worker');
    const solverRef = argValue(worker.args, '--solver-service');
    const solverSvc = find(objects, 'Service', `${fullname}-solver`);
    assert.equal(solverRef, `${ns}/${fullname}-solver:${solverSvc.spec.ports[0].port}`);
    assert.equal(argValue(worker.args, '--leader-election-namespace'), ns);
    const leaseRole = find(objects, 'Role', `${fullname}-controller-leader-election`);
    assert.deepEqual(leaseRole.rules[0].resourceNames, [argValue(worker.args, '--leader-election-id')]);
    assert.ok(worker.args.includes('--leader-elect'));
    const values = set.values as any;
    assert.equal(argValue(worker.args, '--default-issuer'), values.defaultIssuer);
    assert.equal(argValue(worker.args, '--namespace'), values.watchNamespace);
    assert.equal(argValue(worker.args, '--cluster-resource-namespace'), values.clusterResourceNamespace ?? ns);

    const solver = container(objects, `${fullname}-controller`, 'solver');
    // The solver sidecar shares the worker's ServiceAccount, so it watches the same namespace.
    assert.deepEqual(solver.args, ['solver', '--listen=0.0.0.0:8089', ...(values.watchNamespace ? [`--namespace=${values.watchNamespace}`] : [])]);
    assert.deepEqual(parseSolverListen(argValue(solver.args, '--listen')!), { host: '0.0.0.0', port: 8089 });

    // Webhook: the Secret, configurations and Service it names are the ones rendered and granted.
    const webhook = container(objects, `${fullname}-webhook`, 'webhook');
    assert.equal(webhook.args[0], 'webhook');
    // The webhook's own flag parser accepts exactly what the chart passes.
    const parsed = parseWebhookConfig(webhook.args.slice(1));
    assert.equal(parsed.namespace, ns);
    assert.equal(parsed.mode, values.webhook?.mode ?? 'enforce');
    assert.equal(parsed.transparentTls, values.webhook?.transparentTLS === true);
    assert.equal(argValue(webhook.args, '--namespace'), ns);
    assert.equal(argValue(webhook.args, '--mode'), values.webhook?.mode ?? 'enforce');
    assert.deepEqual(
      webhook.args.filter((a: string) => a.startsWith('--disable-rule=')).map((a: string) => a.slice(15)),
      values.webhook?.disabledRules ?? [],
    );
    assert.equal(webhook.args.includes('--transparent-tls'), values.webhook?.transparentTLS === true);
    const tlsRole = find(objects, 'Role', `${fullname}-webhook-tls`);
    assert.deepEqual(tlsRole.rules[0].resourceNames, [argValue(webhook.args, '--tls-secret')]);
    const configName = argValue(webhook.args, '--webhook-config')!;
    const mutating = find(objects, 'MutatingWebhookConfiguration', configName);
    const validating = find(objects, 'ValidatingWebhookConfiguration', configName);
    const webhookRole = find(objects, 'ClusterRole', `${fullname}-webhook`);
    assert.deepEqual(webhookRole.rules[0].resourceNames, [configName]);
    const webhookSvc = find(objects, 'Service', argValue(webhook.args, '--service-name'));
    assert.deepEqual(
      mutating.webhooks.map((w: any) => w.name),
      ['mutate.certgate.io'],
    );
    assert.deepEqual(
      validating.webhooks.map((w: any) => w.name),
      ['validate.certgate.io'],
    );
    for (const w of [...mutating.webhooks, ...validating.webhooks]) {
      assert.equal(w.sideEffects, 'None');
      assert.equal(w.clientConfig.caBundle, undefined, "caBundle is the webhook's to fill");
      assert.equal(w.clientConfig.service.name, webhookSvc.metadata.name);
      assert.equal(w.clientConfig.service.namespace, ns);
      assert.ok(
        webhookSvc.spec.ports.some((p: any) => p.port === w.clientConfig.service.port),
        'service port',
      );
      assert.equal(w.failurePolicy, values.webhook?.failurePolicy ?? 'Fail');
      assert.equal(w.timeoutSeconds, values.webhook?.timeoutSeconds ?? 10);
      const excluded = w.namespaceSelector.matchExpressions.find((e: any) => e.key === 'kubernetes.io/metadata.name' && e.operator === 'NotIn').values;
      for (const n of ['kube-system', ns, ...(values.webhook?.excludeNamespaces ?? [])]) assert.ok(excluded.includes(n), `${n} excluded`);
      // The worker's transparent TLS leaves exactly the namespaces alone that the webhook never sees.
      assert.deepEqual(parseWorkerArgs(worker.args.slice(1)).transparentTlsExcludedNamespaces, excluded);
    }
    assert.deepEqual(mutating.webhooks[0].clientConfig.service.path, '/mutate');
    assert.deepEqual(validating.webhooks[0].clientConfig.service.path, '/validate');

    // Services select pods that exist and target ports those pods declare.
    for (const svc of all(objects, 'Service')) {
      const pods = podTemplates(objects).filter((p) => Object.entries(svc.spec.selector).every(([k, v]) => p.labels[k] === v));
      assert.equal(pods.length, 1, `Service ${svc.metadata.name} selects exactly one workload`);
      const portNames = pods[0].spec.containers.flatMap((c: any) => c.ports.map((p: any) => p.name));
      for (const p of svc.spec.ports) assert.ok(portNames.includes(p.targetPort), `Service ${svc.metadata.name} targets ${p.targetPort}`);
    }

    // ServiceAccounts: one per component, and each pod uses one that is rendered.
    const accounts = all(objects, 'ServiceAccount').map((s) => s.metadata.name);
    assert.deepEqual(accounts.sort(), [`${fullname}-controller`, `${fullname}-webhook`]);
    for (const pod of podTemplates(objects)) assert.ok(accounts.includes(pod.spec.serviceAccountName), pod.owner);
    for (const sa of all(objects, 'ServiceAccount')) assert.equal(sa.automountServiceAccountToken, false);

    // Replicas and disruption budgets.
    const replicas = { controller: values.controller?.replicas ?? 2, webhook: values.webhook?.replicas ?? 2 };
    for (const [component, n] of Object.entries(replicas)) {
      assert.equal(find(objects, 'Deployment', `${fullname}-${component}`).spec.replicas, n);
      const pdb = all(objects, 'PodDisruptionBudget').find((p) => p.metadata.name === `${fullname}-${component}`);
      assert.equal(pdb !== undefined, n > 1, `${component} PDB only with more than one replica`);
    }

    // Optional parts appear exactly when asked for.
    assert.equal(all(objects, 'ServiceMonitor').length, values.prometheus?.serviceMonitor?.enabled ? 1 : 0);
    assert.equal(all(objects, 'PrometheusRule').length, values.prometheus?.prometheusRule?.enabled ? 1 : 0);
    assert.equal(all(objects, 'NetworkPolicy').length, values.networkPolicy?.enabled ? 2 : 0);
    if (values.image?.digest) assert.equal(worker.image, `${values.image.repository}@${values.image.digest}`);

    // The ServiceMonitor scrapes exactly the two metrics Services, on a port each of them has.
    for (const sm of all(objects, 'ServiceMonitor')) {
      const selected = all(objects, 'Service').filter((svc) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => svc.metadata.labels?.[k] === v));
      assert.deepEqual(selected.map((x) => x.metadata.name).sort(), [`${fullname}-metrics`, `${fullname}-webhook`]);
      for (const svc of selected)
        for (const ep of sm.spec.endpoints)
          assert.ok(
            svc.spec.ports.some((p: any) => p.name === ep.port),
            `${svc.metadata.name} has port ${ep.port}`,
          );
    }
    // NetworkPolicies select our pods and open only ports those pods declare.
    for (const np of all(objects, 'NetworkPolicy')) {
      const pods = podTemplates(objects).filter((p) => Object.entries(np.spec.podSelector.matchLabels).every(([k, v]) => p.labels[k] === v));
      assert.equal(pods.length, 1, `${np.metadata.name} selects one workload`);
      const portNames = pods[0].spec.containers.flatMap((c: any) => c.ports.map((p: any) => p.name));
      for (const rule of np.spec.ingress) for (const p of rule.ports) assert.ok(portNames.includes(p.port), `${np.metadata.name} opens ${p.port}`);
    }
  });

  test(`every pod runs locked down: ${set.name}`, () => {
    const objects = renderObjects(set.values, { release: set.release, namespace: set.namespace });
    const pods = podTemplates(objects);
    assert.equal(pods.length, 2);
    for (const { owner, spec } of pods) {
      assert.equal(spec.securityContext.runAsNonRoot, true, owner);
      assert.equal(spec.securityContext.runAsUser, 65532, owner);
      assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault', owner);
      assert.equal(typeof spec.automountServiceAccountToken, 'boolean', `${owner}: token mount is an explicit decision`);
      assert.ok(spec.affinity?.podAntiAffinity, `${owner}: anti-affinity`);
      for (const c of spec.containers) {
        const where = `${owner} container ${c.name}`;
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, where);
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, where);
        assert.equal(c.securityContext.runAsNonRoot, true, where);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], where);
        assert.equal(c.securityContext.capabilities.add, undefined, where);
        assert.equal(c.securityContext.privileged, undefined, where);
        assert.ok(c.readinessProbe && c.livenessProbe, `${where}: probes`);
        assert.ok(c.resources?.requests, `${where}: resource requests`);
      }
    }
    // The webhook is only ready once it serves its own TLS.
    const webhookPod = pods.find((p) => p.owner.endsWith('-webhook'))!;
    assert.equal(webhookPod.spec.containers[0].readinessProbe.httpGet.scheme, 'HTTPS');
    assert.equal(webhookPod.spec.containers[0].readinessProbe.httpGet.path, '/readyz');
    // Every process reports stale watch caches on /readyz (and only liveness on /healthz).
    for (const p of pods) for (const c of p.spec.containers) assert.equal(c.readinessProbe.httpGet.path, '/readyz', `${p.owner}/${c.name}: readiness probe`);
  });
}

test('RBAC is explicit: no wildcards, Secrets only where needed, webhook writes only its own objects', () => {
  const objects = renderObjects();
  const roles = [...all(objects, 'ClusterRole'), ...all(objects, 'Role')];
  for (const role of roles) {
    for (const rule of role.rules) {
      for (const field of ['apiGroups', 'resources', 'verbs']) assert.ok(!rule[field].includes('*'), `${role.metadata.name}: no * in ${field}`);
    }
  }
  const verbsOn = (roleName: string, resource: string) =>
    roles.filter((r) => r.metadata.name === roleName).flatMap((r) => r.rules.filter((x: any) => x.resources.includes(resource)).flatMap((x: any) => x.verbs));
  // The webhook may only create and rotate its TLS Secret; it reads no other Secret.
  const webhookRoles = roles.filter((r) => r.metadata.name.startsWith('certgate-webhook'));
  for (const role of webhookRoles) {
    for (const rule of role.rules) {
      if (rule.resources.includes('secrets')) {
        assert.ok(
          rule.resourceNames?.includes('certgate-webhook-tls') || (rule.verbs.length === 1 && rule.verbs[0] === 'create'),
          'webhook Secret access is by name',
        );
      }
      const writes = rule.verbs.filter((v: string) => !['get', 'list', 'watch'].includes(v));
      if (writes.length > 0 && !rule.resources.includes('secrets')) assert.ok(rule.resourceNames?.length, `webhook writes ${rule.resources} only by name`);
    }
  }
  // Users' aggregated roles never include Secrets.
  for (const name of ['certgate-view', 'certgate-edit']) assert.deepEqual(verbsOn(name, 'secrets'), []);
  // Every rule in the chart's RBAC templates carries a comment saying why.
  for (const file of ['rbac-controller.yaml', 'rbac-webhook.yaml']) {
    const lines = readFileSync(join(chartDir, 'templates', file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^\s+- apiGroups:/.test(line) && !/^\s*#/.test(lines[i - 1]) && !/^\s+- apiGroups:|^\s+verbs:/.test(lines[i - 1])) {
        assert.fail(`${file}:${i + 1}: rule without a comment explaining it`);
      }
    });
  }
});

test('watchNamespace moves every namespaced permission of the controller into a Role there and keeps only cluster-scoped kinds cluster-wide', () => {
  const grants = (rules: any[]) =>
    new Set(rules.flatMap((r) => r.apiGroups.flatMap((g: string) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${g}/${res}:${v}`)))));
  const wide = grants(find(renderObjects(), 'ClusterRole', 'certgate-controller').rules);
  const objects = renderObjects({ watchNamespace: 'shop', clusterResourceNamespace: 'platform' });
  const byNs = (ns: string, name: string) => objects.find((o) => o.kind === 'Role' && o.metadata.namespace === ns && o.metadata.name === name)!;
  const inWatched = grants(byNs('shop', 'certgate-controller').rules);
  const clusterWide = grants(find(objects, 'ClusterRole', 'certgate-controller').rules);
  const clusterScoped = /^(cert-manager\.io\/clusterissuers|networking\.k8s\.io\/ingressclasses|\/namespaces)(\/|:)/;
  // Nothing lost, nothing added: each grant of the cluster-wide default is in exactly one of the two.
  for (const g of wide) assert.ok(clusterScoped.test(g) ? clusterWide.has(g) && !inWatched.has(g) : inWatched.has(g) && !clusterWide.has(g), g);
  for (const g of [...inWatched, ...clusterWide]) assert.ok(wide.has(g), `${g} is not granted without watchNamespace`);
  // ClusterIssuers' Secrets: read and first-use create in the cluster resource namespace, no list.
  assert.deepEqual([...grants(byNs('platform', 'certgate-controller-cluster-resources').rules)].sort(), ['/secrets:create', '/secrets:get']);
  assert.deepEqual([...grants(byNs('default', 'certgate-controller-cluster-events').rules)].sort(), [
    '/events:create',
    '/events:patch',
    'events.k8s.io/events:create',
    'events.k8s.io/events:patch',
  ]);
  for (const role of ['certgate-controller', 'certgate-controller-cluster-resources', 'certgate-controller-cluster-events']) {
    const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.name === role)!;
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'certgate-controller', namespace: 'certgate' }]);
  }
  // The leader election Role stays as it is, in the release namespace.
  assert.deepEqual(byNs('certgate', 'certgate-controller-leader-election'), find(renderObjects(), 'Role', 'certgate-controller-leader-election'));
  // When the cluster resource namespace is the watched one, the Role there already covers it.
  assert.equal(
    renderObjects({ watchNamespace: 'shop', clusterResourceNamespace: 'shop' }).filter((o) => o.metadata.name === 'certgate-controller-cluster-resources')
      .length,
    0,
  );
});

test('gatewayAPI.enabled: RBAC for Gateways, HTTPRoutes and ReferenceGrants and webhook rules for Gateways; false drops them and turns both processes off', () => {
  const gatewayGrants = (objects: K8sObject[], kind: string, name: string) =>
    (find(objects, kind, name).rules as any[])
      .filter((r) => r.apiGroups.includes('gateway.networking.k8s.io'))
      .flatMap((r) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${res}:${v}`)))
      .sort();
  const webhookResources = (objects: K8sObject[], kind: string) => find(objects, kind, 'certgate-webhook').webhooks[0].rules.flatMap((r: any) => r.resources);
  const on = renderObjects();
  assert.deepEqual(gatewayGrants(on, 'ClusterRole', 'certgate-webhook'), ['gateways:list', 'gateways:watch', 'referencegrants:list', 'referencegrants:watch']);
  const controller = gatewayGrants(on, 'ClusterRole', 'certgate-controller');
  for (const g of ['gateways:watch', 'referencegrants:get', 'httproutes:create', 'httproutes:delete', 'gateways/finalizers:update'])
    assert.ok(controller.includes(g), g);
  assert.ok(!controller.some((g) => /^(gateways|referencegrants):(create|update|patch|delete)$/.test(g)), 'Gateways and ReferenceGrants are only read');
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) assert.ok(webhookResources(on, kind).includes('gateways'), kind);
  assert.ok(!chartContainerArgs(on, 'certgate-webhook', 'webhook').includes('--gateway-api=off'));
  assert.equal(parseWebhookConfig(chartContainerArgs(on, 'certgate-webhook', 'webhook')).gatewayApi, 'auto');

  const off = renderObjects({ gatewayAPI: { enabled: false } });
  assert.deepEqual(gatewayGrants(off, 'ClusterRole', 'certgate-webhook'), []);
  assert.deepEqual(gatewayGrants(off, 'ClusterRole', 'certgate-controller'), []);
  for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) assert.ok(!webhookResources(off, kind).includes('gateways'), kind);
  assert.equal(parseWebhookConfig(chartContainerArgs(off, 'certgate-webhook', 'webhook')).gatewayApi, 'off');
  assert.ok(chartContainerArgs(off, 'certgate-controller', 'worker').includes('--gateway-api=off'));
});

test('CRDs are rendered from crds/ unchanged, with keep when asked and not at all when disabled', () => {
  const sources = readdirSync(join(chartDir, 'crds'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  assert.ok(sources.length >= 6);
  const fromFiles = sources.map((f) => parse(readFileSync(join(chartDir, 'crds', f), 'utf8')) as K8sObject);
  const strip = (o: K8sObject) => ({ ...o, metadata: { ...o.metadata, labels: undefined, annotations: undefined } });

  const kept = all(renderObjects(), 'CustomResourceDefinition');
  assert.deepEqual(kept.map(strip), fromFiles.map(strip));
  for (const crd of kept) {
    assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep', crd.metadata.name);
    assert.equal(crd.metadata.labels?.['app.kubernetes.io/managed-by'], 'Helm');
  }
  const notKept = all(renderObjects({ crds: { keep: false } }), 'CustomResourceDefinition');
  assert.equal(notKept.length, sources.length);
  for (const crd of notKept) assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], undefined);
  assert.equal(all(renderObjects({ crds: { enabled: false } }), 'CustomResourceDefinition').length, 0);
  // helm's own crds/ handling (install once, never upgrade) is switched off, or installs would clash.
  const shown = runHelm(['show', 'crds', chartDir]);
  assert.equal(shown.stdout.trim(), '');
});

test('values.schema.json rejects typos and bad values with a message naming the field', () => {
  const cases: { values: Record<string, unknown>; message: RegExp }[] = [
    { values: { webhook: { mdoe: 'warn' } }, message: /mdoe/ },
    { values: { replicaCout: 3 }, message: /replicaCout/ },
    { values: { cainjector: { enabled: true }, replicaCount: 'three' }, message: /replicaCount/ },
    { values: { alerts: { expiryfloor: '7d' } }, message: /expiryfloor/ },
    { values: { crds: { keep: 'sometimes' } }, message: /keep/ },
    { values: { webhook: { mode: 'block' } }, message: /mode/ },
    { values: { webhook: { failurePolicy: 'fail' } }, message: /failurePolicy/ },
    { values: { alerts: { expiryFloor: '7 days' } }, message: /expiryFloor/ },
    { values: { defaultIssuer: 'letsencrypt-prod' }, message: /defaultIssuer/ },
    { values: { controller: { replicas: 0 } }, message: /replicas/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => renderChart(c.values),
      (err: Error) => {
        assert.match(err.message, c.message, JSON.stringify(c.values));
        assert.match(err.message, /schema/);
        return true;
      },
      JSON.stringify(c.values),
    );
  }
});

test('every values.yaml field is documented with a comment', () => {
  const lines = readFileSync(join(chartDir, 'values.yaml'), 'utf8').split('\n');
  let fields = 0;
  lines.forEach((line, i) => {
    // Leaf fields (a value on the same line) need a comment right above; blocks group documented leaves.
    if (!/^\s*[A-Za-z]\w*:\s*\S/.test(line)) return;
    if (/^\s*(cpu|memory):/.test(line)) return; // resource quantities inside documented resources blocks
    fields++;
    assert.match(lines[i - 1] ?? '', /^\s*#/, `values.yaml:${i + 1} "${line.trim()}" has no comment`);
  });
  assert.ok(fields > 50);
});

test('alert runbook links point at sections that exist in docs/runbooks.md', () => {
  const rules = find(renderObjects({ prometheus: { prometheusRule: { enabled: true } } }), 'PrometheusRule');
  const doc = readFileSync(join(repoRoot, 'docs/runbooks.md'), 'utf8');
  const anchors = new Set(
    [...doc.matchAll(/^#{1,4} (.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  const alerts = rules.spec.groups.flatMap((g: any) => g.rules);
  assert.ok(alerts.length >= 7);
  for (const rule of alerts) {
    assert.ok(rule.annotations.summary && rule.annotations.description, `${rule.alert}: summary and description`);
    const anchor = String(rule.annotations.runbook_url).split('#')[1];
    assert.equal(anchor, rule.alert.toLowerCase());
    assert.ok(anchors.has(anchor), `${rule.alert}: docs/runbooks.md has no section "${rule.alert}"`);
  }
  assert.match(doc, /kubectl certgate import --secret/);
  assert.match(doc, /kubectl certgate status certificate/);
});

test("examples are valid and use the real Let's Encrypt directory URLs", () => {
  const dir = join(chartDir, 'examples');
  const urls = new Map<string, string>();
  for (const f of readdirSync(dir)) {
    const obj = parse(readFileSync(join(dir, f), 'utf8')) as K8sObject;
    if (obj.kind === 'ClusterIssuer') urls.set(obj.metadata.name, obj.spec.acme.server);
  }
  assert.equal(urls.get('letsencrypt-staging'), 'https://acme-staging-v02.api.letsencrypt.org/directory');
  assert.equal(urls.get('letsencrypt-production'), 'https://acme-v02.api.letsencrypt.org/directory');
});
