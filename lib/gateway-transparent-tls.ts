// Transparent TLS for Gateways, the counterpart of addTransparentTls (lib/transparent-tls.ts) for
// Ingresses: in a namespace where it applies, every HTTPS listener that has a hostname and no
// certificateRefs gets tls.certificateRefs [{name: "<gateway-name>-tls"}], and the Gateway gets the
// default issuer annotation, so the gateway-shim issues one certificate for those hostnames.
// Listeners with certificateRefs, without a hostname (no name to issue for) or in Passthrough mode
// and issuer annotations already there are never changed. Pure; the object may be untrusted.
import { IngressAnnotations, Labels, LabelValues } from '../api/constants.ts';
import { gatewayListeners } from './gateway-listeners.ts';
import {
  issuerAnnotation,
  NO_DEFAULT_ISSUER,
  secretNameFor,
  TRANSPARENT_TLS_OPT_OUT,
  type TransparentTlsIssuer,
  type TransparentTlsOutcome,
} from './transparent-tls.ts';
import { asArr, asObj, asStr, metaOf, type Obj } from './untrusted.ts';

export function addGatewayTransparentTls(gateway: unknown, issuer: TransparentTlsIssuer | { error: string } | undefined): TransparentTlsOutcome {
  const { labels, annotations } = metaOf(gateway);
  if (annotations[TRANSPARENT_TLS_OPT_OUT] === 'false' || labels[Labels.HTTP01Solver] === LabelValues.True) return { changed: false };
  const bare = gatewayListeners(gateway).filter((l) => l.protocol === 'HTTPS' && l.hostname && l.mode !== 'Passthrough' && l.certificateRefs.length === 0);
  if (bare.length === 0) return { changed: false };
  const name = asStr(asObj(asObj(gateway)?.metadata)?.name);
  if (!name) return { changed: false, reason: 'transparent TLS needs metadata.name to derive the Secret name; set a name instead of generateName' };
  if (issuer && 'error' in issuer) return { changed: false, reason: `transparent TLS skipped: ${issuer.error}` };
  const hasIssuer = annotations[IngressAnnotations.Issuer] || annotations[IngressAnnotations.ClusterIssuer];
  if (!issuer && !hasIssuer) return { changed: false, reason: NO_DEFAULT_ISSUER };

  const copy = structuredClone(gateway) as { metadata: Obj; spec: { listeners: Obj[] } };
  const secretName = secretNameFor(name);
  for (const l of bare) {
    const listener = asArr(copy.spec.listeners)[l.index] as Obj;
    listener.tls = { ...(asObj(listener.tls) ?? {}), mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: secretName }] };
  }
  const addedIssuer = hasIssuer ? undefined : issuer;
  if (addedIssuer) copy.metadata.annotations = { ...(asObj(copy.metadata.annotations) ?? {}), [issuerAnnotation(addedIssuer)]: addedIssuer.name };
  return { changed: true, object: copy, secretName, hosts: [...new Set(bare.map((l) => l.hostname!))], addedIssuer };
}
