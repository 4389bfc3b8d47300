// One copy of each repeated string the caches hold. Every object a watch delivers is parsed into
// new strings, so the same text is held once per object that carries it: long ones (the CA
// certificate in the ca.crt of every Secret and the status.ca of every CertificateRequest it
// signed, a certificate in both its CertificateRequest's status.certificate and its Secret's
// tls.crt) and short ones (the namespace, apiVersion, kind, issuer name, condition types, reasons
// and messages of every object: JSON.parse shares property names, not values; about 40% of a
// cached CertificateRequest). The caches hand each object's strings to a pool of recently seen
// texts, which answers with the copy it already holds; the object's own copy is then garbage.
// Bounded memos (RecentValues), so the pool itself stays small: a value that recurs stays in it,
// one seen once (a uid, a resourceVersion) soon leaves.
import { RecentValues } from '../recent-values.ts';

/** From this length a string is "long": pooled apart, so short ones cannot push certificates out. */
const LONG_FROM = 256;
/**
 * A Secret's data (or stringData) values pooled: public certificates, repeated across Secrets. Any
 * other entry may be a private key under any name (an ACME account key's `privateKeySecretRef.key`,
 * an EAB MAC, a DNS provider's token): unique to its Secret, it must not outlive it in the pool.
 */
const POOLED_SECRET_DATA = new Set(['tls.crt', 'ca.crt']);
const SECRET_DATA_FIELDS = new Set(['data', 'stringData']);

export class StringPool {
  // text -> the first copy of it seen: asked again, the memo answers with that copy
  private readonly long: RecentValues<string, string>;
  private readonly short: RecentValues<string, string>;

  constructor(limit = 1024, shortLimit = 4096) {
    // Keyed by the pooled copy itself: a hit must not leave the pool holding the caller's copy too.
    this.long = new RecentValues(limit, (pooled) => pooled);
    this.short = new RecentValues(shortLimit, (pooled) => pooled);
  }

  get size(): number {
    return this.long.size + this.short.size;
  }

  has(text: string): boolean {
    return (text.length < LONG_FROM ? this.short : this.long).has(text);
  }

  /** The pooled copy of text (text itself the first time). */
  share(text: string): string {
    return (text.length < LONG_FROM ? this.short : this.long).get(text, () => text);
  }

  /** Replaces, in place, every string value of obj (at any depth) with its pooled copy; of a `data` map, only public certificates. */
  shareIn(obj: unknown, inSecretData = false): void {
    if (obj === null || typeof obj !== 'object') return;
    const record = obj as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (typeof value === 'string') {
        if (value.length > 0 && (!inSecretData || POOLED_SECRET_DATA.has(key))) record[key] = this.share(value);
      } else if (value !== null && typeof value === 'object') this.shareIn(value, !inSecretData && SECRET_DATA_FIELDS.has(key) && !Array.isArray(value));
    }
  }
}
