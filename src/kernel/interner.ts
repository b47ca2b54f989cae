// Numbered values by content key: many prefixes share one next-hop set, so a
// prefix holds a small number instead of its own array. Reference counts free
// a number (and its key) once no prefix holds it; freed numbers are reused.
export class Interner<T> {
  private readonly ids = new Map<string, number>();
  private readonly values: (T | undefined)[] = [];
  private readonly keys: string[] = [];
  private readonly refs: number[] = [];
  private readonly free: number[] = [];

  /** The number of the value with `key`, made from `make()` when new (it starts with no references). */
  intern(key: string, make: () => T): number {
    const found = this.ids.get(key);
    if (found !== undefined) return found;
    const id = this.free.pop() ?? this.values.length;
    this.values[id] = make();
    this.keys[id] = key;
    this.refs[id] = 0;
    this.ids.set(key, id);
    return id;
  }

  get(id: number): T {
    const v = this.values[id];
    if (v === undefined) throw new Error(`interned value ${id} is not held`);
    return v;
  }

  ref(id: number): void {
    this.refs[id]!++;
  }

  /** Drops one reference; the value goes with the last one. */
  unref(id: number): void {
    if (--this.refs[id]! > 0) return;
    this.drop(id);
  }

  /** Frees a value interned but never referenced (a lookup that came to nothing). */
  dropIfUnused(id: number): void {
    if (this.refs[id] === 0) this.drop(id);
  }

  private drop(id: number): void {
    this.ids.delete(this.keys[id]!);
    this.values[id] = undefined;
    this.keys[id] = "";
    this.free.push(id);
  }

  /** Every live value with its number. */
  *entries(): IterableIterator<[number, T]> {
    for (let id = 0; id < this.values.length; id++) {
      const v = this.values[id];
      if (v !== undefined) yield [id, v];
    }
  }
}
