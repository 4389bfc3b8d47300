// Keeps the served certificate current: re-reads the shared Secret on a short interval and at the
// renewal time, renews through ensureServingBundle when due, publishes a changed CA to the webhook
// configurations first, then swaps the certificate into the live server (tls.Server.setSecureContext:
// open connections keep their session, new handshakes get the new certificate; nothing drops).
// It also wakes when the previous CA's overlap ends, to drop that CA from caBundle.
import { realClock, type Clock, type TimerHandle } from '../../lib/clock.ts';
import type { Logger } from '../../lib/log.ts';
import { caBundleFor } from './ca-bundle.ts';
import { certFacts, type ServingBundle } from './certs.ts';
import { RE_READ_INTERVAL_MS, renewalTimeOf, type ServingCertPolicy } from './secret-store.ts';

interface RotatorDeps {
  readonly policy: ServingCertPolicy;
  /** Loads, creates or renews the bundle in the shared Secret (ensureServingBundle bound to a client). */
  readonly ensure: (now: Date) => Promise<ServingBundle>;
  /** Puts the CAs to trust (PEM concatenation: current CA, then the previous one during an overlap) into caBundle. */
  readonly publishCa: (caBundlePem: string) => Promise<void>;
  /** Installs a new serving key pair into the running server. */
  readonly install: (bundle: ServingBundle) => void;
  readonly logger: Logger;
  readonly checkIntervalMs?: number; // how often to look for another replica's renewal (default 60 s)
  readonly clock?: Clock;
}

export class ServingCertRotator {
  private timer?: TimerHandle;
  private stopped = false;
  private current?: ServingBundle;
  private caPublished?: string;
  private inFlight: Promise<void> = Promise.resolve();
  private readonly clock: Clock;

  constructor(private readonly deps: RotatorDeps) {
    this.clock = deps.clock ?? realClock;
  }

  get bundle(): ServingBundle | undefined {
    return this.current;
  }

  /** Loads (or creates) the bundle and publishes the CA; the caller starts serving with the result. */
  async start(): Promise<ServingBundle> {
    this.stopped = false;
    await this.sync();
    this.schedule();
    return this.current!;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
  }

  /** Resolves when the pass a timer started has finished (for clock-driven tests). */
  settled(): Promise<void> {
    return this.inFlight;
  }

  /** One pass: read or renew, publish CA, install. Exposed for tests. */
  async sync(): Promise<void> {
    const now = new Date(this.clock.now());
    const bundle = await this.deps.ensure(now);
    const caBundle = caBundleFor(bundle, now);
    if (this.caPublished !== caBundle) {
      await this.deps.publishCa(caBundle);
      this.caPublished = caBundle;
      this.logCaChange(bundle, caBundle);
    }
    const previous = this.current;
    this.current = bundle; // also when only the previous CA changed
    if (previous?.certPem !== bundle.certPem) {
      const first = previous === undefined;
      if (!first) this.deps.install(bundle);
      const facts = certFacts(bundle.certPem);
      this.deps.logger.info(
        { serial: facts.serial, notAfter: facts.notAfter.toISOString(), names: facts.names },
        first ? 'serving certificate loaded' : 'serving certificate rotated',
      );
    }
  }

  private logCaChange(bundle: ServingBundle, published: string): void {
    const ca = certFacts(bundle.caCertPem);
    const previous = bundle.previousCa && published.includes(bundle.previousCa.certPem.trim()) ? bundle.previousCa : undefined;
    if (previous)
      this.deps.logger.info(
        { caSerial: ca.serial, previousCaSerial: certFacts(previous.certPem).serial, previousCaRetireAt: previous.retireAt.toISOString() },
        'caBundle holds the new and the previous webhook CA',
      );
    else this.deps.logger.info({ caSerial: ca.serial, caNotAfter: ca.notAfter.toISOString() }, 'caBundle holds the webhook CA');
  }

  private schedule(): void {
    if (this.stopped || !this.current) return;
    const now = this.clock.now();
    const wakeAt = [renewalTimeOf(this.current.certPem, this.deps.policy).getTime()];
    const retireAt = this.current.previousCa?.retireAt.getTime();
    if (retireAt !== undefined && retireAt > now) wakeAt.push(retireAt);
    const delay = Math.max(50, Math.min(this.deps.checkIntervalMs ?? RE_READ_INTERVAL_MS, ...wakeAt.map((t) => t - now)));
    this.timer = this.clock.setTimeout(() => {
      // Run the pass as a microtask so it reads the clock when it runs, not when the timer fired
      // (a manual clock fires a timer at its due time in the middle of a longer advance).
      this.inFlight = Promise.resolve()
        .then(() => this.sync())
        .catch((err) => this.deps.logger.warn({ err: String(err) }, 'serving certificate check failed; retrying'))
        .finally(() => this.schedule());
    }, delay);
    (this.timer as { unref?: () => void } | undefined)?.unref?.();
  }
}
