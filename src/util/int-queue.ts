// A first-in first-out queue of int32 values in fixed chunks, each let go
// once read: its memory follows the backlog, not the most ever queued, and it
// never copies. The kernel layer queues every route it has to write; during a
// million-route ingest the queue as one doubling Int32Array held 4 MB (6 MB
// while it doubled) for the whole run.
const SHIFT = 14;
const CHUNK = 1 << SHIFT;

export class IntQueue {
  /** chunks[0] holds the head; the tail is in the last chunk. */
  private readonly chunks: Int32Array[] = [new Int32Array(CHUNK)];
  /** One emptied chunk kept for the next one needed, so a queue hovering at a boundary does not allocate. */
  private spare: Int32Array | undefined;
  private head = 0;
  private tailChunkFill = 0;
  size = 0;

  push(value: number): void {
    if (this.tailChunkFill === CHUNK) {
      this.chunks.push(this.spare ?? new Int32Array(CHUNK));
      this.spare = undefined;
      this.tailChunkFill = 0;
    }
    this.chunks[this.chunks.length - 1]![this.tailChunkFill++] = value;
    this.size++;
  }

  /** The oldest value, taken out; the queue must not be empty. */
  shift(): number {
    const value = this.chunks[0]![this.head++]!;
    this.size--;
    if (this.size === 0) {
      this.clear();
    } else if (this.head === CHUNK) {
      this.spare = this.chunks.shift();
      this.head = 0;
    }
    return value;
  }

  clear(): void {
    this.chunks.length = 1;
    this.head = 0;
    this.tailChunkFill = 0;
    this.size = 0;
  }
}
