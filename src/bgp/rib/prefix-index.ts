// One index per family shared by every per-prefix table of the RIB (each
// peer's Adj-RIB-In and stale routes, the Loc-RIB, the originated set): a
// prefix key maps to a row once, and each table is a set of columns indexed
// by row. Importing a route then costs one hash probe for all of them,
// instead of one probe per table, and the tables hold 4 bytes per column per
// route instead of a hash table each. A row lives while any table holds it.
//
// Columns grow in fixed chunks that are never copied, so growing a table
// never holds two copies of it; only the index's own slots double.
import { Afi } from "../codec/types";
import type { PrefixKey } from "./prefix-key";

const CHUNK_SHIFT = 14;
const CHUNK = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK - 1;

/** Read-only chunks standing for "not allocated yet", one per fill value. */
const emptyChunks = new Map<number, Int32Array>();

/** An int32 per row, `fill` where never written; chunks are allocated on first write. */
export class Column {
  private readonly chunks: Int32Array[] = [];
  private readonly empty: Int32Array;

  constructor(private readonly fill: number) {
    let e = emptyChunks.get(fill);
    if (e === undefined) {
      e = new Int32Array(CHUNK).fill(fill);
      emptyChunks.set(fill, e);
    }
    this.empty = e;
  }

  get(row: number): number {
    const i = row >>> CHUNK_SHIFT;
    const chunks = this.chunks;
    return i < chunks.length ? chunks[i]![row & CHUNK_MASK]! : this.fill;
  }

  set(row: number, value: number): void {
    const i = row >>> CHUNK_SHIFT;
    let c = i < this.chunks.length ? this.chunks[i]! : this.empty;
    if (c === this.empty) c = this.allocate(i);
    c[row & CHUNK_MASK] = value;
  }

  /** Adds `delta` and returns the new value. */
  add(row: number, delta: number): number {
    const v = this.get(row) + delta;
    this.set(row, v);
    return v;
  }

  private allocate(i: number): Int32Array {
    while (this.chunks.length <= i) this.chunks.push(this.empty);
    const c = new Int32Array(CHUNK);
    if (this.fill !== 0) c.fill(this.fill);
    this.chunks[i] = c;
    return c;
  }
}

export interface PrefixIndex {
  /** Prefixes with a row (held by at least one table). */
  readonly size: number;
  /** The row of `key`, or -1. */
  find(key: PrefixKey): number;
  /** The row of `key`, created when new: the caller must `hold` it at once. */
  rowOf(key: PrefixKey): number;
  /** One more table holds `row`. */
  hold(row: number): void;
  /** A table let go of `row` (whose key is `key`); the last one frees it. */
  drop(key: PrefixKey, row: number): void;
  /** Visits every (key, row). The callback must not add or free rows. */
  each(fn: (key: PrefixKey, row: number) => void): void;
}

/** Row numbers and their holder counts, shared by both index kinds. */
class Rows {
  readonly refs = new Column(0);
  private readonly free: number[] = [];
  private next = 0;

  take(): number {
    return this.free.pop() ?? this.next++;
  }

  release(row: number): void {
    this.free.push(row);
  }
}

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

/** IPv4: open addressing over numeric keys (linear probing, backward-shift deletion). */
class NumIndex implements PrefixIndex {
  private keys = new Float64Array(MIN_CAPACITY).fill(EMPTY);
  private rows = new Int32Array(MIN_CAPACITY);
  private mask = MIN_CAPACITY - 1;
  private count = 0;
  private readonly r = new Rows();

  get size(): number {
    return this.count;
  }

  find(k: PrefixKey): number {
    const key = k as number;
    const keys = this.keys;
    let i = hash(key) & this.mask;
    for (;;) {
      const s = keys[i]!;
      if (s === key) return this.rows[i]!;
      if (s === EMPTY) return -1;
      i = (i + 1) & this.mask;
    }
  }

  rowOf(k: PrefixKey): number {
    const key = k as number;
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    let i = hash(key) & this.mask;
    for (;;) {
      const s = keys[i]!;
      if (s === key) return this.rows[i]!;
      if (s === EMPTY) break;
      i = (i + 1) & this.mask;
    }
    const row = this.r.take();
    keys[i] = key;
    this.rows[i] = row;
    this.count++;
    return row;
  }

  hold(row: number): void {
    this.r.refs.add(row, 1);
  }

  drop(k: PrefixKey, row: number): void {
    if (this.r.refs.add(row, -1) > 0) return;
    this.remove(k as number);
    this.r.release(row);
  }

  private remove(key: number): void {
    const keys = this.keys;
    const mask = this.mask;
    let i = hash(key) & mask;
    for (;;) {
      const s = keys[i]!;
      if (s === key) break;
      if (s === EMPTY) return;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const s = keys[j]!;
      if (s === EMPTY) break;
      const home = hash(s) & mask;
      // Move s back to i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      keys[i] = s;
      this.rows[i] = this.rows[j]!;
      i = j;
    }
    keys[i] = EMPTY;
    this.count--;
  }

  each(fn: (key: PrefixKey, row: number) => void): void {
    const keys = this.keys;
    const rows = this.rows;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (k !== EMPTY) fn(k, rows[i]!);
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldRows = this.rows;
    const cap = oldKeys.length * 2;
    const keys = new Float64Array(cap).fill(EMPTY);
    const rows = new Int32Array(cap);
    const mask = cap - 1;
    for (let o = 0; o < oldKeys.length; o++) {
      const k = oldKeys[o]!;
      if (k === EMPTY) continue;
      let i = hash(k) & mask;
      while (keys[i] !== EMPTY) i = (i + 1) & mask;
      keys[i] = k;
      rows[i] = oldRows[o]!;
    }
    this.keys = keys;
    this.rows = rows;
    this.mask = mask;
  }
}

/** IPv6: string keys in a Map (IPv6 tables are small next to IPv4's). */
class StringIndex implements PrefixIndex {
  private readonly map = new Map<string, number>();
  private readonly r = new Rows();

  get size(): number {
    return this.map.size;
  }

  find(key: PrefixKey): number {
    return this.map.get(key as string) ?? -1;
  }

  rowOf(key: PrefixKey): number {
    let row = this.map.get(key as string);
    if (row === undefined) {
      row = this.r.take();
      this.map.set(key as string, row);
    }
    return row;
  }

  hold(row: number): void {
    this.r.refs.add(row, 1);
  }

  drop(key: PrefixKey, row: number): void {
    if (this.r.refs.add(row, -1) > 0) return;
    this.map.delete(key as string);
    this.r.release(row);
  }

  each(fn: (key: PrefixKey, row: number) => void): void {
    for (const [k, row] of this.map) fn(k, row);
  }
}

export function newPrefixIndex(afi: Afi): PrefixIndex {
  return afi === Afi.IPv4 ? new NumIndex() : new StringIndex();
}
