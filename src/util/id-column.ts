// Per-row ids (small non-negative numbers, or -1 for none) in the narrowest
// typed array that holds every id stored so far: one byte per row while the
// ids stay below 255, two below 65535, four beyond. The kernel layer keeps
// two such columns per route (the next-hop set wanted, the shape installed),
// and a node's routes share a handful of next hops: at a million routes one
// byte per row instead of four saves 6 MB, and the width is widened, once,
// only when an id needs it.

import { freeNow, grownTo } from "./typed-arrays";

type Cells = Uint8Array | Uint16Array | Int32Array;

export class IdColumn {
  /** id + 1 per row; 0 is none. */
  private cells: Cells;

  constructor(capacity: number) {
    this.cells = new Uint8Array(capacity);
  }

  get capacity(): number {
    return this.cells.length;
  }

  /** Bytes per row now (1, 2 or 4). */
  get width(): number {
    return this.cells.BYTES_PER_ELEMENT;
  }

  /** The id at `row`, or -1. */
  get(row: number): number {
    return this.cells[row]! - 1;
  }

  /** Stores `id` (-1: none) at `row`. */
  set(row: number, id: number): void {
    const v = id + 1;
    if (v > 255 && v > this.max()) this.widen(v);
    this.cells[row] = v;
  }

  /** Makes room for rows up to `capacity` - 1, new rows none. */
  grow(capacity: number): void {
    if (capacity <= this.cells.length) return;
    this.cells = grownTo(this.cells, capacity);
  }

  private max(): number {
    const w = this.cells.BYTES_PER_ELEMENT;
    return w === 1 ? 0xff : w === 2 ? 0xffff : 0x7fffffff;
  }

  private widen(v: number): void {
    if (v > 0x7fffffff) throw new RangeError(`id ${v - 1} out of range`);
    const from = this.cells;
    const to = v > 0xffff ? new Int32Array(from.length) : new Uint16Array(from.length);
    to.set(from);
    this.cells = to;
    freeNow(from);
  }
}
