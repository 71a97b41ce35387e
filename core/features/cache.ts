/**
 * Values built once per configuration (FFT tables, windows, filter banks) and shared by every call
 * with that configuration; filled lazily. A process uses a few configurations, so `limit` only
 * bounds a caller that tries many: past it the entry built longest ago is dropped.
 */
export class ConfigCache<V> {
  readonly #built = new Map<string, V>();

  constructor(readonly limit = 16) {}

  get(key: string, build: () => V): V {
    let value = this.#built.get(key);
    if (value === undefined) {
      value = build();
      if (this.#built.size >= this.limit) this.#built.delete(this.#built.keys().next().value!);
      this.#built.set(key, value);
    }
    return value;
  }

  get size(): number {
    return this.#built.size;
  }
}
