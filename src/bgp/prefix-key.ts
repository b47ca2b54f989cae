// Numeric prefix keys, so the RIB never holds a Prefix object per route.
// IPv4: address * 64 + length, an exact integer below 2^38 (a double, not a
// string). IPv6: a 17-character string (16 address bytes, then the length)
// for now; it is a primitive Map key at least.
import { Afi, type Prefix } from "./codec/types";
import { formatPrefix, ipv4Prefix } from "./prefix";

export type PrefixKey = number | string;

export function ipv4Key(address: number, length: number): number {
  return address * 64 + length;
}

export function ipv4KeyAddress(key: number): number {
  return Math.floor(key / 64);
}

export function ipv4KeyLength(key: number): number {
  return key % 64;
}

export function ipv6Key(bytes: Uint8Array, length: number): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += String.fromCharCode(bytes[i] ?? 0);
  return s + String.fromCharCode(length);
}

export function prefixKey(p: Prefix): PrefixKey {
  if (p.afi === Afi.IPv4) {
    const a = p.address;
    return ipv4Key(((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0, p.length);
  }
  return ipv6Key(p.address, p.length);
}

export function keyPrefix(afi: Afi, key: PrefixKey): Prefix {
  if (afi === Afi.IPv4) {
    const k = key as number;
    return ipv4Prefix(ipv4KeyAddress(k), ipv4KeyLength(k));
  }
  const s = key as string;
  const address = new Uint8Array(16);
  for (let i = 0; i < 16; i++) address[i] = s.charCodeAt(i);
  return { afi, length: s.charCodeAt(16), address };
}

export function formatKey(afi: Afi, key: PrefixKey): string {
  return formatPrefix(keyPrefix(afi, key));
}

/** Prefix length of a key of either family. */
export function keyLength(afi: Afi, key: PrefixKey): number {
  return afi === Afi.IPv4 ? ipv4KeyLength(key as number) : (key as string).charCodeAt(16);
}
