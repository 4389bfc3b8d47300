// Gateway API CRDs for tests: the upstream standard-channel CRDs (crds/, see README.md) installed
// through the API, so the same call works on the embedded API server and on a real cluster.
// Tests that do not call it see a cluster without Gateway API, as today.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { CustomResourceDefinition } from '../../api/crds.test-support.ts';
import { Resources, type ResourceDescriptor } from '../../api/resources.ts';
import { isAlreadyExists, isNotFound, type KubeClient } from '../../lib/kube/client.ts';

export const GATEWAY_API_CRD_DIR = fileURLToPath(new URL('./crds/', import.meta.url));

/** The kinds the vendored CRDs serve, as certgate reads them. */
const GATEWAY_API_RESOURCES: readonly ResourceDescriptor[] = [Resources.GatewayClass, Resources.Gateway, Resources.HTTPRoute, Resources.ReferenceGrant];

/** The vendored CRDs, parsed (GatewayClass, Gateway, HTTPRoute, ReferenceGrant). */
export function gatewayApiCrds(): CustomResourceDefinition[] {
  return readdirSync(GATEWAY_API_CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const crd = parse(readFileSync(join(GATEWAY_API_CRD_DIR, f), 'utf8')) as CustomResourceDefinition;
      if (crd?.kind !== 'CustomResourceDefinition') throw new Error(`${f}: not a CustomResourceDefinition`);
      return crd;
    });
}

/**
 * Creates the Gateway API CRDs that are missing and waits until every kind certgate reads is served.
 * CRDs already there (a real cluster with Gateway API installed, or an earlier call) are left as
 * they are: they are shared infrastructure, never deleted by a test.
 */
export async function installGatewayApiCrds(client: KubeClient, opts: { timeoutMs?: number } = {}): Promise<void> {
  for (const crd of gatewayApiCrds()) {
    if (await client.get(Resources.CustomResourceDefinition, undefined, crd.metadata.name)) continue;
    await client.create(Resources.CustomResourceDefinition, crd as unknown as KubernetesObject).catch((e) => {
      if (!isAlreadyExists(e)) throw e; // another test file installed it meanwhile
    });
  }
  await waitUntilServed(client, opts.timeoutMs ?? 60_000);
}

/** A real server serves a new CRD's kinds a moment after it is created: wait until a list answers. */
async function waitUntilServed(client: KubeClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const r of GATEWAY_API_RESOURCES) {
    for (;;) {
      try {
        await client.list(r, { namespace: undefined });
        break;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        if (Date.now() > deadline) throw new Error(`Gateway API ${r.kind} (${r.group}/${r.version}) still not served after ${timeoutMs / 1000} s`);
        await sleep(100);
      }
    }
  }
}
