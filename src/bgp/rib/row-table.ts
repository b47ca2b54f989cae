// A KeyTable (prefix key -> value, aux) kept as two columns over a shared
// PrefixIndex: the RIB's hot path finds a prefix's row once and then reads
// and writes every table by row (getRow/setRow/deleteRow); everything else
// goes through the key-based KeyTable methods.
import type { KeyTable } from "./key-table";
import { CHUNK_MASK, CHUNK_SHIFT, Column, type PrefixIndex, SmallColumn } from "./prefix-index";
import type { PrefixKey } from "./prefix-key";

export class RowTable implements KeyTable {
  /**
   * value + 1, 0 where this table has no entry (values are >= 0): a fresh
   * chunk is already all "no entry", so allocating one needs no fill pass.
   * The aux column is only read where a value is present.
   */
  private vals = new Column(0);
  private auxs: Column | SmallColumn;
  private count = 0;
  prevAux = -1;

  /** `smallAux`: aux values stay below 65,536 (peer slots), kept as uint16. */
  constructor(
    readonly index: PrefixIndex,
    private readonly smallAux = false,
  ) {
    this.auxs = smallAux ? new SmallColumn() : new Column(0);
  }

  get size(): number {
    return this.count;
  }

  get(key: PrefixKey): number {
    const row = this.index.find(key);
    return row < 0 ? -1 : this.vals.get(row) - 1;
  }

  aux(key: PrefixKey): number {
    const row = this.index.find(key);
    return row < 0 || this.vals.get(row) === 0 ? -1 : this.auxs.get(row);
  }

  set(key: PrefixKey, val: number, aux = 0): number {
    return this.setRow(this.index.rowOf(key), val, aux);
  }

  delete(key: PrefixKey): number {
    const row = this.index.find(key);
    return row < 0 ? -1 : this.deleteRow(key, row);
  }

  getRow(row: number): number {
    return this.vals.get(row) - 1;
  }

  /** The aux of `row`; meaningful only where getRow finds a value. */
  auxRow(row: number): number {
    return this.auxs.get(row);
  }

  /** Like set, for a row from the index (`rowOf` or `find`); returns the previous value or -1. */
  setRow(row: number, val: number, aux: number): number {
    const o = row & CHUNK_MASK;
    const vals = this.vals.writable(row);
    const auxs = this.auxs.writable(row);
    const prev = vals[o]! - 1;
    if (prev < 0) {
      this.index.hold(row);
      this.count++;
      this.prevAux = -1;
    } else this.prevAux = auxs[o]!;
    vals[o] = val + 1;
    auxs[o] = aux;
    return prev;
  }

  /**
   * setRow(rows[i], val, aux) for i below `count`, with each previous value
   * (or -1) in prevs[i] and, when asked, the previous aux in prevAuxs[i]
   * (meaningful where there was a value). Negative rows are skipped. A run's
   * rows mostly share a chunk, so each column's chunk is looked up once per
   * chunk rather than once per row.
   */
  setRun(
    rows: Int32Array,
    count: number,
    val: number,
    aux: number,
    prevs: Int32Array,
    prevAuxs?: Int32Array,
  ): void {
    const stored = val + 1;
    let chunk = -1;
    let vals: Int32Array | undefined;
    let auxs: Int32Array | Uint16Array | undefined;
    let holders: Uint16Array | undefined;
    let added = 0;
    for (let i = 0; i < count; i++) {
      const row = rows[i]!;
      if (row < 0) continue;
      if (
        row >>> CHUNK_SHIFT !== chunk ||
        vals === undefined ||
        auxs === undefined ||
        holders === undefined
      ) {
        chunk = row >>> CHUNK_SHIFT;
        vals = this.vals.writable(row);
        auxs = this.auxs.writable(row);
        holders = this.index.holdersChunk(row);
      }
      const o = row & CHUNK_MASK;
      const prev = vals[o]! - 1;
      if (prev < 0) {
        holders[o]!++;
        added++;
      }
      if (prevAuxs !== undefined) prevAuxs[i] = auxs[o]!;
      vals[o] = stored;
      auxs[o] = aux;
      prevs[i] = prev;
    }
    this.count += added;
  }

  /** Like delete, for the row of `key`; returns the removed value or -1. */
  deleteRow(key: PrefixKey, row: number): number {
    const prev = this.vals.get(row) - 1;
    if (prev < 0) return -1;
    this.vals.set(row, 0);
    this.count--;
    this.index.drop(key, row);
    return prev;
  }

  /** Visits every entry. The callback must not change this or any other table on the same index. */
  each(fn: (key: PrefixKey, val: number, aux: number) => void): void {
    if (this.count === 0) return;
    this.index.each((key, row) => {
      const v = this.vals.get(row) - 1;
      if (v >= 0) fn(key, v, this.auxs.get(row));
    });
  }

  /** The keys held, without taking them out: a Float64Array for numeric keys (no million-entry JS array). */
  heldKeys(): ArrayLike<PrefixKey> {
    const n = this.count;
    if (n === 0) return [];
    let numbers: Float64Array | undefined;
    let strings: string[] | undefined;
    let i = 0;
    this.index.each((key, row) => {
      if (this.vals.get(row) === 0) return;
      if (typeof key === "number") {
        numbers ??= new Float64Array(n);
        numbers[i++] = key;
      } else {
        strings ??= [];
        strings[i++] = key;
      }
    });
    return numbers ?? strings ?? [];
  }

  keyList(): PrefixKey[] {
    const out: PrefixKey[] = [];
    this.each((k) => out.push(k));
    return out;
  }

  /** Empties the table, letting go of its rows. */
  clear(): void {
    if (this.count === 0) return;
    const keys: PrefixKey[] = [];
    const rows: number[] = [];
    this.index.each((key, row) => {
      if (this.vals.get(row) !== 0) {
        keys.push(key);
        rows.push(row);
      }
    });
    for (let i = 0; i < keys.length; i++) this.deleteRow(keys[i]!, rows[i]!);
    // Every cell is empty again: fresh columns give the chunks back.
    this.vals = new Column(0);
    this.auxs = this.smallAux ? new SmallColumn() : new Column(0);
  }
}
