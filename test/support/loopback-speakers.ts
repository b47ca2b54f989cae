// Speakers on loopback addresses of this host (127.0.0.x): the whole speaker
// (listener, sessions, RIB) without namespaces. Shared config builders.
import { Afi, type Family, Safi } from "../../src/bgp/codec/types";
import type { PeerConfig, SpeakerConfig } from "../../src/bgp/config";
import { parsePrefix } from "../../src/bgp/prefix";

export const IPV4_ONLY: Family[] = [{ afi: Afi.IPv4, safi: Safi.Unicast }];
export const DUAL_STACK: Family[] = [...IPV4_ONLY, { afi: Afi.IPv6, safi: Safi.Unicast }];

/** A peer with a short hold time (9 s), active, IPv4 only unless `extra` says otherwise. */
export function loopbackPeer(
  name: string,
  address: string,
  asn: number,
  port: number,
  extra: Partial<PeerConfig> = {},
): PeerConfig {
  return { name, address, asn, port, holdTime: 9, passive: false, families: IPV4_ONLY, ...extra };
}

export interface LoopbackSpeakerOptions {
  routerId: string;
  asn: number;
  /** The loopback address the speaker listens on, and its port. */
  listen: string;
  port: number;
  prefixes?: string[];
  peers: PeerConfig[];
  gracefulRestart?: boolean;
}

export function loopbackSpeakerConfig(o: LoopbackSpeakerOptions): SpeakerConfig {
  return {
    routerId: o.routerId,
    asn: o.asn,
    listen: [{ address: o.listen, port: o.port }],
    prefixes: (o.prefixes ?? []).map(parsePrefix),
    peers: o.peers,
    gracefulRestart: { enabled: o.gracefulRestart ?? false, restartTime: 120 },
  };
}
