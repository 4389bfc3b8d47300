// One copy of each long string the caches hold. Every object a watch delivers is parsed into new
// strings, so the same text is held once per object that carries it: the CA certificate in the
// ca.crt of every Secret and the status.ca of every CertificateRequest it signed, a certificate in
// both its CertificateRequest's status.certificate and its Secret's tls.crt. The caches hand each
// object's long strings to one pool of recently seen texts, which answers with the copy it already
// holds; the object's own copy is then garbage. A bounded LRU, so the pool itself stays small.
const MIN_LENGTH = 256;

export class StringPool {
  private readonly texts = new Map<string, string>();

  constructor(private readonly limit = 1024) {}

  get size(): number {
    return this.texts.size;
  }

  has(text: string): boolean {
    return this.texts.has(text);
  }

  /** The pooled copy of text (text itself the first time, or when it is short). */
  share(text: string): string {
    if (text.length < MIN_LENGTH) return text;
    const known = this.texts.get(text);
    if (known !== undefined) {
      this.texts.delete(known);
      this.texts.set(known, known);
      return known;
    }
    if (this.texts.size >= this.limit) this.texts.delete(this.texts.keys().next().value!);
    this.texts.set(text, text);
    return text;
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
