// One index per family shared by every per-prefix table of the RIB (each
// peer's Adj-RIB-In and stale routes, the Loc-RIB, the originated set): a
// prefix key maps to a row once, and each table is a set of columns indexed
// by row. Importing a route then costs one hash probe for all of them,
// instead of one probe per table, and the tables hold 4 bytes per column per
// route instead of a hash table each. A row lives while any table holds it.
//
// Columns grow in fixed chunks that are never copied, so growing a table
// never holds two copies of it; only the index's own slots double.

import { IntStack } from "../../util/int-stack";
import { Afi } from "../codec/types";
import type { PrefixKey } from "./prefix-key";

export const CHUNK_SHIFT = 14;
const CHUNK = 1 << CHUNK_SHIFT;
export const CHUNK_MASK = CHUNK - 1;

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
    this.writable(row)[row & CHUNK_MASK] = value;
  }

  /** The chunk holding `row` (at `row & CHUNK_MASK`), allocated if need be: one lookup for a read and a write. */
  writable(row: number): Int32Array {
    const i = row >>> CHUNK_SHIFT;
    const c = i < this.chunks.length ? this.chunks[i]! : this.empty;
    return c === this.empty ? this.allocate(i) : c;
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
  /**
   * The chunk of holder counts that has `row` at `row & CHUNK_MASK`, for
   * tables that hold a run of rows: incrementing it there is `hold(row)`.
   */
  holdersChunk(row: number): Uint16Array;
  /** A table let go of `row` (whose key is `key`); the last one frees it. */
  drop(key: PrefixKey, row: number): void;
  /** Visits every (key, row). The callback must not add or free rows. */
  each(fn: (key: PrefixKey, row: number) => void): void;
  /**
   * A resumable walk over the keys, for readers that must not hold the event
   * loop for a whole table (show route): the index may change between calls.
   */
  scanKeys(): KeyScan;
}

/**
 * Keys of an index a few at a time. Every key held for the whole scan is
 * visited at least once (a key may come twice when the index reshaped between
 * calls: readers sort and drop repeats); keys added or removed meanwhile may
 * or may not be.
 */
export interface KeyScan {
  /** Hands up to about `max` keys to `take`; true once every key was visited. */
  next(max: number, take: (key: PrefixKey) => void): boolean;
}

/**
 * A uint16 per row, 0 where never written: half the memory of a Column, for
 * values known to stay small (holder counts, peer slots).
 */
export class SmallColumn {
  private readonly chunks: Uint16Array[] = [];

  get(row: number): number {
    const i = row >>> CHUNK_SHIFT;
    return i < this.chunks.length ? this.chunks[i]![row & CHUNK_MASK]! : 0;
  }

  /** Adds `delta` and returns the new value. */
  add(row: number, delta: number): number {
    const c = this.writable(row);
    const o = row & CHUNK_MASK;
    const v = c[o]! + delta;
    c[o] = v;
    return v;
  }

  /** The chunk holding `row` (at `row & CHUNK_MASK`). Rows are dense from 0, so every chunk below is needed too. */
  writable(row: number): Uint16Array {
    const i = row >>> CHUNK_SHIFT;
    while (this.chunks.length <= i) this.chunks.push(new Uint16Array(CHUNK));
    return this.chunks[i]!;
  }
}

/** Peers a RIB may hold: their slots and the holder counts of rows stay within a SmallColumn. */
export const MAX_PEERS = 32_000;

/**
 * Row numbers and their holder counts (how many tables hold each row), shared
 * by both index kinds. A row is held by the Loc-RIB, the originated set and
 * at most two tables per peer (Adj-RIB-In and stale routes), so MAX_PEERS
 * keeps a count within a SmallColumn.
 */
class Rows {
  readonly refs = new SmallColumn();
  private readonly free = new IntStack();
  private next = 0;

  take(): number {
    return this.free.size > 0 ? this.free.pop() : this.next++;
  }

  release(row: number): void {
    this.free.push(row);
  }
}

const MIN_CAPACITY = 16;
/** Marks a free directory slot (a real entry is block * 64 + length, never negative). */
const FREE = -1;
/** A block covers 16 consecutive prefixes of one length: 64 bytes, one cache line. */
const BLOCK_SHIFT = 4;
const BLOCK = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCK - 1;
/** How often one key scan starts over because the directory reshaped. */
const MAX_SCAN_RESTARTS = 8;
/** Block numbers must leave 6 bits for the prefix length inside an int32. */
const MAX_BLOCKS = 1 << 25;

function hash(high: number, length: number): number {
  let h = Math.imul(high ^ Math.imul(length + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The prefix's number among prefixes of its length (the address's top `length` bits). */
function prefixNumber(address: number, length: number): number {
  return length === 0 ? 0 : address >>> (32 - length);
}

/**
 * IPv4: a two-level radix index. A prefix of length L is the number n of its
 * top L bits (keys never carry host bits: the decoders and the configuration
 * clear or reject them); prefixes of one length whose n differ only in the
 * low 4 bits share a block of 16 slots holding row + 1 (0: none), and a small
 * open-addressed directory maps (n >> 4, L) to the block. A full table
 * arrives in address order, so consecutive prefixes fall into the same block
 * (the last block found is remembered, which skips the directory) and their
 * rows into consecutive cells: the hot path touches memory in sequence
 * instead of one cache miss per prefix into a large hash table. Blocks live
 * in never-copied chunks; only the directory (one entry per 16 dense
 * prefixes) doubles as it grows.
 */
export class NumIndex implements PrefixIndex {
  private dirHigh = new Int32Array(MIN_CAPACITY);
  private dirTag = new Int32Array(MIN_CAPACITY).fill(FREE);
  private dirMask = MIN_CAPACITY - 1;
  private dirCount = 0;
  /** row + 1 per block cell, 0 where no prefix. */
  private readonly cells = new Column(0);
  private readonly freeBlocks: number[] = [];
  private nextBlock = 0;
  private lastHigh = -1;
  private lastLength = -1;
  private lastBlock = -1;
  private count = 0;
  private readonly r = new Rows();
  /** Bumped whenever directory entries move (growth, deletion's backward shift): a scan starts over. */
  private reshapes = 0;

  get size(): number {
    return this.count;
  }

  find(k: PrefixKey): number {
    const key = k as number;
    // Not key % 64: on a double that is a call into the C library, here it is two instructions.
    const address = Math.floor(key / 64);
    const length = key - address * 64;
    const n = prefixNumber(address >>> 0, length);
    const block = this.blockOf(n >>> BLOCK_SHIFT, length);
    if (block < 0) return -1;
    return this.cells.get(block * BLOCK + (n & BLOCK_MASK)) - 1;
  }

  rowOf(k: PrefixKey): number {
    const key = k as number;
    // Not key % 64: on a double that is a call into the C library, here it is two instructions.
    const address = Math.floor(key / 64);
    const cell = this.cellOf(address >>> 0, key - address * 64);
    return this.rowIn(this.cells.writable(cell), cell & CHUNK_MASK);
  }

  /**
   * rowOf for each of `count` prefixes (addresses as int32, host bits clear),
   * into `rows`. A run's prefixes mostly share blocks and cell chunks, so the
   * chunk is looked up once per chunk rather than once per prefix.
   */
  rowsOf(addresses: Int32Array, lengths: Uint8Array, count: number, rows: Int32Array): void {
    let chunk = -1;
    let cells: Int32Array | undefined;
    for (let i = 0; i < count; i++) {
      const cell = this.cellOf(addresses[i]! >>> 0, lengths[i]!);
      if (cell >>> CHUNK_SHIFT !== chunk || cells === undefined) {
        chunk = cell >>> CHUNK_SHIFT;
        cells = this.cells.writable(cell);
      }
      rows[i] = this.rowIn(cells, cell & CHUNK_MASK);
    }
  }

  /** The cell of the prefix (address, length), its block added when new. */
  private cellOf(address: number, length: number): number {
    const n = prefixNumber(address, length);
    const high = n >>> BLOCK_SHIFT;
    let block = this.blockOf(high, length);
    if (block < 0) block = this.addBlock(high, length);
    return block * BLOCK + (n & BLOCK_MASK);
  }

  /** The row in cell `o` of a cells chunk, a new one (not yet held) when the cell is empty. */
  private rowIn(cells: Int32Array, o: number): number {
    const v = cells[o]!;
    if (v > 0) return v - 1;
    const row = this.r.take();
    cells[o] = row + 1;
    this.count++;
    return row;
  }

  hold(row: number): void {
    this.r.refs.add(row, 1);
  }

  holdersChunk(row: number): Uint16Array {
    return this.r.refs.writable(row);
  }

  drop(k: PrefixKey, row: number): void {
    if (this.r.refs.add(row, -1) > 0) return;
    const key = k as number;
    // Not key % 64: on a double that is a call into the C library, here it is two instructions.
    const address = Math.floor(key / 64);
    const length = key - address * 64;
    const n = prefixNumber(address >>> 0, length);
    const high = n >>> BLOCK_SHIFT;
    const block = this.blockOf(high, length);
    if (block < 0) return;
    const base = block * BLOCK;
    this.cells.set(base + (n & BLOCK_MASK), 0);
    this.count--;
    this.r.release(row);
    for (let i = 0; i < BLOCK; i++) if (this.cells.get(base + i) !== 0) return;
    this.removeBlock(high, length, block);
  }

  each(fn: (key: PrefixKey, row: number) => void): void {
    const high = this.dirHigh;
    const tagged = this.dirTag;
    for (let d = 0; d < tagged.length; d++) {
      const t = tagged[d]!;
      if (t === FREE) continue;
      const length = t & 63;
      const base = (t >>> 6) * BLOCK;
      const first = high[d]! * BLOCK;
      for (let i = 0; i < BLOCK; i++) {
        const v = this.cells.get(base + i);
        if (v === 0) continue;
        const address = length === 0 ? 0 : ((first + i) << (32 - length)) >>> 0;
        fn(address * 64 + length, v - 1);
      }
    }
  }

  scanKeys(): KeyScan {
    let slot = 0;
    let shape = this.reshapes;
    let restarts = 0;
    return {
      next: (max, take) => {
        if (shape !== this.reshapes) {
          shape = this.reshapes;
          // Entries moved: start over (repeats are dropped by the reader), a
          // few times at most, so constant churn cannot keep a scan from ending.
          if (restarts++ < MAX_SCAN_RESTARTS) slot = 0;
        }
        const tagged = this.dirTag;
        const high = this.dirHigh;
        let taken = 0;
        while (slot < tagged.length && taken < max) {
          const t = tagged[slot]!;
          const first = high[slot]! * BLOCK;
          slot++;
          if (t === FREE) continue;
          const length = t & 63;
          const base = (t >>> 6) * BLOCK;
          for (let i = 0; i < BLOCK; i++) {
            if (this.cells.get(base + i) === 0) continue;
            const address = length === 0 ? 0 : ((first + i) << (32 - length)) >>> 0;
            take(address * 64 + length);
            taken++;
          }
        }
        return slot >= tagged.length;
      },
    };
  }

  /** The block of (high, length), or -1. */
  private blockOf(high: number, length: number): number {
    if (high === this.lastHigh && length === this.lastLength) return this.lastBlock;
    const dirHigh = this.dirHigh;
    const tagged = this.dirTag;
    const mask = this.dirMask;
    let i = hash(high, length) & mask;
    for (;;) {
      const t = tagged[i]!;
      if (t === FREE) return -1;
      if (dirHigh[i] === high && (t & 63) === length) {
        this.lastHigh = high;
        this.lastLength = length;
        this.lastBlock = t >>> 6;
        return this.lastBlock;
      }
      i = (i + 1) & mask;
    }
  }

  private addBlock(high: number, length: number): number {
    const block = this.freeBlocks.pop() ?? this.nextBlock++;
    if (block >= MAX_BLOCKS) throw new Error("IPv4 prefix index full");
    if ((this.dirCount + 1) * 2 > this.dirTag.length) this.grow();
    const mask = this.dirMask;
    let i = hash(high, length) & mask;
    while (this.dirTag[i] !== FREE) i = (i + 1) & mask;
    this.dirHigh[i] = high;
    this.dirTag[i] = block * 64 + length;
    this.dirCount++;
    this.lastHigh = high;
    this.lastLength = length;
    this.lastBlock = block;
    return block;
  }

  /** Takes an empty block out of the directory (backward-shift deletion) and frees it. */
  private removeBlock(high: number, length: number, block: number): void {
    const dirHigh = this.dirHigh;
    const tagged = this.dirTag;
    const mask = this.dirMask;
    const tag = block * 64 + length;
    let i = hash(high, length) & mask;
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
      const home = hash(dirHigh[j]!, t & 63) & mask;
      // Move slot j back to i unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      dirHigh[i] = dirHigh[j]!;
      tagged[i] = t;
      i = j;
    }
    tagged[i] = FREE;
    this.dirCount--;
    this.reshapes++;
    this.freeBlocks.push(block);
    if (this.lastBlock === block) {
      this.lastHigh = -1;
      this.lastLength = -1;
      this.lastBlock = -1;
    }
  }

  private grow(): void {
    const oldHigh = this.dirHigh;
    const oldTagged = this.dirTag;
    const cap = oldTagged.length * 2;
    const dirHigh = new Int32Array(cap);
    const tagged = new Int32Array(cap).fill(FREE);
    const mask = cap - 1;
    for (let o = 0; o < oldTagged.length; o++) {
      const t = oldTagged[o]!;
      if (t === FREE) continue;
      const h = oldHigh[o]!;
      let i = hash(h, t & 63) & mask;
      while (tagged[i] !== FREE) i = (i + 1) & mask;
      dirHigh[i] = h;
      tagged[i] = t;
    }
    this.dirHigh = dirHigh;
    this.dirTag = tagged;
    this.dirMask = mask;
    this.reshapes++;
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

  holdersChunk(row: number): Uint16Array {
    return this.r.refs.writable(row);
  }

  drop(key: PrefixKey, row: number): void {
    if (this.r.refs.add(row, -1) > 0) return;
    this.map.delete(key as string);
    this.r.release(row);
  }

  each(fn: (key: PrefixKey, row: number) => void): void {
    for (const [k, row] of this.map) fn(k, row);
  }

  scanKeys(): KeyScan {
    // A Map iterator is live: it resumes where it was, skipping deleted keys.
    const keys = this.map.keys();
    return {
      next: (max, take) => {
        for (let i = 0; i < max; i++) {
          const r = keys.next();
          if (r.done) return true;
          take(r.value);
        }
        return false;
      },
    };
  }
}

export function newPrefixIndex(afi: Afi): PrefixIndex {
  return afi === Afi.IPv4 ? new NumIndex() : new StringIndex();
}
