// The latency run's prefixes: one new IPv4 /32 per UPDATE, counted up from
// 21.0.0.0 (clear of the lab's 10.77.0.0/24 and of bench/ingest's 20/8).
import type { Prefix } from "../../src/bgp/codec/types";
import { ipv4Prefix } from "../../src/bgp/prefix";

export const FIRST_ADDRESS = 21 << 24;
/** Room for this many distinct /32s. */
export const MAX_PREFIXES = 1 << 24;

export function latencyPrefix(i: number): Prefix {
  return ipv4Prefix(FIRST_ADDRESS + i, 32);
}

/** The index of a /32 in the run, or -1 if it is not one of ours. */
export function prefixIndex(length: number, address: Uint8Array): number {
  if (length !== 32 || address.length !== 4) return -1;
  const a = ((address[0]! << 24) | (address[1]! << 16) | (address[2]! << 8) | address[3]!) >>> 0;
  const i = a - FIRST_ADDRESS;
  return i >= 0 && i < MAX_PREFIXES ? i : -1;
}
