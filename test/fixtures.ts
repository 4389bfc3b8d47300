// The objects and waits the e2e tests share, defined once: a Certificate and an Ingress as a user
// writes them, an API client and kubectl for a kubeconfig, the Events about one object, and the one polling
// helper (positive signs only, generous ceilings: tests run on a busy 2-core machine).
import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Event, KubernetesObject, V1Ingress, V1IngressRule, V1IngressSpec, V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { Resources } from '../api/resources.ts';
import type { Certificate } from '../api/types.generated.ts';
import { KubeClient, loadKubeConfig } from '../lib/kube/client.ts';
import { runCommand, type CommandResult } from './run-command.ts';

/** Default ceiling of waitFor: far above what a step needs on an idle machine, so load does not fail it. */
const WAIT_CEILING_MS = 60_000;

interface WaitOptions {
  /** Ceiling; WAIT_CEILING_MS by default. */
  timeoutMs?: number;
  everyMs?: number;
  /** Called on timeout; its answer goes into the error (e.g. what is still missing). */
  explain?: () => Promise<unknown> | unknown;
}

/** Polls fn until it returns a truthy value; fails with the last value or error seen after the ceiling. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  options: number | WaitOptions = {},
  pollMs?: number,
): Promise<T> {
  const { timeoutMs = WAIT_CEILING_MS, everyMs = pollMs ?? 100, explain } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = explain ? JSON.stringify(await explain()) : last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${detail}`);
    }
    await sleep(everyMs);
  }
}

export function clientFor(kubeconfigPath: string): KubeClient {
  return new KubeClient(loadKubeConfig({ kubeconfig: kubeconfigPath }), 'certgate-e2e');
}

/** kubectl as a user runs it against one kubeconfig: `kubectl(args, stdin)` (stdin written as YAML) and `apply(obj, ...flags)`. */
const RBAC_GROUP = 'rbac.authorization.k8s.io';
const rbacResource = (kind: string, plural: string) => ({ group: RBAC_GROUP, version: 'v1', kind, plural, namespaced: true });

/** A Role with `rules` in `namespace`, bound to that namespace's ServiceAccount `serviceAccount` (both named `name`). */
export async function grantRole(
  admin: KubeClient,
  namespace: string,
  name: string,
  serviceAccount: string,
  rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }>,
): Promise<void> {
  await admin.create(rbacResource('Role', 'roles'), { apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: { name, namespace }, rules } as KubernetesObject);
  await admin.create(rbacResource('RoleBinding', 'rolebindings'), {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
  } as KubernetesObject);
}

export interface Kubectl {
  kubectl(args: string[], stdin?: unknown): Promise<CommandResult>;
  apply(obj: unknown, ...flags: string[]): Promise<CommandResult>;
}

/** kubectl for `kubeconfigPath`; with `cacheDir`, its discovery cache goes there instead of the user's ~/.kube. */
export function kubectlFor(kubeconfigPath: string, cacheDir?: string): Kubectl {
  const kubectl = (args: string[], stdin?: unknown) =>
    runCommand('kubectl', ['--kubeconfig', kubeconfigPath, ...(cacheDir ? ['--cache-dir', cacheDir] : []), ...args], {
      input: stdin === undefined ? '' : stringify(stdin),
      timeoutMs: 30_000,
    });
  return { kubectl, apply: (obj, ...flags) => kubectl(['apply', '-f', '-', ...flags], obj) };
}

/** Whether an object's Ready condition is True. */
export function isReady(o: { status?: { conditions?: Array<{ type: string; status: string }> } } | undefined): boolean {
  return o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Waits until the Secret `name` holds a certificate (tls.crt), as a user waiting for issuance would. */
export function secretWithCertificate(
  client: KubeClient,
  namespace: string,
  name: string,
  timeoutMs = WAIT_CEILING_MS,
): Promise<V1Secret & { data: Record<string, string> & { 'tls.crt': string } }> {
  return waitFor(
    `Secret ${name} with a certificate`,
    async () => {
      const s = await client.get<V1Secret>(Resources.Secret, namespace, name);
      return s?.data?.['tls.crt'] ? (s as V1Secret & { data: Record<string, string> & { 'tls.crt': string } }) : undefined;
    },
    timeoutMs,
  );
}

/**
 * A Certificate as a user applies it. Defaults: Secret `<name>-tls`, DNS name `<name>.example.test`,
 * the Issuer "selfsigned" in the same namespace; `spec` overrides any of them.
 */
export function certificate(namespace: string, name: string, spec: Partial<Certificate['spec']> = {}, metadata: Partial<V1ObjectMeta> = {}): Certificate {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { ...metadata, name, namespace },
    spec: { secretName: `${name}-tls`, dnsNames: [`${name}.example.test`], issuerRef: { name: 'selfsigned' }, ...spec },
  };
}

/** An Ingress rule sending every path of `host` to the Service `service` port 80. */
export function ingressRule(host: string, service = 'web'): V1IngressRule {
  return { host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } };
}

/** An Ingress; without a spec, one rule for `<name>.example.test` and no TLS. */
export function ingress(
  namespace: string,
  name: string,
  spec?: V1IngressSpec,
  annotations?: Record<string, string>,
  labels?: Record<string, string>,
): V1Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, ...(annotations ? { annotations } : {}), ...(labels ? { labels } : {}) },
    spec: spec ?? { rules: [ingressRule(`${name}.example.test`)] },
  };
}

/** The Events in `namespace` about the object named `name` (of `kind`, when given). */
export async function eventsAbout(client: KubeClient, namespace: string, name: string, kind?: string): Promise<CoreV1Event[]> {
  const events = (await client.list<CoreV1Event>(Resources.Event, { namespace })).items;
  return events.filter((e) => e.involvedObject?.name === name && (!kind || e.involvedObject.kind === kind));
}

/** What one test webhook configuration sends to the webhook: resources of one API group, on CREATE and UPDATE. */
export interface WebhookRule {
  apiGroups: string[];
  resources: string[];
}

/**
 * A Validating- or MutatingWebhookConfiguration that sends this test's requests to a certgate webhook
 * listening on 127.0.0.1 (/validate or /mutate). It fails closed, so it is scoped to the run's own
 * namespaces: a real cluster has other users.
 */
export function localWebhookConfiguration(
  kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration',
  opts: { name: string; port: number; namespaces: string[]; rules: WebhookRule[] },
): KubernetesObject {
  const path = kind === 'ValidatingWebhookConfiguration' ? 'validate' : 'mutate';
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name: opts.name },
    webhooks: [
      {
        name: `${path}.certgate.io`,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Fail',
        timeoutSeconds: 5,
        clientConfig: { url: `https://127.0.0.1:${opts.port}/${path}` },
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: opts.namespaces }] },
        rules: opts.rules.map((r) => ({ ...r, apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'] })),
      },
    ],
  } as KubernetesObject;
}
