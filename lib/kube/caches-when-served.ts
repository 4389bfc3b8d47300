// Watched caches of optional resources (Gateway API: present only where its CRDs are installed).
// API discovery is asked every intervalMs whether each resource is served; a cache starts when
// it is and stops when it no longer is (its CRD deleted), so a cluster without the CRDs works as
// before and one that installs them later is picked up without a restart. Discovery needs no
// RBAC beyond what every authenticated client has.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceDescriptor } from '../../api/resources.ts';
import { apiVersionOf } from '../../api/resources.ts';
import { childLogger, type Logger } from '../log.ts';
import { isNotFound, type KubeClient, type WatchedCache } from './client.ts';

/**
 * Whether the API server serves every one of `resources` (their group/version lists each in discovery): the one
 * served-check of the webhook's optional caches and the worker's Gateway API support. One discovery request per group/version.
 */
export async function areServed(client: KubeClient, resources: readonly ResourceDescriptor[]): Promise<boolean> {
  const plurals = new Map<string, Set<string>>();
  for (const r of resources) {
    const path = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
    plurals.set(path, (plurals.get(path) ?? new Set()).add(r.plural));
  }
  for (const [path, wanted] of plurals) {
    let served: Array<{ name?: string }>;
    try {
      served = (await client.request<{ resources?: Array<{ name?: string }> }>('GET', path)).resources ?? [];
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    const names = new Set(served.map((x) => x.name));
    if (![...wanted].every((p) => names.has(p))) return false;
  }
  return true;
}

interface CachesWhenServedOptions {
  /** how often discovery is asked (default 30 s) */
  intervalMs?: number;
  /** called with a new cache before it starts: register event handlers here */
  onStart?(r: ResourceDescriptor, cache: WatchedCache<KubernetesObject>): void;
  /** called after a cache stopped because its resource is no longer served, with what it held */
  onStop?(r: ResourceDescriptor, last: ReadonlyArray<KubernetesObject>): void;
  log?: Logger;
}

export class CachesWhenServed {
  private readonly running = new Map<ResourceDescriptor, WatchedCache<KubernetesObject>>();
  private readonly synced = new Set<ResourceDescriptor>();
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private checking?: Promise<void>;
  private readonly log: Logger;

  constructor(
    private readonly client: KubeClient,
    private readonly resources: readonly ResourceDescriptor[],
    private readonly opts: CachesWhenServedOptions = {},
  ) {
    this.log = opts.log ?? childLogger({ component: 'optional-caches' });
  }

  /** The cache of r once it is served and filled; undefined otherwise. */
  get(r: ResourceDescriptor): WatchedCache<KubernetesObject> | undefined {
    return this.synced.has(r) ? this.running.get(r) : undefined;
  }

  /** The running caches by plural name (for staleness checks). */
  caches(): Record<string, WatchedCache<KubernetesObject>> {
    return Object.fromEntries([...this.running].map(([r, c]) => [r.plural, c]));
  }

  /** First check; resolves once the caches of the resources served now are filled. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.check();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // stop the caches first: a check in progress may be waiting for one to fill
    await Promise.all([...this.running.values()].map((c) => c.stop()));
    await this.checking;
    await Promise.all([...this.running.values()].map((c) => c.stop()));
    this.running.clear();
    this.synced.clear();
  }

  /** Asks discovery now (tests; the timer does it every intervalMs). */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check().finally(() => this.schedule()), this.opts.intervalMs ?? 30_000);
    this.timer.unref();
  }

  private async checkOnce(): Promise<void> {
    for (const r of this.resources) {
      let now: boolean;
      try {
        now = await areServed(this.client, [r]);
      } catch (err) {
        // the API server is unreachable: keep what runs, ask again next time
        this.log.warn({ err: (err as Error).message, resource: `${apiVersionOf(r)} ${r.plural}` }, 'cannot read API discovery');
        continue;
      }
      const cache = this.running.get(r);
      if (now && !cache && !this.stopped) await this.startCache(r);
      else if (!now && cache) await this.stopCache(r, cache);
    }
  }

  private async startCache(r: ResourceDescriptor): Promise<void> {
    const cache = this.client.cache<KubernetesObject>(r);
    this.opts.onStart?.(r, cache);
    this.running.set(r, cache);
    this.log.info({ resource: `${apiVersionOf(r)} ${r.plural}` }, 'resource is served: watching it');
    await cache.start();
    if (this.running.get(r) === cache) this.synced.add(r);
  }

  private async stopCache(r: ResourceDescriptor, cache: WatchedCache<KubernetesObject>): Promise<void> {
    this.running.delete(r);
    this.synced.delete(r);
    const last = cache.list();
    await cache.stop();
    this.opts.onStop?.(r, last);
    this.log.info({ resource: `${apiVersionOf(r)} ${r.plural}` }, 'resource is no longer served: stopped watching it');
  }
}
