// Parses the HOST:PORT values of every --listen style flag ("0.0.0.0:9402", ":8089", "[::]:443").
// Throws commander's InvalidArgumentError so a bad flag is reported as a usage error.
import { InvalidArgumentError } from 'commander';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new InvalidArgumentError(`"${text}" is not HOST:PORT (e.g. 0.0.0.0:8089)`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
