// What the speaker keeps per configured peer: its session, its RIB peer and
// the holds and timers of the concerns beside them (graceful restart,
// max-prefix, import faults, BFD, enhanced route refresh).
import type { Afi } from "../codec/types";
import type { PeerConfig } from "../config";
import type { ImportHold } from "../rib/import-hold";
import type { RibPeer } from "../rib/peer";
import type { PeerGracefulRestart } from "../session/negotiate";
import type { Session } from "../session/session";

export interface PeerRuntime {
  config: PeerConfig;
  session: Session;
  rib: RibPeer;
  disabled: boolean;
  /** Max-prefix and import-fault holds: while one is set, the peer's UPDATEs are ignored. */
  readonly hold: ImportHold;
  /** The peer's graceful restart capability from the last Established session. */
  peerGr?: PeerGracefulRestart;
  /** RFC 8538 N bit negotiated on the last Established session. */
  grNotification?: boolean;
  /** Graceful restart helper: sweeps the stale routes when the peer does not come back in time. */
  staleTimer?: NodeJS.Timeout;
  /** Set while the session is held down because its BFD session failed (bfdDown until bfdUp). */
  bfdHold?: string;
  /** Enhanced route refreshes of the peer under way (BoRR seen, no EoRR yet): the timer that ends each. */
  refreshing: Map<Afi, NodeJS.Timeout>;
}

/** An operator's enable, disable or restart ends a max-prefix or fault hold. */
export function clearOperatorHolds(runtime: PeerRuntime): void {
  runtime.hold.clear();
}

/** The session ended or the peer left: refreshes under way end without a sweep (peerDown handles the routes). */
export function clearRefreshes(runtime: PeerRuntime): void {
  for (const timer of runtime.refreshing.values()) clearTimeout(timer);
  runtime.refreshing.clear();
}

/** The speaker stops or the peer leaves: no timer of the peer may fire afterwards. */
export function stopPeerTimers(runtime: PeerRuntime): void {
  runtime.hold.stopTimers();
  if (runtime.staleTimer) clearTimeout(runtime.staleTimer);
  clearRefreshes(runtime);
}
