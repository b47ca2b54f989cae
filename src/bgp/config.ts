// The internal model the BGP core consumes. The YAML config file and the
// Kubernetes watcher both compile into these types (src/config, src/k8s);
// nothing under src/bgp knows where they came from.
import type { Family, Prefix } from "./codec/types";

export interface PeerConfig {
  /** Unique name, shown as the protocol name in flatroutec. */
  name: string;
  address: string;
  asn: number;
  /** Local address to bind/source from; also the listener address for this peer. */
  localAddress?: string;
  /** Remote TCP port (default 179); tests use others. */
  port: number;
  /** TCP MD5 key (RFC 2385), already read from passwordFile if one was given. */
  password?: string;
  /** Proposed hold time in seconds (0 or >= 3). */
  holdTime: number;
  /** Keepalive interval in seconds; default holdTime / 3. */
  keepalive?: number;
  /** Never connect out; wait for the peer. */
  passive: boolean;
  /** eBGP multihop: outgoing TTL. Absent: 1 for eBGP, 255 for iBGP. */
  multihop?: number;
  /** RFC 5082 GTSM: accept only packets whose TTL is at least 256 - hops. */
  ttlSecurity?: number;
  families: Family[];
  /** Connect-retry backoff bounds in seconds (defaults 1 and 60). */
  connectRetryMin?: number;
  connectRetryMax?: number;
  /** Start administratively disabled. */
  disabled?: boolean;
}

export interface ListenConfig {
  address: string;
  port: number;
}

export interface GracefulRestartConfig {
  enabled: boolean;
  restartTime: number;
}

export interface SpeakerConfig {
  routerId: string;
  asn: number;
  /** Empty: do not listen (all peers active). */
  listen: ListenConfig[];
  /** Prefixes this node originates (its Pod CIDRs). */
  prefixes: Prefix[];
  peers: PeerConfig[];
  gracefulRestart: GracefulRestartConfig;
}
