// What a config change means for running sessions (BIRD's bgp_reconfigure:
// "apply in place" or "restart"): routing settings (policies, reflection,
// next-hop-self, limits) apply in place; anything the OPEN or the TCP
// connection depends on restarts that peer's session.
import { isDeepStrictEqual } from "node:util";
import type { PeerConfig, SpeakerConfig } from "./config";

const PEER_ROUTING_KEYS = [
  "role",
  "routeReflectorClient",
  "nextHopSelf",
  "importPolicy",
  "exportPolicy",
  "maxPrefixes",
  // BFD runs beside the session (src/bfd); its settings change without a BGP reset.
  "bfd",
] as const;

function withoutRouting(p: PeerConfig): Partial<PeerConfig> {
  const copy: Partial<PeerConfig> = { ...p };
  for (const k of PEER_ROUTING_KEYS) delete copy[k];
  // Absent and undefined mean the same thing.
  for (const k of Object.keys(copy) as (keyof PeerConfig)[]) if (copy[k] === undefined) delete copy[k];
  return copy;
}

export interface PeerChange {
  /** The session must restart. */
  session: boolean;
  /** What the peer sent must be imported again (route refresh). */
  imports: boolean;
  /** Its Adj-RIB-Out must be recomputed. */
  exports: boolean;
  /** Its route-reflector client role changed: every iBGP peer's exports may change. */
  reflection: boolean;
}

export function classifyPeerChange(prev: PeerConfig, next: PeerConfig): PeerChange {
  const same = (k: keyof PeerConfig) => isDeepStrictEqual(prev[k], next[k]);
  return {
    session: !isDeepStrictEqual(withoutRouting(prev), withoutRouting(next)),
    imports: !same("importPolicy") || !same("role"),
    exports: !same("exportPolicy") || !same("nextHopSelf"),
    reflection: !same("routeReflectorClient"),
  };
}

export interface SpeakerChange {
  listen: boolean;
  /** AS, router ID or graceful restart changed: every session restarts. */
  session: boolean;
  /** Any speaker-wide routing setting changed. */
  routing: boolean;
  /** The default import policy changed (cluster CIDRs, default route). */
  imports: boolean;
  /** Route reflection was turned on, off or changed cluster. */
  exports: boolean;
  /** Decision settings changed: every prefix is decided again. */
  decision: boolean;
}

export function classifySpeakerChange(prev: SpeakerConfig, next: SpeakerConfig): SpeakerChange {
  const same = (k: keyof SpeakerConfig) => isDeepStrictEqual(prev[k], next[k]);
  const imports = !same("clusterCidrs") || !same("acceptDefaultRouteFromTor");
  const exports = !same("routeReflector");
  const decision = !same("alwaysCompareMed") || !same("maxPaths");
  return {
    listen: !same("listen"),
    session: !same("asn") || !same("routerId") || !same("gracefulRestart"),
    routing: imports || exports || decision || !same("exportDelayMs") || !same("convergenceTimeout"),
    imports,
    exports,
    decision,
  };
}
