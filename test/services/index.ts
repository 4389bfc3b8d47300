// Real ACME and DNS services for tests and the demo. See stack.ts for the usual entry point.
export { startAcmeStack, type AcmeStack, type AcmeStackOptions } from './stack.ts';
export { startBind, type BindServer } from './bind.ts';
export { startPebble, httpsGet, newEabMacKey } from './pebble.ts';
export { freePort } from './ports.ts';
export { mintServerTls } from './pki.ts';
