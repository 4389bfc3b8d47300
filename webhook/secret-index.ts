// Which objects write which Secret: Ingresses that ask for a certificate (tls[].secretName) and
// Certificates (spec.secretName), keyed by namespace/secret. Kept up to date from cache events so
// the secret-name-conflict rules are one map lookup, not a scan of every Ingress per request.
import type { KubernetesObject } from '@kubernetes/client-node';
import { asksForCertificate } from './rules/ingress.ts';
import { asArr, asObj, asStr, metaOf, specOf } from '../lib/untrusted.ts';

export interface SecretWriter {
  readonly kind: 'Ingress' | 'Certificate';
  readonly name: string;
  /** Names of the Ingresses that own this object (ingress-shim Certificates). */
  readonly ownerIngresses: ReadonlyArray<string>;
  /** metadata.creationTimestamp: of two Ingresses asking for one Secret, the older gets it (lib/secret-claims.ts). */
  readonly created?: string;
}

export function secretsWrittenBy(kind: SecretWriter['kind'], obj: unknown): string[] {
  const spec = specOf(obj);
  if (kind === 'Certificate') {
    const s = asStr(spec.secretName);
    return s ? [s] : [];
  }
  if (!asksForCertificate(metaOf(obj).annotations)) return [];
  return [...new Set(asArr(spec.tls).map((t) => asStr(asObj(t)?.secretName)).filter((s): s is string => !!s))];
}

export class SecretWriterIndex {
  private readonly bySecret = new Map<string, Map<string, SecretWriter>>();
  private readonly byObject = new Map<string, string[]>();

  constructor(private readonly kind: SecretWriter['kind']) {}

  upsert(obj: KubernetesObject): void {
    this.remove(obj);
    const meta = metaOf(obj);
    const objKey = `${meta.namespace}/${meta.name}`;
    const secrets = secretsWrittenBy(this.kind, obj).map((s) => `${meta.namespace}/${s}`);
    if (secrets.length === 0) return;
    const created = asStr(asObj(asObj(obj)?.metadata)?.creationTimestamp);
    const writer: SecretWriter = { kind: this.kind, name: meta.name, ownerIngresses: meta.ownerReferences.filter((o) => o.kind === 'Ingress' && o.name).map((o) => o.name!), created };
    for (const key of secrets) {
      let writers = this.bySecret.get(key);
      if (!writers) this.bySecret.set(key, (writers = new Map()));
      writers.set(objKey, writer);
    }
    this.byObject.set(objKey, secrets);
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
