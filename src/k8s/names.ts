// Protocol names and router IDs derived from Kubernetes object names. They
// must be stable across restarts and relists (a renamed peer is a new session)
// and valid for the config file's PEER_NAME rule, so `flatroutec show
// protocols` reads the same whichever source a peer came from.
import { createHash } from "node:crypto";

/** src/config/schema.ts caps peer names at 64 characters. */
export const MAX_PEER_NAME = 64;

/**
 * The protocol name of the session with node `nodeName` ("node-2.rack1" ->
 * "node-2_rack1", IPv6 session "node-2_rack1_v6").
 *
 * Node names are DNS subdomains (lowercase letters, digits, "-", "."), so
 * "_" never occurs in one: mapping "." to "_", the "n_" prefix and the "_v6"
 * suffix cannot make two valid node names meet. Names too long are cut and
 * given a hash suffix with an uppercase "H", which no lowercase node name can
 * produce, so a cut name never equals an uncut one either. translate.ts still
 * reports any collision (objects that bypassed API validation, or a node and
 * a BGPPeer sharing a name).
 */
export function peerNameForNode(nodeName: string, family: "ipv4" | "ipv6"): string {
  return protocolName(nodeName, "n_", family === "ipv6" ? "_v6" : "");
}

/** The protocol name of a BGPPeer with a peerAddress (BGPPeer names are DNS subdomains too). */
export function peerNameForResource(name: string): string {
  return protocolName(name, "p_", "");
}

function protocolName(name: string, digitPrefix: string, suffix: string): string {
  let base = name.replace(/[^A-Za-z0-9_-]/g, "_");
  if (base === "" || /^[0-9]/.test(base)) base = digitPrefix + base;
  if (base.length + suffix.length <= MAX_PEER_NAME) return base + suffix;
  // 40 bits of SHA-256: two long names sharing their first ~50 characters
  // collide with odds of about 1 in 10^12 per pair.
  const hash = `_H${createHash("sha256").update(name).digest("hex").slice(0, 10).toUpperCase()}`;
  return base.slice(0, MAX_PEER_NAME - hash.length - suffix.length) + hash + suffix;
}

/**
 * A router ID for a node with no IPv4 address: the FNV-1a 32-bit hash of its
 * name as a dotted quad, never 0.0.0.0 (RFC 6286 forbids it; 0.0.0.1 stands
 * in). Stable across restarts, so the node's sessions survive an agent
 * restart unchanged.
 *
 * Router IDs must differ between iBGP speakers. With n IPv6-only nodes the
 * odds that two of them get the same ID are about n² / 2³³ (birthday bound):
 * 1.2e-6 for 100 nodes, 1.2e-4 for 1,000, 0.3% for 5,000. Where that matters,
 * set the router-id annotation.
 */
export function derivedRouterId(nodeName: string): string {
  let h = fnv1a32(new TextEncoder().encode(nodeName));
  if (h === 0) h = 1;
  return `${h >>> 24}.${(h >>> 16) & 0xff}.${(h >>> 8) & 0xff}.${h & 0xff}`;
}

/** FNV-1a, 32-bit (offset basis 2166136261, prime 16777619). */
export function fnv1a32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
