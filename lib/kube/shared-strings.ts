// One copy of each long string the caches hold. Every object a watch delivers is parsed into new
// strings, so the same text is held once per object that carries it: the CA certificate in the
// ca.crt of every Secret and the status.ca of every CertificateRequest it signed, a certificate in
// both its CertificateRequest's status.certificate and its Secret's tls.crt. The caches hand each
// object's long strings to one pool of recently seen texts, which answers with the copy it already
// holds; the object's own copy is then garbage. A bounded memo (RecentValues), so the pool itself stays small.
import { RecentValues } from '../recent-values.ts';

const MIN_LENGTH = 256;

export class StringPool {
  // text -> the first copy of it seen: asked again, the memo answers with that copy
  private readonly texts: RecentValues<string, string>;

  constructor(limit = 1024) {
    this.texts = new RecentValues(limit);
  }

  get size(): number {
    return this.texts.size;
  }

  has(text: string): boolean {
    return this.texts.has(text);
  }

  /** The pooled copy of text (text itself the first time, or when it is short). */
  share(text: string): string {
    return text.length < MIN_LENGTH ? text : this.texts.get(text, () => text);
  }

  /** Replaces, in place, every long string value of obj (at any depth) with its pooled copy. */
  shareIn(obj: unknown): void {
    if (obj === null || typeof obj !== 'object') return;
    const record = obj as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (typeof value === 'string') {
        if (value.length >= MIN_LENGTH) record[key] = this.share(value);
      } else if (value !== null && typeof value === 'object') this.shareIn(value);
    }
  }
}
