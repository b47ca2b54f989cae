// Splits a TCP byte stream into whole BGP messages. Chunks may hold a
// fraction of a message or many messages; frames come back as views that
// stay valid after later pushes (the buffer is never rewritten in place,
// only replaced), so the hot path does no per-message copy.
import { checkHeader } from "./header";
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH } from "./types";

const MIN_BUFFER = 64 * 1024;

export class MessageFramer {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  constructor(private maxLength: number = MAX_MESSAGE_LENGTH) {}

  /** Raise to 65535 once Extended Message (RFC 8654) is negotiated. */
  setMaxLength(n: number): void {
    this.maxLength = n;
  }

  /** Bytes received but not yet returned as a frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.end + chunk.length > this.buf.length) {
      const pending = this.end - this.start;
      const next = new Uint8Array(Math.max(MIN_BUFFER, (pending + chunk.length) * 2));
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.start = 0;
      this.end = pending;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The next complete message (header included), or null if more bytes are needed. */
  next(): Uint8Array | null {
    if (this.end - this.start < HEADER_LENGTH) return null;
    const length = checkHeader(this.buf, this.start, this.maxLength);
    if (this.end - this.start < length) return null;
    const frame = this.buf.subarray(this.start, this.start + length);
    this.start += length;
    return frame;
  }
}
