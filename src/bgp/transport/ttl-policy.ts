// Which TTL options a BGP session needs, from the peer's configuration.
// RFC 5082 (GTSM): send with 255 and accept only TTL >= 256 - hops.
// Without GTSM: eBGP defaults to TTL 1 (directly connected), multihop raises it.

export interface TtlOptions {
  ttl: number;
  minTtl?: number;
}

export function ttlOptions(peer: { ebgp: boolean; multihop?: number; ttlSecurity?: number }): TtlOptions {
  if (peer.ttlSecurity !== undefined) {
    if (!Number.isInteger(peer.ttlSecurity) || peer.ttlSecurity < 1 || peer.ttlSecurity > 254) {
      throw new Error(`ttl security hops must be 1..254, got ${peer.ttlSecurity}`);
    }
    return { ttl: 255, minTtl: 256 - peer.ttlSecurity };
  }
  if (peer.multihop !== undefined) return { ttl: peer.multihop };
  return { ttl: peer.ebgp ? 1 : 255 };
}
