// A stack of int32 values in never-copied chunks, for free lists of row
// numbers: a peer with a million routes going down frees a million rows, which
// as a JS array grew to 25 MB of large-object space (8-byte elements, copied
// at each growth), and as one doubling Int32Array costs a full copy at each
// power of two.
const SHIFT = 14;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

export class IntStack {
  private readonly chunks: Int32Array[] = [];
  size = 0;

  push(value: number): void {
    const c = this.size >>> SHIFT;
    if (c === this.chunks.length) this.chunks.push(new Int32Array(CHUNK));
    this.chunks[c]![this.size & MASK] = value;
    this.size++;
  }

  /** The last value pushed; the stack must not be empty. */
  pop(): number {
    this.size--;
    const value = this.chunks[this.size >>> SHIFT]![this.size & MASK]!;
    // Keep one spare chunk past the top so a push/pop at a boundary does not allocate each time.
    if (this.chunks.length > (this.size >>> SHIFT) + 2) this.chunks.pop();
    return value;
  }
}
