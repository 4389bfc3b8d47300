// One pino root logger for every certgate process. Components take child loggers that carry
// their bindings (controller, namespace, name). Never pass private keys, key authorizations
// or Secret data to a logger: the redact list below is a last line of defence, not a licence.
import { pino, type Logger } from 'pino';

export type { Logger };

export const log: Logger = pino({
  name: 'certgate',
  level: process.env.CERTGATE_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  redact: {
    paths: ['*.privateKey', '*.tls\\.key', '*.data', '*.keyAuthorization', '*.key', 'secret.data', 'req.headers.authorization'],
    censor: '[redacted]',
  },
});

export function childLogger(bindings: Record<string, string | number | undefined>): Logger {
  return log.child(bindings);
}
