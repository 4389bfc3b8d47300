// cert-manager's chart values install certgate: the seed command line (`--set installCRDs=true`) and
// a values file written as cert-manager's documentation shows (testdata/cert-manager-values.yaml),
// rendered and checked object by object, then installed with helm into the embedded API server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir, helmBin, renderChart } from '../../scripts/render-manifests.ts';
import { parseWorkerArgs } from '../../worker/flags.ts';
import { CERT_MANAGER_FLAGS } from '../../worker/cert-manager-flags.ts';
import { certManagerFlagsFile, certManagerFlagsJson } from '../../scripts/write-cert-manager-flags.ts';
import { parseWebhookConfig } from '../../webhook/config.ts';
import { startApiServer, type EmbeddedApiServer } from '../apiserver/index.ts';
import { runCommand } from '../run-command.ts';
import { all, find, kubectlBin, parseManifests, podTemplates, validateObject, type K8sObject } from './render.ts';

const valuesFile = join(import.meta.dirname, 'testdata/cert-manager-values.yaml');
const certManagerValues = parse(readFileSync(valuesFile, 'utf8')) as Record<string, unknown>;
const render = (values: Record<string, unknown>) => parseManifests(renderChart(values, { namespace: 'cert-manager' }));
const container = (objects: K8sObject[], deployment: string, name: string) =>
  find(objects, 'Deployment', deployment).spec.template.spec.containers.find((c: { name: string }) => c.name === name);

describe("a values file written for cert-manager's chart", () => {
  const objects = render(certManagerValues);
  const controller = find(objects, 'Deployment', 'certgate-controller');
  const webhook = find(objects, 'Deployment', 'certgate-webhook');

  test('renders valid Kubernetes objects, CRDs included (installCRDs: true)', async () => {
    for (const o of objects.filter((x) => x.kind !== 'CustomResourceDefinition')) await validateObject(o);
    assert.equal(all(objects, 'CustomResourceDefinition').length, 6);
  });

  test('replicaCount, webhook.replicaCount, podDisruptionBudget and webhook.timeoutSeconds', () => {
    assert.equal(controller.spec.replicas, 3);
    assert.equal(webhook.spec.replicas, 3);
    const pdb = find(objects, 'PodDisruptionBudget', 'certgate-controller').spec;
    assert.equal(pdb.maxUnavailable, 1);
    assert.equal(pdb.minAvailable, undefined, 'a PDB takes one of the two');
    assert.equal(find(objects, 'PodDisruptionBudget', 'certgate-webhook').spec.minAvailable, 2);
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']) {
      for (const w of find(objects, kind).webhooks) assert.equal(w.timeoutSeconds, 15, kind);
    }
  });

  test('pod placement and metadata go to the controller; global.priorityClassName and imagePullSecrets to both', () => {
    const pod = controller.spec.template;
    assert.equal(pod.metadata.labels.team, 'platform');
    assert.equal(pod.metadata.labels['app.kubernetes.io/component'], 'controller', "certgate's own labels stay");
    assert.equal(pod.metadata.annotations['example.com/scrape'], 'true');
    assert.deepEqual(pod.spec.nodeSelector, { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' }, 'nodeSelector and global.nodeSelector');
    assert.deepEqual(webhook.spec.template.spec.nodeSelector, { 'kubernetes.io/arch': 'amd64' }, "global.nodeSelector is every pod's");
    assert.deepEqual(pod.spec.tolerations, certManagerValues.tolerations);
    assert.deepEqual(pod.spec.affinity, certManagerValues.affinity);
    assert.deepEqual(pod.spec.topologySpreadConstraints, certManagerValues.topologySpreadConstraints);
    assert.deepEqual(container(objects, 'certgate-controller', 'worker').resources, certManagerValues.resources);
    for (const { owner, spec } of podTemplates(objects)) {
      assert.equal(spec.priorityClassName, 'system-cluster-critical', owner);
      assert.deepEqual(spec.imagePullSecrets, [{ name: 'registry-credentials' }], owner);
    }
    assert.equal(webhook.spec.template.metadata.labels.team, undefined, "top-level values are the controller's, as in cert-manager");
  });

  test('worker flags: ingress-shim default issuer, leader election, and the extraArgs the worker has', () => {
    const args: string[] = container(objects, 'certgate-controller', 'worker').args;
    const config = parseWorkerArgs(args.slice(1));
    assert.deepEqual(config.defaultIssuer, { kind: 'ClusterIssuer', name: 'letsencrypt-prod', group: 'cert-manager.io' });
    assert.equal(config.leaderElectionNamespace, 'cert-manager');
    assert.equal(config.leaseDurationMs, 60_000);
    assert.equal(config.renewDeadlineMs, 40_000);
    assert.equal(config.retryPeriodMs, 15_000);
    assert.equal(config.clusterResourceNamespace, 'cert-manager');
    assert.deepEqual(config.dns01.recursiveNameservers, [
      { host: '8.8.8.8', port: 53 },
      { host: '1.1.1.1', port: 53 },
    ]);
    assert.equal(config.dns01.recursiveOnly, true, '--dns01-recursive-nameservers-only=true (Go spelling) reaches the worker');
    assert.equal(config.enableCertificateOwnerRef, true, 'enableCertificateOwnerRef and --enable-certificate-owner-ref=true');
    assert.equal(config.maxConcurrentChallenges, 30, 'maxConcurrentChallenges becomes --max-concurrent-challenges');
    for (const mapped of ['--v=2', '--logging-format=json', '--feature-gates']) {
      assert.ok(!args.some((a) => a.startsWith(mapped)), `${mapped} is mapped onto the chart's values (or means what certgate does), not passed`);
    }
    assert.equal(container(objects, 'certgate-controller', 'worker').env.find((e: { name: string }) => e.name === 'CERTGATE_LOG_LEVEL').value, 'info', '--v=2');
    const lease = all(objects, 'Role').find((r) => r.metadata.name === 'certgate-controller-leader-election')!;
    assert.equal(lease.metadata.namespace, 'cert-manager');
    assert.equal(find(objects, 'RoleBinding', 'certgate-controller-leader-election').metadata.namespace, 'cert-manager');
    parseWebhookConfig(container(objects, 'certgate-webhook', 'webhook').args.slice(1));
  });

  test("prometheus.servicemonitor (cert-manager's spelling) and serviceAccount", () => {
    const sm = find(objects, 'ServiceMonitor');
    assert.equal(sm.metadata.labels!.release, 'kube-prometheus-stack');
    assert.equal(sm.metadata.labels!.prometheus, 'kube-prometheus');
    assert.equal(sm.spec.endpoints[0].interval, '30s');
    assert.equal(sm.spec.endpoints[0].scrapeTimeout, '20s');
    assert.equal(sm.spec.endpoints[0].honorLabels, true);
    const sa = find(objects, 'ServiceAccount', 'certgate-controller');
    assert.equal(sa.metadata.annotations!['eks.amazonaws.com/role-arn'], 'arn:aws:iam::123456789012:role/cert-manager');
    assert.equal(sa.automountServiceAccountToken, true, 'serviceAccount.automountServiceAccountToken');
    assert.equal(all(objects, 'PodMonitor').length, 0, 'prometheus.podmonitor.enabled: false');
  });

  test('global.commonLabels label every object and pod template', () => {
    for (const o of objects) assert.equal(o.metadata.labels?.['cost-center'], 'platform-42', `${o.kind} ${o.metadata.name}`);
    for (const { owner, labels } of podTemplates(objects)) assert.equal(labels['cost-center'], 'platform-42', owner);
  });
});

describe('cert-manager values, one at a time', () => {
  test('installCRDs is an alias: true installs the CRDs even with crds.enabled=false; crds.enabled alone decides otherwise', () => {
    assert.equal(all(render({ installCRDs: true, crds: { enabled: false } }), 'CustomResourceDefinition').length, 6);
    assert.equal(all(render({ crds: { enabled: false } }), 'CustomResourceDefinition').length, 0);
    assert.equal(all(render({ installCRDs: false }), 'CustomResourceDefinition').length, 6, "certgate's default crds.enabled=true stays");
  });

  test("unset cert-manager values leave certgate's defaults", () => {
    const objects = render({});
    assert.equal(find(objects, 'Deployment', 'certgate-controller').spec.replicas, 2);
    assert.equal(find(objects, 'PodDisruptionBudget', 'certgate-controller').spec.minAvailable, 1);
    assert.equal(find(objects, 'Role', 'certgate-controller-leader-election').metadata.namespace, 'cert-manager');
  });

  test("serviceAccount.create=false runs the controller as the named ServiceAccount, bound by the chart's RBAC", () => {
    const objects = render({ serviceAccount: { create: false, name: 'existing-sa' } });
    assert.equal(
      all(objects, 'ServiceAccount').some((s) => s.metadata.name === 'certgate-controller'),
      false,
    );
    assert.equal(find(objects, 'Deployment', 'certgate-controller').spec.template.spec.serviceAccountName, 'existing-sa');
    const bindings = [...all(objects, 'ClusterRoleBinding'), ...all(objects, 'RoleBinding')].filter((b) => b.metadata.name.startsWith('certgate-controller'));
    assert.ok(bindings.length > 0);
    for (const b of bindings)
      assert.deepEqual(
        b.subjects.map((s: { name: string }) => s.name),
        ['existing-sa'],
        b.metadata.name,
      );
    assert.throws(() => render({ serviceAccount: { create: false } }), /serviceAccount.create=false needs serviceAccount.name/);
  });

  test("ingressShim: Issuer is cert-manager's default kind; another group is refused with a clear message", () => {
    const args: string[] = container(render({ ingressShim: { defaultIssuerName: 'local-ca' } }), 'certgate-controller', 'worker').args;
    assert.deepEqual(parseWorkerArgs(args.slice(1)).defaultIssuer, { kind: 'Issuer', name: 'local-ca', group: 'cert-manager.io' });
    assert.throws(
      () => render({ ingressShim: { defaultIssuerName: 'x', defaultIssuerGroup: 'awspca.cert-manager.io' } }),
      /cert-manager\.io Issuers and ClusterIssuers only/,
    );
  });

  test('prometheus.enabled=false turns every monitoring object off', () => {
    const on = { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } };
    assert.equal(render({ prometheus: on }).filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/')).length, 2);
    assert.equal(render({ prometheus: { ...on, enabled: false } }).filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/')).length, 0);
  });

  test("dns01RecursiveNameservers[Only] become the worker's flags; a DNS-over-HTTPS URL is refused by the schema", () => {
    const args: string[] = container(
      render({ dns01RecursiveNameservers: '8.8.8.8:53,1.1.1.1', dns01RecursiveNameserversOnly: true }),
      'certgate-controller',
      'worker',
    ).args;
    const { dns01 } = parseWorkerArgs(args.slice(1));
    assert.deepEqual(dns01, {
      ...dns01,
      recursiveNameservers: [
        { host: '8.8.8.8', port: 53 },
        { host: '1.1.1.1', port: 53 },
      ],
      recursiveOnly: true,
    });
    assert.throws(() => render({ dns01RecursiveNameservers: 'https://1.1.1.1/dns-query' }), /dns01RecursiveNameservers/);
  });

  test("maxConcurrentChallenges: 0 leaves the worker's default (cert-manager's chart omits the flag); extraArgs may set it", () => {
    const worker = (values: Record<string, unknown>) => parseWorkerArgs(container(render(values), 'certgate-controller', 'worker').args.slice(1));
    assert.equal(worker({}).maxConcurrentChallenges, 60);
    assert.equal(worker({ maxConcurrentChallenges: 0 }).maxConcurrentChallenges, 60);
    assert.equal(worker({ maxConcurrentChallenges: 5 }).maxConcurrentChallenges, 5);
    assert.equal(worker({ extraArgs: ['--max-concurrent-challenges=7'] }).maxConcurrentChallenges, 7);
  });

  test("cert-manager's Gateway API switch (config.gatewayAPI.enabled, config.enableGatewayAPI, --enable-gateway-api) becomes gatewayAPI.enabled; unset keeps certgate's default", () => {
    const gatewayOff = (values: Record<string, unknown>) => {
      const objects = render(values);
      const off = ['certgate-controller', 'certgate-webhook'].map((d) =>
        container(objects, d, d === 'certgate-controller' ? 'worker' : 'webhook').args.includes('--gateway-api=off'),
      );
      const rbac = all(objects, 'ClusterRole').some((r) =>
        (r.rules ?? []).some((rule: { apiGroups?: string[] }) => rule.apiGroups?.includes('gateway.networking.k8s.io')),
      );
      assert.equal(off[0], off[1], 'worker and webhook agree');
      assert.equal(rbac, !off[0], 'Gateway RBAC only when on');
      return off[0];
    };
    assert.equal(gatewayOff({}), false, "unset: certgate's default (on while the cluster serves the Gateway API)");
    const config = (c: Record<string, unknown>) => ({
      config: { apiVersion: 'controller.config.cert-manager.io/v1alpha1', kind: 'ControllerConfiguration', ...c },
    });
    assert.equal(gatewayOff(config({ gatewayAPI: { enabled: false } })), true);
    assert.equal(gatewayOff(config({ enableGatewayAPI: false })), true, 'the deprecated spelling');
    assert.equal(gatewayOff({ ...config({ enableGatewayAPI: true }), gatewayAPI: { enabled: false } }), false, "cert-manager's value wins when set");
    assert.equal(gatewayOff({ extraArgs: ['--enable-gateway-api=false'] }), true);
    assert.equal(gatewayOff({ extraArgs: ['--enable-gateway-api'], gatewayAPI: { enabled: false } }), false);
    const extra = parseWorkerArgs(container(render({ extraArgs: ['--gateway-api-extra-protocols=DTLS'] }), 'certgate-controller', 'worker').args.slice(1));
    assert.deepEqual(extra.gatewayApi.extraProtocols, ['DTLS'], "cert-manager's --gateway-api-extra-protocols is passed");
  });

  test("global.nodeSelector goes to every pod; a component's own nodeSelector wins on the same key", () => {
    const objects = render({
      global: { nodeSelector: { pool: 'system', zone: 'a' } },
      nodeSelector: { zone: 'b' },
      webhook: { nodeSelector: { disk: 'ssd' } },
    });
    assert.deepEqual(find(objects, 'Deployment', 'certgate-controller').spec.template.spec.nodeSelector, { pool: 'system', zone: 'b' });
    assert.deepEqual(find(objects, 'Deployment', 'certgate-webhook').spec.template.spec.nodeSelector, { pool: 'system', zone: 'a', disk: 'ssd' });
  });

  test('global.commonLabels: on every object; a key certgate sets itself is refused with a message', async () => {
    const objects = render({
      global: { commonLabels: { team: 'platform', 'example.com/owner': 'sre' } },
      prometheus: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
      dashboard: { enabled: true },
      networkPolicy: { enabled: true },
    });
    for (const o of objects)
      assert.deepEqual([o.metadata.labels?.team, o.metadata.labels?.['example.com/owner']], ['platform', 'sre'], `${o.kind} ${o.metadata.name}`);
    for (const o of objects.filter((x) => x.kind !== 'CustomResourceDefinition')) await validateObject(o);
    for (const key of ['app.kubernetes.io/name', 'helm.sh/chart', 'certgate.io/metrics']) {
      assert.throws(
        () => render({ global: { commonLabels: { [key]: 'x' } } }),
        new RegExp(`global.commonLabels: ${key.replace(/\./g, '\\.')} is a label certgate sets itself`),
      );
    }
  });

  test('prometheus.podmonitor: a PodMonitor for the controller and webhook pods, not with the ServiceMonitor', async () => {
    const podmonitor = {
      enabled: true,
      namespace: 'monitoring',
      prometheusInstance: 'kube-prometheus',
      interval: '15s',
      labels: { release: 'kps' },
      honorLabels: true,
    };
    const objects = render({ prometheus: { podmonitor } });
    const pm = find(objects, 'PodMonitor', 'certgate');
    await validateObject(pm);
    assert.equal(pm.metadata.namespace, 'monitoring');
    assert.deepEqual([pm.metadata.labels!.release, pm.metadata.labels!.prometheus], ['kps', 'kube-prometheus']);
    assert.deepEqual(pm.spec.namespaceSelector, { matchNames: ['cert-manager'] });
    assert.deepEqual(pm.spec.podMetricsEndpoints[0], { port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '30s', honorLabels: true });
    // The selector picks exactly the controller and webhook pods, and each has a container port named metrics.
    const selected = podTemplates(objects).filter(
      ({ labels }) =>
        Object.entries(pm.spec.selector.matchLabels).every(([k, v]) => labels[k] === v) &&
        pm.spec.selector.matchExpressions[0].values.includes(labels[pm.spec.selector.matchExpressions[0].key]),
    );
    assert.deepEqual(selected.map((p) => p.owner).sort(), ['Deployment/certgate-controller', 'Deployment/certgate-webhook']);
    for (const { spec, owner } of selected)
      assert.ok(
        spec.containers.some((c: { ports?: { name: string }[] }) => c.ports?.some((p) => p.name === 'metrics')),
        owner,
      );
    assert.equal(all(render({ prometheus: { enabled: false, podmonitor } }), 'PodMonitor').length, 0, 'prometheus.enabled=false');
    assert.throws(() => render({ prometheus: { podmonitor, servicemonitor: { enabled: true } } }), /enable one of them/);
  });

  test("serviceAccount.automountServiceAccountToken sets the ServiceAccount's field; certgate's pods mount their token either way", () => {
    const sa = (objects: K8sObject[], name: string) => find(objects, 'ServiceAccount', name).automountServiceAccountToken;
    const defaults = render({});
    assert.deepEqual([sa(defaults, 'certgate-controller'), sa(defaults, 'certgate-webhook')], [false, false], "certgate's default");
    const on = render({ serviceAccount: { automountServiceAccountToken: true }, webhook: { serviceAccount: { automountServiceAccountToken: true } } });
    assert.deepEqual([sa(on, 'certgate-controller'), sa(on, 'certgate-webhook')], [true, true]);
    const off = render({ serviceAccount: { automountServiceAccountToken: false } });
    for (const { spec, owner } of podTemplates(off)) assert.equal(spec.automountServiceAccountToken, true, owner);
  });

  test("cert-manager's own values.yaml, every default as `helm show values` prints it: valid objects, certgate's image, a worker and webhook that start", async () => {
    const defaults = parse(readFileSync(join(import.meta.dirname, 'testdata/cert-manager-default-values.yaml'), 'utf8')) as Record<string, unknown>;
    const objects = render(defaults);
    for (const o of objects.filter((x) => x.kind !== 'CustomResourceDefinition')) await validateObject(o);
    const worker = container(objects, 'certgate-controller', 'worker');
    assert.match(worker.image, /^ghcr\.io\/certgate\/certgate:/, `image.repository "" is certgate's image`);
    const config = parseWorkerArgs(worker.args.slice(1));
    assert.equal(config.leaderElectionNamespace, 'kube-system', "global.leaderElection.namespace's default");
    assert.equal(config.autoApproval, true, "approveSignerNames' default is what certgate's approver does");
    parseWebhookConfig(container(objects, 'certgate-webhook', 'webhook').args.slice(1));
  });

  test("approveSignerNames other than cert-manager's default list is refused unless the approver is off", () => {
    assert.throws(
      () => render({ approveSignerNames: [] }),
      /approveSignerNames=\[\]: not supported: certgate's approver approves requests for cert-manager\.io Issuers and ClusterIssuers only/,
    );
    assert.throws(() => render({ approveSignerNames: ['issuers.cert-manager.io/*', 'awspcaclusterissuers.awspca.cert-manager.io/*'] }), /approveSignerNames=/);
    render({ approveSignerNames: [], disableAutoApproval: true });
    render({ approveSignerNames: ['clusterissuers.cert-manager.io/*', 'issuers.cert-manager.io/*'] });
  });

  test("the table the chart reads is the worker's (charts/certgate/files/cert-manager-controller-flags.json; npx tsx scripts/write-cert-manager-flags.ts)", () => {
    assert.equal(readFileSync(certManagerFlagsFile, 'utf8'), certManagerFlagsJson());
  });
});

const workerOf = (values: Record<string, unknown>) => {
  const objects = render(values);
  const worker = container(objects, 'certgate-controller', 'worker');
  return { config: parseWorkerArgs(worker.args.slice(1)), objects, logLevel: worker.env.find((e: { name: string }) => e.name === 'CERTGATE_LOG_LEVEL').value };
};
const controllerConfig = (c: Record<string, unknown>) => ({
  config: { apiVersion: 'controller.config.cert-manager.io/v1alpha1', kind: 'ControllerConfiguration', ...c },
});

describe("cert-manager's controller settings (config:, extraArgs, featureGates, global.logLevel): accepted when certgate has them", () => {
  type Got = ReturnType<typeof workerOf>;
  const cases: Array<[string, Record<string, unknown>, (w: Got) => unknown, unknown]> = [
    [
      'config.clusterResourceNamespace and namespace: the flags and the Role for ClusterIssuer Secrets',
      controllerConfig({ clusterResourceNamespace: 'infra', namespace: 'apps' }),
      (w) => [w.config.clusterResourceNamespace, all(w.objects, 'Role').some((r) => r.metadata.namespace === 'infra')],
      ['infra', true],
    ],
    [
      'extraArgs --cluster-resource-namespace VALUE (two items)',
      { extraArgs: ['--cluster-resource-namespace', 'infra'] },
      (w) => w.config.clusterResourceNamespace,
      'infra',
    ],
    ['config.namespace: watchNamespace', controllerConfig({ namespace: 'apps' }), (w) => w.config.namespace, 'apps'],
    [
      'config.leaderElectionConfig',
      controllerConfig({ leaderElectionConfig: { enabled: false, namespace: 'le', leaseDuration: '1m30s', renewDeadline: '1m', retryPeriod: '20s' } }),
      (w) => [w.config.leaderElect, w.config.leaderElectionNamespace, w.config.leaseDurationMs, w.config.renewDeadlineMs, w.config.retryPeriodMs],
      [false, 'le', 90_000, 60_000, 20_000],
    ],
    [
      'config.ingressShimConfig default issuer',
      controllerConfig({
        ingressShimConfig: {
          defaultIssuerName: 'le',
          defaultIssuerKind: 'ClusterIssuer',
          defaultIssuerGroup: 'cert-manager.io',
          defaultAutoCertificateAnnotations: ['kubernetes.io/tls-acme'],
        },
      }),
      (w) => w.config.defaultIssuer,
      { kind: 'ClusterIssuer', name: 'le', group: 'cert-manager.io' },
    ],
    [
      'extraArgs --default-issuer-name: kind Issuer',
      { extraArgs: ['--default-issuer-name=ca'] },
      (w) => w.config.defaultIssuer,
      { kind: 'Issuer', name: 'ca', group: 'cert-manager.io' },
    ],
    [
      'config.acmeDNS01Config',
      controllerConfig({ acmeDNS01Config: { recursiveNameservers: ['8.8.8.8:53', '1.1.1.1:53'], recursiveNameserversOnly: true } }),
      (w) => [w.config.dns01.recursiveNameservers.length, w.config.dns01.recursiveOnly],
      [2, true],
    ],
    [
      'config.acmeHTTP01Config.solverNameservers: the HTTP-01 self-check resolver',
      controllerConfig({ acmeHTTP01Config: { solverNameservers: ['10.0.0.53:53'] } }),
      (w) => w.config.acmeHttp01Nameserver,
      { host: '10.0.0.53', port: 53 },
    ],
    [
      'config.enableCertificateOwnerRef, maxConcurrentChallenges',
      controllerConfig({ enableCertificateOwnerRef: true, maxConcurrentChallenges: 9 }),
      (w) => [w.config.enableCertificateOwnerRef, w.config.maxConcurrentChallenges],
      [true, 9],
    ],
    [
      'config.gatewayAPI',
      controllerConfig({ gatewayAPI: { enabled: true, enableListenerSet: false, extraProtocols: ['DTLS'] } }),
      (w) => [w.config.gatewayApi.off, w.config.gatewayApi.extraProtocols],
      [false, ['DTLS']],
    ],
    [
      'config.controllers without the approver: disableAutoApproval',
      controllerConfig({ controllers: ['*', '-certificaterequests-approver'] }),
      (w) => w.config.autoApproval,
      false,
    ],
    [
      'config.certificateRequestMinimum/MaximumBackoffDuration',
      controllerConfig({ certificateRequestMinimumBackoffDuration: '30m', certificateRequestMaximumBackoffDuration: '4h' }),
      (w) => [w.config.renewBackoffBaseMs, w.config.renewBackoffMaxMs],
      [1_800_000, 14_400_000],
    ],
    [
      'config.metricsListenAddress and healthzListenAddress: the container ports follow',
      controllerConfig({ metricsListenAddress: '0.0.0.0:9500', healthzListenAddress: '0.0.0.0:9501' }),
      (w) => [w.config.metricsListen.port, w.config.healthListen.port],
      [9500, 9501],
    ],
    ['config.logging: verbosity 4 is debug, format json', controllerConfig({ logging: { verbosity: 4, format: 'json' } }), (w) => w.logLevel, 'debug'],
    ['global.logLevel 6: trace', { global: { logLevel: 6 } }, (w) => w.logLevel, 'trace'],
    [
      'config.featureGates as certgate behaves',
      controllerConfig({ featureGates: { ACMEUseARI: true, StableCertificateRequestName: true, ServerSideApply: false } }),
      (w) => w.config.gatewayApi.off,
      false,
    ],
    [
      'featureGates ExperimentalGatewayAPISupport=false: Gateway API off',
      { featureGates: 'ExperimentalGatewayAPISupport=false' },
      (w) => w.config.gatewayApi.off,
      true,
    ],
    ['HTTP-01 solver Ingress paths Exact by default, as cert-manager since 1.18', {}, (w) => w.config.acmeHttp01IngressPathType, 'Exact'],
    [
      'config.featureGates ACMEHTTP01IngressPathTypeExact false: ImplementationSpecific paths (ingress-nginx strict path validation)',
      controllerConfig({ featureGates: { ACMEHTTP01IngressPathTypeExact: false } }),
      (w) => w.config.acmeHttp01IngressPathType,
      'ImplementationSpecific',
    ],
    [
      'featureGates ACMEHTTP01IngressPathTypeExact=true: Exact',
      { featureGates: 'ACMEHTTP01IngressPathTypeExact=true' },
      (w) => w.config.acmeHttp01IngressPathType,
      'Exact',
    ],
    [
      'config.clusterIssuerAmbientCredentials true, issuerAmbientCredentials false, enablePprof false',
      controllerConfig({ clusterIssuerAmbientCredentials: true, issuerAmbientCredentials: false, enablePprof: false }),
      (w) => w.config.leaderElect,
      true,
    ],
    [
      'config.kubernetesAPIQPS / Burst raised (certgate has no client-side limit)',
      controllerConfig({ kubernetesAPIQPS: 9000, kubernetesAPIBurst: 9000 }),
      (w) => w.config.leaderElect,
      true,
    ],
    ["extraArgs with certgate worker's own flag", { extraArgs: ['--max-concurrent-issuances=4'] }, (w) => w.config.maxConcurrentIssuances, 4],
  ];
  for (const [name, values, get, want] of cases) test(name, () => assert.deepEqual(get(workerOf(values)), want));

  test('the metrics and health ports of config reach the container ports', () => {
    const ports = container(workerOf(controllerConfig({ metricsListenAddress: '0.0.0.0:9500' })).objects, 'certgate-controller', 'worker').ports;
    assert.equal(ports.find((p: { name: string }) => p.name === 'metrics').containerPort, 9500);
  });
});

describe("cert-manager's controller settings certgate has not: helm refuses them with the worker's message, which names the key", () => {
  const refusedBoth: Array<[string, Record<string, unknown>, RegExp]> = [];
  for (const [flag, spec] of Object.entries(CERT_MANAGER_FLAGS)) {
    if (!spec.why || spec.accept) continue;
    for (const path of spec.config) {
      const value = spec.bool ? true : 'x';
      const nested = path.split('.').reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
      refusedBoth.push([
        `config.${path}`,
        controllerConfig(nested),
        new RegExp(
          `config\\.${path.replace(/\./g, '\\.')}: ${flag}=${value} \\(controller configuration [^)]*${path.replace(/\./g, '\\.')}[^)]*\\): not supported: `,
        ),
      ]);
    }
    refusedBoth.push([
      `extraArgs ${flag}`,
      { extraArgs: [spec.bool ? flag : `${flag}=x`] },
      new RegExp(`extraArgs: ${flag}=(true|x)( \\(controller configuration [^)]*\\))?: not supported: `),
    ]);
  }
  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    ...refusedBoth,
    [
      "config.kubernetesAPIQPS below cert-manager's default",
      controllerConfig({ kubernetesAPIQPS: 5 }),
      /config\.kubernetesAPIQPS: --kube-api-qps=5 \(controller configuration kubernetesAPIQPS\): not supported: certgate has no client-side API rate limit to lower/,
    ],
    [
      'a feature gate set against certgate (config)',
      controllerConfig({ featureGates: { ServerSideApply: true } }),
      /config\.featureGates: --feature-gates=ServerSideApply=true .*not supported: certgate writes with update/,
    ],
    [
      'a feature gate set against certgate (featureGates value)',
      { featureGates: 'ValidateCAA=true' },
      /featureGates: --feature-gates=ValidateCAA=true .*not supported: certgate does not check CAA/,
    ],
    ['an unknown feature gate', { extraArgs: ['--feature-gates=NoSuchGate=true'] }, /NoSuchGate is not a feature gate of cert-manager's controller/],
    [
      'controllers certgate cannot turn off',
      controllerConfig({ controllers: ['*', '-certificates-trigger'] }),
      /config\.controllers: --controllers=\*,-certificates-trigger .*certgate runs all of its controllers/,
    ],
    [
      'clusterIssuerAmbientCredentials: false',
      controllerConfig({ clusterIssuerAmbientCredentials: false }),
      /config\.clusterIssuerAmbientCredentials: .*not supported: certgate always lets ClusterIssuers/,
    ],
    [
      'a default issuer of another group',
      controllerConfig({ ingressShimConfig: { defaultIssuerName: 'x', defaultIssuerGroup: 'awspca.cert-manager.io' } }),
      /ingressShimConfig\.defaultIssuerGroup.*cert-manager\.io Issuers and ClusterIssuers only/,
    ],
    ['logging.format text', controllerConfig({ logging: { format: 'text' } }), /config\.logging\.format: --logging-format=text .*certgate logs JSON only/],
    [
      'a key ControllerConfiguration does not have',
      controllerConfig({ ingressShimConfig: { defaultIssuerNmae: 'typo' } }),
      /config\.ingressShimConfig\.defaultIssuerNmae: not a ControllerConfiguration key certgate knows/,
    ],
    [
      'a flag neither cert-manager nor certgate has',
      { extraArgs: ['--no-such-flag'] },
      /extraArgs: --no-such-flag is neither a flag of cert-manager's controller that certgate knows nor one of certgate worker's/,
    ],
  ];
  for (const [name, values, want] of refused) test(name, () => assert.throws(() => render(values), want));

  test('every refusal of the chart is also a refusal of the worker, with the same reason', () => {
    for (const [flag, spec] of Object.entries(CERT_MANAGER_FLAGS)) {
      if (!spec.why || spec.accept) continue;
      assert.throws(
        () => parseWorkerArgs([spec.bool ? flag : `${flag}=x`]),
        (e: Error) => e.message.includes(spec.why!),
        flag,
      );
    }
  });
});

const serviceMonitorCrd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: { kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;

describe("helm install with cert-manager's values, into the embedded API server", { timeout: 240_000 }, () => {
  let server: EmbeddedApiServer;
  let workDir: string;
  const helm = (...args: string[]) => runCommand(helmBin, ['--kubeconfig', server.kubeconfigPath, ...args], { timeoutMs: 90_000 });

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'certgate-cm-values-'));
    server = await startApiServer({ crdDir: null, dir: join(workDir, 'apiserver') });
    // The values file asks for a ServiceMonitor: the cluster has prometheus-operator's CRD, as it would.
    const crd = await runCommand(kubectlBin, ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(workDir, 'kube-cache'), 'apply', '-f', '-'], {
      input: serviceMonitorCrd,
    });
    assert.equal(crd.code, 0, crd.stderr);
  });
  after(async () => {
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const ignoredIn = (notes: string) => /Ignored cert-manager values[^\n]*\n\s+([^\n]+)/.exec(notes)?.[1].split(', ') ?? [];
  const kubectl = (...args: string[]) => runCommand(kubectlBin, ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(workDir, 'kube-cache'), ...args]);

  test('a fresh helm install with the cert-manager values file', async () => {
    const install = await helm('install', 'certgate', chartDir, '--namespace', 'cert-manager', '--create-namespace', '--values', valuesFile);
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, /STATUS: deployed/);
    for (const name of ['cainjector', 'startupapicheck', 'acmesolver', 'webhook.hostNetwork']) assert.ok(ignoredIn(install.stdout).includes(name), name);
    // What the API server stored, read back: the values reached the objects.
    const got = await kubectl(
      'get',
      'deployment/certgate-controller',
      'serviceaccount/certgate-controller',
      'servicemonitor/certgate',
      '-n',
      'cert-manager',
      '-o',
      'json',
    );
    assert.equal(got.code, 0, got.stderr);
    const [deployment, sa, sm] = JSON.parse(got.stdout).items;
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.metadata.labels['cost-center'], 'platform-42');
    assert.ok(deployment.spec.template.spec.containers[0].args.includes('--max-concurrent-challenges=30'));
    assert.deepEqual(deployment.spec.template.spec.nodeSelector, { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
    assert.equal(sa.automountServiceAccountToken, true);
    assert.equal(sm.metadata.labels.release, 'kube-prometheus-stack');
    const crds = await kubectl('get', 'crd', '-o', 'name');
    assert.equal(crds.stdout.split('\n').filter((l) => l.endsWith('.cert-manager.io')).length, 6, 'installCRDs: true');

    const uninstall = await helm('uninstall', 'certgate', '--namespace', 'cert-manager', '--wait');
    assert.equal(uninstall.code, 0, uninstall.stderr);
  });

  test('the seed command installs; the cert-manager values file upgrades it and NOTES list what certgate ignores', async () => {
    const seed = await helm('install', 'certgate', chartDir, '--namespace', 'cert-manager', '--create-namespace', '--set', 'installCRDs=true');
    assert.equal(seed.code, 0, seed.stderr);
    assert.match(seed.stdout, /STATUS: deployed/);
    assert.doesNotMatch(seed.stdout, /Ignored/);

    const upgrade = await helm('upgrade', 'certgate', chartDir, '--namespace', 'cert-manager', '--values', valuesFile);
    assert.equal(upgrade.code, 0, upgrade.stderr);
    assert.match(upgrade.stdout, /STATUS: deployed/);
    const ignored = ignoredIn(upgrade.stdout);
    for (const name of ['cainjector', 'startupapicheck', 'acmesolver', 'webhook.hostNetwork', 'webhook.securePort']) {
      assert.ok(ignored.includes(name), `NOTES name ${name}: ${ignored.join(', ')}`);
    }
    for (const mapped of [
      'prometheus.podmonitor',
      'global.commonLabels',
      'global.nodeSelector',
      'serviceAccount.automountServiceAccountToken',
      'config',
      'global.logLevel',
      'featureGates',
    ])
      assert.ok(!ignored.includes(mapped), `${mapped} is mapped, not ignored`);
    assert.doesNotMatch(upgrade.stdout, /extraArgs/, 'every extraArg is mapped or passed: none is left out');
  });
});
