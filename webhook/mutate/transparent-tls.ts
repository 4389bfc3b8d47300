// Transparent TLS at admission. The decision lives in lib/transparent-tls.ts, shared with the
// worker's ingress shim (which applies it to Ingresses that existed before, or got past the
// webhook while it was down); this module keeps the webhook's import path.
export {
  addTransparentTls,
  DEFAULT_ISSUER_ANNOTATION,
  defaultIssuerFor,
  secretNameFor,
  TRANSPARENT_TLS_OPT_OUT,
  transparentTlsApplies,
  type TransparentTlsOutcome,
} from '../../lib/transparent-tls.ts';
