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

/** An UPDATE frame from raw hex parts; lengths are computed. */
export function updateFrame(parts: { withdrawn?: string; attrs?: string; nlri?: string }): Uint8Array {
  const w = hex(parts.withdrawn ?? "");
  const a = hex(parts.attrs ?? "");
  const n = hex(parts.nlri ?? "");
  const body = new Uint8Array(4 + w.length + a.length + n.length);
  body[0] = w.length >> 8;
  body[1] = w.length & 0xff;
  body.set(w, 2);
  body[2 + w.length] = a.length >> 8;
  body[3 + w.length] = a.length & 0xff;
  body.set(a, 4 + w.length);
  body.set(n, 4 + w.length + a.length);
  return frame(2, Buffer.from(body).toString("hex"));
}

/** ORIGIN IGP, AS_PATH [65001] (4-octet), NEXT_HOP 10.0.0.1: a valid base for IPv4 NLRI. */
export const BASE_ATTRS_4 = "400101 00" + "400206 0201 0000fde9" + "400304 0a000001";
export const BASE_ATTRS_2 = "400101 00" + "400204 0201 fde9" + "400304 0a000001";
