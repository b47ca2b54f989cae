// An open-addressing hash table from non-negative integer keys (exact doubles
// below 2^53, such as IPv4 prefix keys) to two int32 values. Keys and values
// live in typed arrays, so a million routes are three flat arrays instead of
// a million Map entries with boxed heap numbers; inserts allocate nothing
// except when the table doubles.
const EMPTY = -1;
const MIN_CAPACITY = 16;

function hash(key: number): number {
  // Mixes both halves of the double's integer value; Math.imul keeps it in int32.
  const lo = key >>> 0;
  const hi = (key / 4294967296) >>> 0;
  let h = Math.imul(lo ^ (hi * 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class NumMap {
  private keys: Float64Array;
  private vals: Int32Array;
  private auxs: Int32Array;
  private mask: number;
  private count = 0;
  /** The aux value the last `set` replaced (-1 when the key was new), so callers need no second lookup. */
  prevAux = -1;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Int32Array(cap);
    this.auxs = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Slot index of `key`, or -1. */
  private find(key: number): number {
    const keys = this.keys;
    let i = hash(key) & this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) return i;
      if (k === EMPTY) return -1;
      i = (i + 1) & this.mask;
    }
  }

  has(key: number): boolean {
    return this.find(key) >= 0;
  }

  /** The value for `key`, or -1 when absent (values are expected to be >= 0). */
  get(key: number): number {
    const i = this.find(key);
    return i < 0 ? -1 : this.vals[i]!;
  }

  /** The second value for `key`, or -1 when absent. */
  aux(key: number): number {
    const i = this.find(key);
    return i < 0 ? -1 : this.auxs[i]!;
  }

  /** Sets both values; returns the previous value or -1 if the key was new. */
  set(key: number, val: number, aux = 0): number {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    let i = hash(key) & this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key) {
        const prev = this.vals[i]!;
        this.prevAux = this.auxs[i]!;
        this.vals[i] = val;
        this.auxs[i] = aux;
        return prev;
      }
      if (k === EMPTY) {
        this.prevAux = -1;
        keys[i] = key;
        this.vals[i] = val;
        this.auxs[i] = aux;
        this.count++;
        return -1;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** Removes `key`; returns its value or -1 if absent. Backward-shift deletion keeps probes short without tombstones. */
  delete(key: number): number {
    let i = this.find(key);
    if (i < 0) return -1;
    const prev = this.vals[i]!;
    const keys = this.keys;
    const mask = this.mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j]!;
      if (k === EMPTY) break;
      const home = hash(k) & mask;
      // Move k back to i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      keys[i] = k;
      this.vals[i] = this.vals[j]!;
      this.auxs[i] = this.auxs[j]!;
      i = j;
    }
    keys[i] = EMPTY;
    this.count--;
    return prev;
  }

  clear(): void {
    this.keys = new Float64Array(MIN_CAPACITY).fill(EMPTY);
    this.vals = new Int32Array(MIN_CAPACITY);
    this.auxs = new Int32Array(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.count = 0;
  }

  /** Visits every entry. The callback must not insert or delete. */
  each(fn: (key: number, val: number, aux: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== EMPTY) fn(k, this.vals[i]!, this.auxs[i]!);
    }
  }

  /** A snapshot of the keys (safe to mutate the table while walking it). */
  keyList(): number[] {
    const out: number[] = [];
    this.each((k) => out.push(k));
    return out;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const oldAux = this.auxs;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap).fill(EMPTY);
    this.vals = new Int32Array(cap);
    this.auxs = new Int32Array(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k !== EMPTY) this.set(k, oldVals[i]!, oldAux[i]!);
    }
  }
}
