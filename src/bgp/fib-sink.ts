// The seam between the routing core and the kernel layer (BIRD's krt hooks):
// the Loc-RIB reports each change of a prefix's chosen paths; src/kernel
// implements the sink and owns everything netlink. The core never waits on it.
import type { Prefix } from "./codec/types";

export interface FibNextHop {
  /** Gateway address (IPv4 or IPv6; IPv6 may be link-local). */
  address: string;
  /** Name of the peer the path came from, for logs and `show kernel`. */
  peer: string;
  /** Set when the gateway is IPv6 link-local: the interface the session runs on. */
  interface?: string;
}

export interface FibRoute {
  prefix: Prefix;
  /** The best path first; several entries make an ECMP route. Empty: withdraw from the kernel. */
  nextHops: FibNextHop[];
}

export interface FibSink {
  /** A prefix's chosen paths changed (or it lost its last path: nextHops empty). */
  update(route: FibRoute): void;
  /**
   * update() for an IPv4 prefix given as numbers (`address` a 32-bit value,
   * host bits clear), so a million routes cost no prefix objects. The RIB
   * passes one `nextHops` array for every prefix of a run with the same
   * paths; the sink may keep it and must not change it.
   */
  updateIpv4(address: number, length: number, nextHops: readonly FibNextHop[]): void;
  /** Every peer has sent End-of-RIB (or the startup timer ran out): stale kernel routes may be swept. */
  converged(): void;
  /** Prefixes this node originates (its Pod CIDRs): installed as blackhole/unreachable routes. */
  setLocalPrefixes(prefixes: Prefix[]): void;
}
