// Real ACME and DNS services for tests and the demo. See stack.ts for the usual entry point.
export { startAcmeStack, type AcmeStack, type AcmeStackOptions } from './stack.ts';
export { startBind, type BindServer, type BindOptions, type TsigKey } from './bind.ts';
export { startPebble, httpsGet, newEabMacKey, pebbleBinary, PEBBLE_PROFILES, type PebbleServer, type PebbleOptions, type PebbleVersion } from './pebble.ts';
export { freePort } from './ports.ts';
export { mintServerTls, type ServerTls } from './pki.ts';
