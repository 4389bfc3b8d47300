// A bounded memo for pure functions of an immutable input (a certificate, a CSR): the values of
// the last `limit` keys, the oldest forgotten first. Parsing X.509 and PKCS#10 with asn1js costs
// milliseconds, and several controllers read the same object on each of their passes.
export class RecentValues<K, V> {
  private readonly values = new Map<K, V>();

  constructor(private readonly limit: number) {}

  /** The value remembered for key, else compute(): remembered unless it throws. */
  get(key: K, compute: () => V): V {
    if (this.values.has(key)) return this.values.get(key)!;
    const value = compute();
    if (this.values.size >= this.limit) this.values.delete(this.values.keys().next().value!);
    this.values.set(key, value);
    return value;
  }
}
