/**
 * A memo whose keys are chosen by the client (tool names, URIs): bounded in characters, not only
 * in entries, so a few hundred distinct multi-megabyte keys cannot grow the guard until it dies.
 * Long keys are not kept at all (recomputing for them is cheap next to receiving them); when the
 * budget is spent the memo starts over, which costs one recomputation per key.
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  private chars = 0;

  constructor(
    private readonly maxEntries = 4096,
    private readonly maxKeyChars = 1024,
    private readonly maxTotalChars = 1 << 20,
  ) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Remembers `value` for `key` unless the key is too long to keep; returns `value`. */
  set(key: string, value: V): V {
    if (key.length > this.maxKeyChars) return value;
    if (this.map.has(key)) {
      this.map.set(key, value);
      return value;
    }
    if (this.map.size >= this.maxEntries || this.chars + key.length > this.maxTotalChars) {
      this.map.clear();
      this.chars = 0;
    }
    this.map.set(key, value);
    this.chars += key.length;
    return value;
  }

  get size(): number {
    return this.map.size;
  }

  /** UTF-16 code units held in keys (each at most two bytes). */
  get keyChars(): number {
    return this.chars;
  }
}
