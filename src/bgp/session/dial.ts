// Socket options a peer's connections need, from its configuration: what
// connectTcp gets for an outgoing connection, and the TTLs put on an
// accepted one. The transport does the actual setsockopt work.
import type { Socket } from "node:net";
import type { PeerConfig } from "../config";
import type { ConnectOptions } from "../transport/connect";
import { setMinTtl, setTtl } from "../transport/socket-options";
import { type TtlOptions, ttlOptions } from "../transport/ttl-policy";

export function peerTtl(localAsn: number, peer: PeerConfig): TtlOptions {
  return ttlOptions({
    ebgp: peer.asn !== localAsn,
    ...(peer.multihop !== undefined ? { multihop: peer.multihop } : {}),
    ...(peer.ttlSecurity !== undefined ? { ttlSecurity: peer.ttlSecurity } : {}),
  });
}

export function connectOptions(localAsn: number, peer: PeerConfig, timeoutMs: number): ConnectOptions {
  const ttl = peerTtl(localAsn, peer);
  return {
    remoteAddress: peer.address,
    remotePort: peer.port,
    timeoutMs,
    ttl: ttl.ttl,
    ...(ttl.minTtl !== undefined ? { minTtl: ttl.minTtl } : {}),
    ...(peer.localAddress !== undefined ? { localAddress: peer.localAddress } : {}),
    ...(peer.password !== undefined ? { password: peer.password } : {}),
  };
}

/** TTL and GTSM on an accepted socket; throws the transport's error if the kernel refuses. */
export function applyIncomingTtl(socket: Socket, localAsn: number, peer: PeerConfig): void {
  const ttl = peerTtl(localAsn, peer);
  setTtl(socket, ttl.ttl);
  if (ttl.minTtl !== undefined) setMinTtl(socket, ttl.minTtl);
}
