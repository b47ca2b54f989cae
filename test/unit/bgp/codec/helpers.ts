// Byte helpers for the codec tests.
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex "${text}"`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
}

export const MARKER = "ff".repeat(16);

/** A full message from a type and a hex body, with the length field computed. */
export function frame(type: number, bodyHex = ""): Uint8Array {
  const body = hex(bodyHex);
  const out = new Uint8Array(19 + body.length);
  out.fill(0xff, 0, 16);
  out[16] = out.length >> 8;
  out[17] = out.length & 0xff;
  out[18] = type;
  out.set(body, 19);
  return out;
}
