// Keeps the served certificate current: re-reads the shared Secret on a short interval and at the
// renewal time, renews through ensureServingBundle when due, publishes a changed CA to the webhook
// configurations first, then swaps the certificate into the live server (tls.Server.setSecureContext:
// open connections keep their session, new handshakes get the new certificate; nothing drops).
import type { Logger } from '../../lib/log.ts';
import { certFacts, type ServingBundle } from './certs.ts';
import { renewalTimeOf, type ServingCertPolicy } from './secret-store.ts';

export interface RotatorDeps {
  readonly policy: ServingCertPolicy;
  /** Loads, creates or renews the bundle in the shared Secret (ensureServingBundle bound to a client). */
  readonly ensure: (now: Date) => Promise<ServingBundle>;
  /** Puts the CA into the webhook configurations' caBundle. */
  readonly publishCa: (caCertPem: string) => Promise<void>;
  /** Installs a new serving key pair into the running server. */
  readonly install: (bundle: ServingBundle) => void;
  readonly logger: Logger;
  readonly checkIntervalMs?: number; // how often to look for another replica's renewal (default 60 s)
  readonly now?: () => Date;
}

export class ServingCertRotator {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private current?: ServingBundle;
  private caPublished?: string;

  constructor(private readonly deps: RotatorDeps) {}

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
    clearTimeout(this.timer);
  }

  /** One pass: read or renew, publish CA, install. Exposed for tests. */
  async sync(): Promise<void> {
    const now = (this.deps.now ?? (() => new Date()))();
    const bundle = await this.deps.ensure(now);
    if (this.caPublished !== bundle.caCertPem) {
      await this.deps.publishCa(bundle.caCertPem);
      this.caPublished = bundle.caCertPem;
    }
    if (this.current?.certPem !== bundle.certPem) {
      const first = this.current === undefined;
      this.current = bundle;
      if (!first) this.deps.install(bundle);
      const facts = certFacts(bundle.certPem);
      this.deps.logger.info({ serial: facts.serial, notAfter: facts.notAfter.toISOString(), names: facts.names }, first ? 'serving certificate loaded' : 'serving certificate rotated');
    }
  }

  private schedule(): void {
    if (this.stopped || !this.current) return;
    const now = (this.deps.now ?? (() => new Date()))().getTime();
    const untilRenewal = renewalTimeOf(this.current.certPem, this.deps.policy).getTime() - now;
    const delay = Math.max(50, Math.min(this.deps.checkIntervalMs ?? 60_000, untilRenewal));
    this.timer = setTimeout(() => {
      this.sync()
        .catch((err) => this.deps.logger.warn({ err: String(err) }, 'serving certificate check failed; retrying'))
        .finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }
}
