// RFC 4271 section 6.8 connection collision resolution, as a pure decision.
import { ipv4ToBytes } from "../codec/address";

export interface CollisionCandidate {
  /** True when we initiated the connection. */
  outgoing: boolean;
  /** Creation order: larger is newer. */
  id: number;
}

export interface Speaker {
  routerId: string;
  asn: number;
}

export function routerIdNumber(id: string): number {
  const b = ipv4ToBytes(id);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/**
 * The connection to keep: the one initiated by the side with the higher BGP
 * identifier, compared as unsigned 32-bit numbers. Equal identifiers (legal
 * between eBGP peers, RFC 6286 section 2.3) fall back to the larger AS. Two
 * connections in the same direction: the newer one wins, as the peer has
 * evidently given up on the older.
 */
export function collisionWinner<T extends CollisionCandidate>(a: T, b: T, local: Speaker, peer: Speaker): T {
  if (a.outgoing === b.outgoing) return a.id > b.id ? a : b;
  const ours = a.outgoing ? a : b;
  const theirs = a.outgoing ? b : a;
  const localId = routerIdNumber(local.routerId);
  const peerId = routerIdNumber(peer.routerId);
  if (localId === peerId) return local.asn > peer.asn ? ours : theirs;
  return localId > peerId ? ours : theirs;
}
