// `certgate version`, as cmctl version: the CLI's own version, and (unless --client) the certgate
// installed in the cluster, found from its components: the cert-manager.io CRDs and the Deployments
// labelled app.kubernetes.io/part-of=certgate (the chart's labels), each with its
// app.kubernetes.io/version label and image. Detected only when every component agrees.
import { readFileSync } from 'node:fs';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceDescriptor } from '../api/resources.ts';
import { KubeApiError, type KubeClient } from '../lib/kube/client.ts';

const CRD: ResourceDescriptor = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
};
const DEPLOYMENT: ResourceDescriptor = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true };
const VERSION_LABEL = 'app.kubernetes.io/version';
const PART_OF = 'app.kubernetes.io/part-of=certgate';

interface ClientVersion {
  gitVersion: string;
  nodeVersion: string;
  platform: string;
}

interface ServerComponent {
  kind: 'CustomResourceDefinition' | 'Deployment';
  name: string;
  namespace?: string;
  component?: string;
  version?: string;
  images?: string[];
}

interface ServerVersion {
  /** The one version every component carries; undefined when none was found or they differ. */
  detected?: string;
  components: ServerComponent[];
  /** Why nothing was detected (no components, different versions, a list the user may not read). */
  problems: string[];
}

/** certgate's package.json version: beside cli/ when run from source, one level up from dist/cli/ in the image. */
function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'certgate' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next place
    }
  }
  return 'unknown';
}

export function clientVersion(): ClientVersion {
  return { gitVersion: `v${packageVersion()}`, nodeVersion: process.version, platform: `${process.platform}/${process.arch}` };
}

const imageTag = (image: string) => /:([^:/@]+)(@.*)?$/.exec(image)?.[1];

export async function serverVersion(client: KubeClient): Promise<ServerVersion> {
  const components: ServerComponent[] = [];
  const problems: string[] = [];
  const list = async <T extends KubernetesObject>(r: ResourceDescriptor, labelSelector?: string): Promise<T[]> => {
    try {
      return (await client.list<T>(r, { labelSelector })).items;
    } catch (e) {
      if (!(e instanceof KubeApiError)) throw e;
      problems.push(`cannot list ${r.plural}: ${e.message}`);
      return [];
    }
  };
  for (const crd of await list<KubernetesObject & { spec?: { group?: string } }>(CRD)) {
    if (crd.spec?.group !== 'cert-manager.io' && crd.spec?.group !== 'acme.cert-manager.io') continue;
    components.push({ kind: 'CustomResourceDefinition', name: crd.metadata!.name!, version: crd.metadata?.labels?.[VERSION_LABEL] });
  }
  for (const d of await list<KubernetesObject & { spec?: { template?: { spec?: { containers?: Array<{ image?: string }> } } } }>(DEPLOYMENT, PART_OF)) {
    const images = (d.spec?.template?.spec?.containers ?? []).map((c) => c.image ?? '').filter(Boolean);
    components.push({
      kind: 'Deployment',
      namespace: d.metadata?.namespace,
      name: d.metadata!.name!,
      component: d.metadata?.labels?.['app.kubernetes.io/component'],
      version: d.metadata?.labels?.[VERSION_LABEL] ?? images.map(imageTag).find(Boolean),
      images,
    });
  }
  const versions = [...new Set(components.map((c) => c.version).filter((v): v is string => !!v))];
  if (!components.length) problems.push('no certgate components found (cert-manager.io CRDs, Deployments labelled app.kubernetes.io/part-of=certgate)');
  else if (!versions.length) problems.push('the certgate components found carry no version label');
  else if (versions.length > 1) problems.push(`the certgate components carry different versions: ${versions.join(', ')}`);
  return { detected: versions.length === 1 ? versions[0] : undefined, components, problems };
}

export function renderVersion(v: { clientVersion: ClientVersion; serverVersion?: ServerVersion }, short: boolean): string {
  const c = v.clientVersion;
  const lines = [short ? `Client Version: ${c.gitVersion}` : `Client Version: ${c.gitVersion} (node ${c.nodeVersion}, ${c.platform})`];
  const s = v.serverVersion;
  if (s) {
    lines.push(`Server Version: ${s.detected ?? '<unknown>'}`);
    if (!short)
      for (const comp of s.components)
        lines.push(
          `  ${comp.kind} ${comp.namespace ? `${comp.namespace}/` : ''}${comp.name}: ${comp.version ?? '<no version>'}${comp.images?.length ? ` (${comp.images.join(', ')})` : ''}`,
        );
  }
  return lines.join('\n');
}
