// Helpers for the chart tests: render with helm, parse into objects, validate against the
// Kubernetes OpenAPI schemas shipped in kubernetes-models.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderChart, repoRoot } from '../../scripts/render-manifests.ts';

/** kubectl 1.32 from the same npm package as helm (scripts/ensure-tools.sh), else the system one. */
export const kubectlBin = existsSync(join(repoRoot, '.tools/kubectl/kubectl')) ? join(repoRoot, '.tools/kubectl/kubectl') : '/usr/bin/kubectl';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`invalid YAML: ${d.errors[0].message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

const rendered = new Map<string, string>();

/** Renders (once per distinct values and options within a test file; helm is the slow part) and parses. */
export function renderObjects(values: Record<string, unknown> = {}, opts: { release?: string; namespace?: string } = {}): K8sObject[] {
  const key = JSON.stringify([values, opts]);
  if (!rendered.has(key)) rendered.set(key, renderChart(values, opts));
  return parseManifests(rendered.get(key)!);
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found) throw new Error(`no ${kind}${name ? ` named ${name}` : ''} rendered`);
  return found;
}

export const all = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

/** The kubernetes-models module holding a class for apiVersion. */
function modelModule(apiVersion: string): string {
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/**
 * Validates one object against its Kubernetes OpenAPI schema (types, required fields, enums).
 * Throws with the object's kind/name and the schema errors.
 */
export async function validateObject(obj: K8sObject): Promise<void> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modelModule(obj.apiVersion))) as Record<string, unknown>;
  } catch {
    throw new Error(`${obj.kind}/${obj.metadata.name}: no schema for apiVersion ${obj.apiVersion}`);
  }
  const Model = mod[obj.kind] as (new (data: unknown) => { validate(): void }) | undefined;
  if (!Model) throw new Error(`${obj.kind}/${obj.metadata.name}: unknown kind ${obj.kind} in ${obj.apiVersion}`);
  try {
    new Model(obj).validate();
  } catch (err) {
    throw new Error(`${obj.kind}/${obj.metadata.name}: ${(err as Error).message}`);
  }
}

/** Pod templates of every workload, with the workload's name. */
export function podTemplates(objects: K8sObject[]): { owner: string; spec: any; labels: Record<string, string> }[] {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind))
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec, labels: o.spec.template.metadata.labels }));
}

/**
 * The arguments the chart gives one container (subcommand left out), without its listen addresses:
 * a test runs the process in-process and picks free loopback ports itself.
 */
export function chartContainerArgs(objects: K8sObject[], deployment: string, container: string): string[] {
  const args: string[] = find(objects, 'Deployment', deployment).spec.template.spec.containers.find((c: { name: string }) => c.name === container).args;
  return args.slice(1).filter((a) => !/^--(metrics-|health-)?listen=/.test(a));
}

/** Worker flags a test adds to the chart's: loopback listeners, its kubeconfig, and leader election in seconds. */
export function testWorkerFlags(kubeconfig: string): string[] {
  return [
    '--metrics-listen=127.0.0.1:0',
    '--health-listen=127.0.0.1:0',
    `--kubeconfig=${kubeconfig}`,
    '--leader-election-retry-period=500ms',
    '--leader-election-renew-deadline=2s',
    '--leader-election-lease-duration=3s',
  ];
}

/** ...and where the test's pebble and BIND are, with short ACME waits. */
export function acmeStackWorkerFlags(stack: { pebble: { httpPort: number }; bind: { port: number } }): string[] {
  return [`--acme-http01-self-check-port=${stack.pebble.httpPort}`, `--acme-dns-nameserver=127.0.0.1:${stack.bind.port}`, '--acme-backoff-min-ms=20'];
}

/** The embedded API server's route to the chart's webhook Service (certgate/certgate-webhook:443) at a loopback port. */
export function chartWebhookServiceResolver(webhookPort: number) {
  return (namespace: string, name: string, port: number): string => {
    if (namespace === 'certgate' && name === 'certgate-webhook' && port === 443) return `https://127.0.0.1:${webhookPort}`;
    throw new Error(`no such service ${namespace}/${name}:${port}`);
  };
}
