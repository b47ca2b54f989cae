// NLRI prefix lists (RFC 4271 section 4.3, RFC 4760 section 5): a length
// in bits, then just enough bytes. This walker is the ingestion hot path,
// so it does one small allocation per prefix and no string work.
import type { ByteWriter } from "./bytes";
import { BgpError, ErrorCode } from "./errors";
import { Afi, type Prefix } from "./types";

/**
 * Appends the prefixes in buf[start, end) to `out`. Host bits beyond the
 * length are cleared so equal prefixes are byte-equal. Throws BgpError
 * (session reset, RFC 7606 section 5.3) with `subcode` on a bad length or
 * a prefix that overruns the field.
 */
export function decodePrefixes(
  buf: Uint8Array,
  start: number,
  end: number,
  afi: Afi,
  out: Prefix[],
  subcode: number,
  where: string,
): void {
  const size = afi === Afi.IPv4 ? 4 : 16;
  const maxBits = size * 8;
  let p = start;
  while (p < end) {
    const length = buf[p++]!;
    const bytes = (length + 7) >> 3;
    if (length > maxBits || p + bytes > end) {
      throw new BgpError(
        ErrorCode.UpdateMessage,
        subcode,
        length > maxBits ? `${where}: prefix length ${length}` : `${where}: prefix overruns the field`,
      );
    }
    const address = new Uint8Array(size);
    for (let i = 0; i < bytes; i++) address[i] = buf[p + i]!;
    const rem = length & 7;
    if (rem !== 0) address[bytes - 1]! &= 0xff << (8 - rem);
    out.push({ afi, length, address });
    p += bytes;
  }
}

export function prefixWireSize(p: Prefix): number {
  return 1 + ((p.length + 7) >> 3);
}

export function encodePrefixes(w: ByteWriter, prefixes: readonly Prefix[], afi: Afi, where: string): void {
  const maxBits = afi === Afi.IPv4 ? 32 : 128;
  let size = 0;
  for (const p of prefixes) {
    if (p.afi !== afi || !(p.length >= 0 && p.length <= maxBits)) {
      throw new RangeError(`${where}: prefix of AFI ${p.afi}/${p.length} does not belong here`);
    }
    size += 1 + ((p.length + 7) >> 3);
  }
  // One capacity check, then plain indexed stores: this is the bulk-send path.
  const at = w.skip(size);
  const buf = w.buf;
  let q = at;
  for (const p of prefixes) {
    const bytes = (p.length + 7) >> 3;
    buf[q++] = p.length;
    const a = p.address;
    for (let i = 0; i < bytes; i++) buf[q++] = a[i]!;
    const rem = p.length & 7;
    // Keep host bits out of the wire even if the caller left some set.
    if (rem !== 0) buf[q - 1]! &= 0xff << (8 - rem);
  }
}
