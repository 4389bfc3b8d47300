// A bounded memo for pure functions of an immutable input (a certificate, a CSR, a Secret's data
// object): the values of the last `limit` keys asked for, the least recently asked forgotten first.
// Parsing X.509 and PKCS#10 with asn1js costs milliseconds, and several controllers read the same
// object on each of their passes; a memo per cached object instead (a WeakMap on it) would keep a
// parsed certificate and key (about 8 KiB of native memory) for every Secret the cache holds.
export class RecentValues<K, V> {
  private readonly values = new Map<K, V>();

  /**
   * storedKey: the key a value was remembered under (a string pool's value is its first copy of
   * the text): a hit keeps that copy as the key, not the caller's equal copy, which the entry would
   * otherwise hold on to beside its value.
   */
  constructor(
    private readonly limit: number,
    private readonly storedKey?: (value: V) => K,
  ) {}

  get size(): number {
    return this.values.size;
  }

  has(key: K): boolean {
    return this.values.has(key);
  }

  /** The value remembered for key, else compute(): remembered unless it throws. */
  get(key: K, compute: () => V): V {
    if (this.values.has(key)) {
      const known = this.values.get(key)!;
      // Asked again: it goes to the back of the line.
      this.values.delete(key);
      this.values.set(this.storedKey ? this.storedKey(known) : key, known);
      return known;
    }
    const value = compute();
    if (this.values.size >= this.limit) this.values.delete(this.values.keys().next().value!);
    this.values.set(key, value);
    return value;
  }
}
