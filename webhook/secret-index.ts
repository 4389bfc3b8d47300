// Which objects write which Secret: Ingresses and Gateways that ask for a certificate
// (tls[].secretName, listeners' tls.certificateRefs) and Certificates (spec.secretName), keyed by
// namespace/secret, with the names each one's certificate covers. Kept up to date from cache
// events so the secret-name-conflict rules are one map lookup, not a scan of every Ingress per request.
import type { KubernetesObject } from '@kubernetes/client-node';
import { asksForCertificate } from './rules/issuer-annotations.ts';
import { gatewayCertificatePlan } from '../lib/gateway-listeners.ts';
import { asArr, asObj, asStr, asStrings, metaOf, specOf } from '../lib/untrusted.ts';

export interface SecretWriter {
  readonly kind: 'Ingress' | 'Certificate' | 'Gateway';
  readonly name: string;
  /** Names of the Ingresses that own this object (ingress-shim Certificates). */
  readonly ownerIngresses: ReadonlyArray<string>;
  /** Names of the Gateways that own this object (gateway-shim Certificates). */
  readonly ownerGateways: ReadonlyArray<string>;
  /** metadata.creationTimestamp: of two Ingresses asking for one Secret, the older gets it (lib/secret-claims.ts). */
  readonly created?: string;
  /** The DNS names of the certificate it puts in this Secret (a Certificate's commonName and dnsNames). */
  readonly names: ReadonlyArray<string>;
}

/** The Secrets an object writes, each with the DNS names its certificate covers. */
function secretsWrittenBy(kind: SecretWriter['kind'], obj: unknown): Array<{ secretName: string; names: string[] }> {
  const spec = specOf(obj);
  if (kind === 'Certificate') {
    const s = asStr(spec.secretName);
    const cn = asStr(spec.commonName);
    const dnsNames = asStrings(spec.dnsNames);
    return s ? [{ secretName: s, names: cn && !dnsNames.includes(cn) ? [cn, ...dnsNames] : dnsNames }] : [];
  }
  if (!asksForCertificate(metaOf(obj).annotations)) return [];
  if (kind === 'Gateway') return gatewayCertificatePlan(obj).secrets.map((s) => ({ secretName: s.secretName, names: s.hostnames }));
  const bySecret = new Map<string, string[]>();
  for (const t of asArr(spec.tls)) {
    const secretName = asStr(asObj(t)?.secretName);
    if (!secretName) continue;
    let names = bySecret.get(secretName);
    if (!names) bySecret.set(secretName, (names = []));
    for (const h of asStrings(asObj(t)?.hosts)) names.push(h);
  }
  return [...bySecret].map(([secretName, names]) => ({ secretName, names }));
}

export class SecretWriterIndex {
  private readonly bySecret = new Map<string, Map<string, SecretWriter>>();
  private readonly byObject = new Map<string, string[]>();

  constructor(private readonly kind: SecretWriter['kind']) {}

  upsert(obj: KubernetesObject): void {
    this.remove(obj);
    const meta = metaOf(obj);
    const objKey = `${meta.namespace}/${meta.name}`;
    const written = secretsWrittenBy(this.kind, obj);
    if (written.length === 0) return;
    const created = asStr(asObj(asObj(obj)?.metadata)?.creationTimestamp);
    const owners = (kind: string) => meta.ownerReferences.filter((o) => o.kind === kind && o.name).map((o) => o.name!);
    const base = { kind: this.kind, name: meta.name, ownerIngresses: owners('Ingress'), ownerGateways: owners('Gateway'), created };
    const keys: string[] = [];
    for (const { secretName, names } of written) {
      const key = `${meta.namespace}/${secretName}`;
      let writers = this.bySecret.get(key);
      if (!writers) this.bySecret.set(key, (writers = new Map()));
      writers.set(objKey, { ...base, names });
      keys.push(key);
    }
    this.byObject.set(objKey, keys);
  }

  remove(obj: KubernetesObject): void {
    const meta = metaOf(obj);
    const objKey = `${meta.namespace}/${meta.name}`;
    for (const key of this.byObject.get(objKey) ?? []) {
      const writers = this.bySecret.get(key);
      writers?.delete(objKey);
      if (writers?.size === 0) this.bySecret.delete(key);
    }
    this.byObject.delete(objKey);
  }

  writers(namespace: string, secretName: string): SecretWriter[] {
    const found = this.bySecret.get(`${namespace}/${secretName}`);
    return found ? [...found.values()] : []; // a new Secret name, the usual case, allocates no iterator
  }
}
