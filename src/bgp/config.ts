// The internal model the BGP core consumes. The YAML config file and the
// Kubernetes watcher both compile into these types (src/config, src/k8s);
// nothing under src/bgp knows where they came from.
import type { Family, Prefix } from "./codec/types";
import type { Policy } from "./policy/types";

/** Max-prefix limit (RFC 4486 Cease subcode 1), counted per address family after import policy. */
export interface MaxPrefixConfig {
  limit: number;
  /** Log a warning once the count reaches this percentage of the limit (default 75). */
  warningPercent: number;
  /** "teardown": send Cease subcode 1 and stay down for restartAfter seconds; "warn": only log. */
  action: "teardown" | "warn";
  /** Seconds before a torn-down session is started again (default 60; 0: stay down until enabled). */
  restartAfter: number;
}

/**
 * The limit every peer gets unless its config sets one (or `false`): a peer
 * that sends an endless table is torn down (Cease subcode 1, RFC 4486) instead
 * of growing the agent without bound. A node agent's peers send Pod CIDRs (a
 * few per node, so tens of thousands even for the largest clusters) or, from
 * a ToR, a data-centre table; 500,000 is far above those, while a full
 * Internet table leaked by mistake (about a million IPv4 routes) stops here.
 */
export const DEFAULT_MAX_PREFIXES: MaxPrefixConfig = {
  limit: 500_000,
  warningPercent: 75,
  action: "teardown",
  restartAfter: 60,
};

/** The max-prefix limit that applies to `peer`: its own, the default, or none. */
export function maxPrefixesOf(peer: PeerConfig): MaxPrefixConfig | undefined {
  if (peer.maxPrefixes === false) return undefined;
  return peer.maxPrefixes ?? DEFAULT_MAX_PREFIXES;
}

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
  /**
   * RFC 8950: advertise the Extended Next Hop capability for IPv4 unicast over
   * an IPv6 next hop, so an IPv6 session carries IPv4 routes (BIRD `extended
   * next hop on`, FRR `capability extended-nexthop`). Default off.
   */
  extendedNextHop?: boolean;

  // Routing (changes apply without restarting the session).
  /** "tor": a top-of-rack router (may send the default route); "node": another cluster node (default). */
  role?: "tor" | "node";
  /** This peer is a route-reflector client of ours (needs SpeakerConfig.routeReflector). */
  routeReflectorClient?: boolean;
  /** Announce ourselves as next hop for learned routes. Default: true toward eBGP, false toward iBGP. */
  nextHopSelf?: boolean;
  /** Import policy; absent: the safe default (see policy/defaults.ts). */
  importPolicy?: Policy;
  /** Export policy; absent: own prefixes and reflected routes only. */
  exportPolicy?: Policy;
  /** Absent: DEFAULT_MAX_PREFIXES; false: no limit at all. */
  maxPrefixes?: MaxPrefixConfig | false;
  /** BFD (RFC 5880/5881/5883) for this peer; absent: off. Changes apply without a session reset. */
  bfd?: BfdConfig;
}

/** Asynchronous-mode BFD timers (docs/bfd.md). */
export interface BfdConfig {
  /** Required Min RX Interval, ms. */
  minRxMs: number;
  /** Desired Min TX Interval, ms (at least 1000 until the session is Up, RFC 5880 §6.8.3). */
  minTxMs: number;
  /** Detect Mult. */
  multiplier: number;
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

  // Routing (changes apply without restarting sessions unless noted).
  /** Pod/cluster CIDRs: what the default import policy accepts. Empty or absent: import everything. */
  clusterCidrs?: Prefix[];
  /** Let ToR peers without an import policy send the default route. */
  acceptDefaultRouteFromTor?: boolean;
  /** Act as an RFC 4456 route reflector for peers marked routeReflectorClient. */
  routeReflector?: { clusterId: string };
  /** Compare MED between paths from different neighbouring ASes. */
  alwaysCompareMed?: boolean;
  /** Most next hops in one ECMP route (default 16; 1 disables multipath). */
  maxPaths?: number;
  /** MRAI-style batching: how long changes are coalesced before UPDATEs go out (default 50 ms). */
  exportDelayMs?: number;
  /** Seconds after start before the FIB is told the table converged even if some peer never sent End-of-RIB (default 30). */
  convergenceTimeout?: number;
}
