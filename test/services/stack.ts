// BIND + pebble wired together: pebble resolves every name through BIND, so HTTP-01 names
// (`* A 127.0.0.1`) reach loopback and DNS-01 TXT records written over RFC 2136 are what it sees.
// This is what the e2e tests and `make demo` start.
import { startBind, type BindOptions, type BindServer } from './bind.ts';
import { startPebble, type PebbleOptions, type PebbleServer } from './pebble.ts';

export interface AcmeStackOptions {
  /** Extra pebble environment, e.g. { PEBBLE_WFE_NONCEREJECT: '50' }. */
  pebbleEnv?: Record<string, string>;
  /** Fixed HTTP-01 port pebble dials (default: a free port). */
  httpPort?: number;
  bind?: BindOptions;
  /** A pebble that requires external account binding with these MAC keys (see PebbleOptions). */
  externalAccountBinding?: PebbleOptions['externalAccountBinding'];
  /** Which pebble: '2.4' (default) or '2.10' (ARI and profiles; see PebbleOptions). */
  pebbleVersion?: PebbleOptions['version'];
}

export interface AcmeStack {
  bind: BindServer;
  pebble: PebbleServer;
  /** Stops pebble, then BIND. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startAcmeStack(opts: AcmeStackOptions = {}): Promise<AcmeStack> {
  const bind = await startBind(opts.bind);
  let pebble: PebbleServer;
  try {
    pebble = await startPebble({
      dnsServer: bind.address,
      env: opts.pebbleEnv,
      httpPort: opts.httpPort,
      externalAccountBinding: opts.externalAccountBinding,
      version: opts.pebbleVersion,
    });
  } catch (err) {
    await bind.stop();
    throw err;
  }
  return {
    bind,
    pebble,
    stop: async () => {
      await pebble.stop();
      await bind.stop();
    },
  };
}
