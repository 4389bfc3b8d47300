// Leader election with a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
// - acquire when the Lease is missing, released (no holder), or not renewed for leaseDuration
//   as observed on OUR clock (no trust in other hosts' clocks);
// - the leader renews every retryPeriod and gives up leadership when it cannot renew within
//   renewDeadline; writes use resourceVersion, so two candidates never both win;
// - stop() releases the Lease so a standby takes over at once.
import type { KubernetesObject } from '@kubernetes/client-node';
import { Resources } from '../api/resources.ts';
import { realClock, type Clock, type TimerHandle } from './clock.ts';
import { isAlreadyExists, isConflict, type KubeClient } from './kube/client.ts';
import { childLogger, type Logger } from './log.ts';

interface Lease extends KubernetesObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading(): void | Promise<void>;
  onStoppedLeading(): void | Promise<void>;
  clock?: Clock;
  log?: Logger;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly log: Logger;
  private leading = false;
  private running = false;
  private timer: TimerHandle | undefined;
  private lastRenewMs = 0;
  private observed: { record: string; atMs: number } | undefined;
  private cycle: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LeaderElectorOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? childLogger({ component: 'leader-election', lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops campaigning; a leader stops leading and releases the Lease. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.cycle;
    if (this.leading) {
      await this.loseLeadership();
      await this.release().catch((err) => this.log.warn({ err: String(err) }, 'could not release the lease'));
    }
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.cycle = this.tick().finally(() => this.schedule(this.opts.retryPeriodMs));
    }, ms);
  }

  private async tick(): Promise<void> {
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'lease update failed');
    }
    if (!this.running) return;
    const now = this.clock.now();
    if (ok) {
      this.lastRenewMs = now;
      if (!this.leading) {
        this.leading = true;
        this.log.info('became leader');
        try {
          await this.opts.onStartedLeading();
        } catch (err) {
          // Could not start leading (e.g. the API went away): step down and let the next tick retry.
          this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'starting to lead failed');
          await this.loseLeadership().catch(() => {});
        }
      }
    } else if (this.leading && now - this.lastRenewMs >= this.opts.renewDeadlineMs) {
      this.log.warn('could not renew the lease before the deadline; stopping leading');
      await this.loseLeadership();
    }
  }

  private async loseLeadership(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    try {
      await this.opts.onStoppedLeading();
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'stopping to lead failed');
    }
  }

  /** One attempt; true when we hold the Lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.opts;
    const now = this.clock.now();
    const leaseSeconds = Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000));
    const current = await client.get<Lease>(Resources.Lease, namespace, name);
    if (!current) {
      try {
        await client.create<Lease>(Resources.Lease, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: leaseSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    // Track when the record last changed, on our clock.
    const record = JSON.stringify([holder, spec.renewTime, spec.acquireTime, spec.leaseTransitions]);
    if (!this.observed || this.observed.record !== record) this.observed = { record, atMs: now };
    const durationMs = (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
    if (holder && holder !== identity && now < this.observed.atMs + durationMs) return false;

    const takingOver = holder !== identity;
    const next: Lease = {
      ...current,
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: takingOver ? microTime(now) : (spec.acquireTime ?? microTime(now)),
        renewTime: microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takingOver && holder ? 1 : 0),
      },
    };
    try {
      await client.replace<Lease>(Resources.Lease, next);
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
    if (takingOver) this.log.info({ previousHolder: holder || undefined }, 'acquired the lease');
    return true;
  }

  private async release(): Promise<void> {
    const { client, namespace, name, identity } = this.opts;
    const current = await client.get<Lease>(Resources.Lease, namespace, name);
    if (!current || current.spec?.holderIdentity !== identity) return;
    const now = this.clock.now();
    await client.replace<Lease>(Resources.Lease, {
      ...current,
      spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(now) },
    });
    this.log.info('released the lease');
  }
}
