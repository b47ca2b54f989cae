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

const MIN_CAPACITY = 16;
/** Marks a free slot in NumIndex's `tagged` array (a real entry is row * 64 + length, never negative). */
const FREE = -1;
/** Row numbers must leave 6 bits for the prefix length inside an int32. */
const MAX_V4_ROWS = 1 << 25;

function hash(address: number, length: number): number {
  let h = Math.imul(address ^ Math.imul(length + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * IPv4: open addressing (linear probing, backward-shift deletion) over two
 * int32 arrays, the address and row * 64 + length: 8 bytes a slot, and no
 * floating-point key on the probe path.
 */
class NumIndex implements PrefixIndex {
  private addrs = new Int32Array(MIN_CAPACITY);
  private tagged = new Int32Array(MIN_CAPACITY).fill(FREE);
  private mask = MIN_CAPACITY - 1;
  private count = 0;
  private readonly r = new Rows();

  get size(): number {
    return this.count;
  }

  find(k: PrefixKey): number {
    const key = k as number;
    const length = key % 64;
    const address = ((key - length) / 64) | 0;
    const addrs = this.addrs;
    const tagged = this.tagged;
    let i = hash(address, length) & this.mask;
    for (;;) {
      const t = tagged[i]!;
      if (t === FREE) return -1;
      if (addrs[i] === address && (t & 63) === length) return t >>> 6;
      i = (i + 1) & this.mask;
    }
  }

  rowOf(k: PrefixKey): number {
    const key = k as number;
    const length = key % 64;
    const address = ((key - length) / 64) | 0;
    if ((this.count + 1) * 2 > this.tagged.length) this.grow();
    const addrs = this.addrs;
    const tagged = this.tagged;
    let i = hash(address, length) & this.mask;
    for (;;) {
      const t = tagged[i]!;
      if (t === FREE) break;
      if (addrs[i] === address && (t & 63) === length) return t >>> 6;
      i = (i + 1) & this.mask;
    }
    const row = this.r.take();
    if (row >= MAX_V4_ROWS) throw new Error("IPv4 prefix index full");
    addrs[i] = address;
    tagged[i] = row * 64 + length;
    this.count++;
    return row;
  }

  hold(row: number): void {
    this.r.refs.add(row, 1);
  }

  drop(k: PrefixKey, row: number): void {
    if (this.r.refs.add(row, -1) > 0) return;
    const key = k as number;
    const length = key % 64;
    this.remove(((key - length) / 64) | 0, length, row * 64 + length);
    this.r.release(row);
  }

  private remove(address: number, length: number, tag: number): void {
    const addrs = this.addrs;
    const tagged = this.tagged;
    const mask = this.mask;
    let i = hash(address, length) & mask;
    for (;;) {
      const t = tagged[i]!;
      if (t === tag) break;
      if (t === FREE) return;
      i = (i + 1) & mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const t = tagged[j]!;
      if (t === FREE) break;
      const home = hash(addrs[j]!, t & 63) & mask;
      // Move slot j back to i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      addrs[i] = addrs[j]!;
      tagged[i] = t;
      i = j;
    }
    tagged[i] = FREE;
    this.count--;
  }

  each(fn: (key: PrefixKey, row: number) => void): void {
    const addrs = this.addrs;
    const tagged = this.tagged;
    for (let i = 0; i < tagged.length; i++) {
      const t = tagged[i]!;
      if (t !== FREE) fn((addrs[i]! >>> 0) * 64 + (t & 63), t >>> 6);
    }
  }

  private grow(): void {
    const oldAddrs = this.addrs;
    const oldTagged = this.tagged;
    const cap = oldTagged.length * 2;
    const addrs = new Int32Array(cap);
    const tagged = new Int32Array(cap).fill(FREE);
    const mask = cap - 1;
    for (let o = 0; o < oldTagged.length; o++) {
      const t = oldTagged[o]!;
      if (t === FREE) continue;
      const a = oldAddrs[o]!;
      let i = hash(a, t & 63) & mask;
      while (tagged[i] !== FREE) i = (i + 1) & mask;
      addrs[i] = a;
      tagged[i] = t;
    }
    this.addrs = addrs;
    this.tagged = tagged;
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
