// Growing a typed array by copying leaves the old one to the garbage
// collector, which V8 runs as its heap grows, not as array-buffer memory
// does: at a million routes the kernel layer's last doubling left about 8 MB
// of old arrays resident for a while in some runs and not in others (peak RSS
// 91 or 98 MB). ArrayBuffer.prototype.transfer (ES2024; in Node 20 behind
// --harmony-rab-gsab-transfer, which AGENT_NODE_FLAGS passes) moves the
// contents into a buffer of the new length and frees the old memory at once.
// Without the flag (a test runner, a plain `node`): a copy, as before.
//
// After either call the old array must not be used: with transfer it is
// detached (length 0).

type Growable = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

interface TransferableBuffer {
  transfer?(newByteLength?: number): ArrayBuffer;
}

function transferOf(a: Growable): ((newByteLength?: number) => ArrayBuffer) | undefined {
  const b = a.buffer as TransferableBuffer;
  // Only a view of its whole buffer may take the buffer along.
  if (typeof b.transfer !== "function" || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength)
    return undefined;
  return b.transfer.bind(b);
}

/** `a` with room for `length` elements (new ones zero), its old memory freed at once where possible. */
export function grownTo<T extends Growable>(a: T, length: number): T {
  const ctor = a.constructor as new (arg: number | ArrayBuffer) => T;
  const transfer = transferOf(a);
  if (transfer) return new ctor(transfer(length * a.BYTES_PER_ELEMENT));
  const b = new ctor(length);
  b.set(a as ArrayLike<number> & T);
  return b;
}

/** Lets go of `a`'s memory now where possible (else at the next collection); `a` must not be used again. */
export function freeNow(a: Growable): void {
  transferOf(a)?.(0);
}
