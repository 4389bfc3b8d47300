// Which certificates a Gateway's listeners ask for, read the way cert-manager's gateway-shim reads
// them (pkg/controller/certificate-shim: handleGatewayAPIListeners, validateGatewayListenerBlock):
// listeners with protocol HTTPS or TLS and tls.mode Terminate give their hostname to every Secret
// in their tls.certificateRefs; one Certificate per Secret. A listener without a hostname, without
// tls or certificateRefs, with a reference that is not a core Secret or that points to another
// namespace is skipped whole, with the reason. Shared by the webhook's Gateway rules and the
// worker, so both agree on what a Gateway writes. Pure; the object may be untrusted.
import { asArr, asObj, asStr, metaOf } from './untrusted.ts';

/** Gateway annotation (cert-manager's): comma-separated listener names that get no certificate. */
export const IGNORE_TLS_LISTENERS_ANNOTATION = 'cert-manager.io/ignore-tls-listeners';

/** Listener protocols that carry TLS (Gateway API's TLS guide, as cert-manager checks). */
export const TLS_PROTOCOLS: ReadonlySet<string> = new Set(['HTTPS', 'TLS']);

export interface ListenerRef {
  /** index in spec.listeners */
  readonly index: number;
  readonly name: string;
  readonly protocol: string;
  readonly hostname?: string;
  readonly mode: string; // tls.mode, Terminate when unset (the CRD default)
  readonly certificateRefs: ReadonlyArray<{ index: number; group: string; kind: string; name: string; namespace?: string }>;
  readonly hasTls: boolean;
}

/** One Secret the gateway-shim would make a Certificate for, with the listener hostnames it covers. */
export interface GatewaySecretRequest {
  readonly secretName: string;
  readonly hostnames: string[]; // in listener order, without repeats
  readonly listeners: number[]; // indexes in spec.listeners
}

interface SkippedListener {
  readonly index: number;
  readonly name: string;
  /** field path of the first problem, e.g. spec.listeners[2].hostname */
  readonly field: string;
  readonly reason: string;
}

interface GatewayCertificatePlan {
  readonly secrets: GatewaySecretRequest[];
  readonly skipped: SkippedListener[];
}

/** The listeners of a Gateway, read defensively (a listener that is not an object is left out). */
export function gatewayListeners(gateway: unknown): ListenerRef[] {
  const out: ListenerRef[] = [];
  const listeners = asArr(asObj(asObj(gateway)?.spec)?.listeners);
  for (let index = 0; index < listeners.length; index++) {
    const l = asObj(listeners[index]);
    if (!l) continue;
    const tls = asObj(l.tls);
    const refs = asArr(tls?.certificateRefs).map((r, i) => {
      const o = asObj(r) ?? {};
      return { index: i, group: asStr(o.group) ?? '', kind: asStr(o.kind) ?? 'Secret', name: asStr(o.name) ?? '', namespace: asStr(o.namespace) || undefined };
    });
    out.push({
      index,
      name: asStr(l.name) ?? '',
      protocol: asStr(l.protocol) ?? '',
      hostname: asStr(l.hostname) || undefined,
      mode: asStr(tls?.mode) || 'Terminate',
      certificateRefs: refs,
      hasTls: tls !== undefined,
    });
  }
  return out;
}

/** Whether a certificateRef names a core Secret (group "" or "core", kind Secret or unset). */
export function isSecretRef(ref: { group: string; kind: string }): boolean {
  return (ref.group === '' || ref.group === 'core') && (ref.kind === 'Secret' || ref.kind === '');
}

/** Listeners a certificate is considered for: TLS protocols, not Passthrough, not ignored by annotation. */
export function certificateListeners(gateway: unknown): ListenerRef[] {
  const ignored = new Set(
    (metaOf(gateway).annotations[IGNORE_TLS_LISTENERS_ANNOTATION] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return gatewayListeners(gateway).filter((l) => TLS_PROTOCOLS.has(l.protocol) && l.mode !== 'Passthrough' && !ignored.has(l.name));
}

/** Why cert-manager's gateway-shim skips this listener, or undefined when it issues for it. */
export function listenerSkipReason(l: ListenerRef, gatewayNamespace: string): { field: string; reason: string } | undefined {
  const at = `spec.listeners[${l.index}]`;
  if (!l.hostname) return { field: `${at}.hostname`, reason: 'the listener has no hostname, and a certificate needs a name' };
  if (!l.hasTls) return { field: `${at}.tls`, reason: 'the listener has no tls block' };
  if (l.certificateRefs.length === 0) return { field: `${at}.tls.certificateRefs`, reason: 'the listener has no certificateRefs to store a certificate in' };
  for (const r of l.certificateRefs) {
    const field = `${at}.tls.certificateRefs[${r.index}]`;
    if (!r.name) return { field: `${field}.name`, reason: `certificateRefs[${r.index}] has no name` };
    if (!isSecretRef(r)) return { field, reason: `certificateRefs[${r.index}] is a ${r.group || 'core'}/${r.kind}, not a Secret` };
    if (r.namespace && r.namespace !== gatewayNamespace)
      return {
        field: `${field}.namespace`,
        reason: `certificateRefs[${r.index}] names a Secret in namespace "${r.namespace}", and certificates are only issued into the Gateway's own namespace`,
      };
  }
  if (l.mode !== 'Terminate') return { field: `${at}.tls.mode`, reason: `tls.mode is ${l.mode}, not Terminate` };
  return undefined;
}

/** The Certificates cert-manager's gateway-shim would make for this Gateway, and the listeners it skips. */
export function gatewayCertificatePlan(gateway: unknown): GatewayCertificatePlan {
  const namespace = metaOf(gateway).namespace;
  const bySecret = new Map<string, { secretName: string; hostnames: string[]; listeners: number[] }>();
  const skipped: SkippedListener[] = [];
  for (const l of certificateListeners(gateway)) {
    const skip = listenerSkipReason(l, namespace);
    if (skip) {
      skipped.push({ index: l.index, name: l.name, ...skip });
      continue;
    }
    for (const r of l.certificateRefs) {
      let entry = bySecret.get(r.name);
      if (!entry) bySecret.set(r.name, (entry = { secretName: r.name, hostnames: [], listeners: [] }));
      if (!entry.hostnames.includes(l.hostname!)) entry.hostnames.push(l.hostname!);
      if (!entry.listeners.includes(l.index)) entry.listeners.push(l.index);
    }
  }
  return { secrets: [...bySecret.values()], skipped };
}
