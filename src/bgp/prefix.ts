// Text <-> wire form of prefixes and addresses. Used at the edges (config,
// CLI, logs); hot paths keep the byte form. Address syntax itself is the
// codec's (codec/address.ts), so there is one parser and one RFC 5952 printer.
import { isIP } from "node:net";
import { formatIPv4, formatIPv6, ipv4ToBytes, ipv6ToBytes } from "./codec/address";
import { Afi, type Prefix } from "./codec/types";

export function parseAddress(text: string): Uint8Array {
  const kind = isIP(text);
  if (kind === 4) return ipv4ToBytes(text);
  if (kind === 6) return ipv6ToBytes(text);
  throw new Error(`invalid IP address "${text}"`);
}

/**
 * Whether an address already known to be well formed (from a socket, the
 * interface list, our own config model) is IPv6: its family shows in the
 * text. Not a validator; node:net's isIPv6 runs a large regex, compiled on
 * first use in about 8 ms.
 */
export function isIpv6Text(address: string): boolean {
  return address.includes(":");
}

export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIPv4(bytes);
  if (bytes.length === 16) return formatIPv6(bytes);
  throw new Error(`address of ${bytes.length} bytes`);
}

/** The IPv4 prefix of `address` (an unsigned 32-bit integer, host bits clear) and `length`. */
export function ipv4Prefix(address: number, length: number): Prefix {
  const a = address >>> 0;
  return {
    afi: Afi.IPv4,
    length,
    address: Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff),
  };
}

/** Parses "10.244.1.0/24" or "fd00::/64"; rejects host bits set, so typos do not silently widen. */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf("/");
  if (slash < 0) throw new Error(`invalid prefix "${text}": missing /length`);
  const address = parseAddress(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  const length = Number(lenText);
  const max = address.length * 8;
  if (!/^\d+$/.test(lenText) || length > max)
    throw new Error(`invalid prefix "${text}": length must be 0..${max}`);
  const masked = maskAddress(address, length);
  if (!bytesEqual(masked, address)) {
    throw new Error(
      `invalid prefix "${text}": host bits set (did you mean ${formatPrefix({ afi: afiOf(address), length, address: masked })}?)`,
    );
  }
  return { afi: afiOf(address), length, address };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.address)}/${p.length}`;
}

export function afiOf(address: Uint8Array): Afi {
  return address.length === 4 ? Afi.IPv4 : Afi.IPv6;
}

export function maskAddress(address: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(address.length);
  const full = length >> 3;
  out.set(address.subarray(0, full));
  const rem = length & 7;
  if (rem && full < address.length) out[full] = address[full]! & (0xff << (8 - rem));
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function prefixEquals(a: Prefix, b: Prefix): boolean {
  return a.afi === b.afi && a.length === b.length && bytesEqual(a.address, b.address);
}
