// Buffers for chunks of a long reply, reused once a chunk is written out. A
// dump that took a fresh buffer per chunk would allocate tens of megabytes of
// ArrayBuffers, which V8 counts as external memory and answers with
// collections of the whole heap every few dozen milliseconds (measured on the
// agent at 1,000,000 routes): each a pause of the event loop.

/** Most buffers kept: what a socket holds in flight (about 1 MiB), and a few more. */
const DEFAULT_MAX_SPARE = 8;

export class SpareBuffers {
  private readonly spare: Buffer[] = [];

  constructor(private readonly maxSpare = DEFAULT_MAX_SPARE) {}

  /** A buffer of at least `size` bytes: a spare one, or a new one with an ArrayBuffer of its own. */
  take(size: number): Buffer {
    const b = this.spare.pop();
    return b !== undefined && b.length >= size ? b : Buffer.allocUnsafeSlow(size);
  }

  /**
   * Gives back the buffer `chunk` starts (a subarray from the start of a
   * buffer from take()) once nothing reads the chunk any more.
   */
  give(chunk: Buffer): void {
    if (chunk.byteOffset !== 0 || this.spare.length >= this.maxSpare) return;
    this.spare.push(Buffer.from(chunk.buffer, 0, chunk.buffer.byteLength));
  }
}
