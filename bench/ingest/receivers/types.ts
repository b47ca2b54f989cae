// What the harness needs from each receiving daemon: its pids (for peak RSS),
// a cheap count of the prefixes it holds from the sender, and a stop.
import type { Netns } from "../../../test/lab/netns";

export interface Endpoints {
  /** The receiver's address on the link, and its AS. */
  local: string;
  asn: number;
  routerId: string;
  /** The sender's address and AS. */
  peer: string;
  peerAsn: number;
}

export interface ReceiverMode {
  /**
   * Install the learned routes in the kernel, as each daemon does when deployed
   * (flatroute's kernel FIB, BIRD's kernel protocol, FRR's zebra). Off: the RIB only.
   */
  kernel: boolean;
}

export interface Receiver {
  readonly name: string;
  /** A process inside the receiver's namespace: /proc/PID/net shows that namespace's kernel table. */
  readonly pid: number;
  /** Every process of the receiver; their VmHWM added up is its peak RSS (bgpd + zebra for FRR). */
  readonly pids: number[];
  /** Prefixes from the sender now in the receiver's RIB; cheap enough to poll every few ms. */
  count(): Promise<number>;
  /**
   * The receiver's own side of the sender's session is Established. The clock
   * starts after both sides are: the time is the ingest, not the receiver
   * still finishing the handshake (which the sender's side alone does not show).
   */
  established(): Promise<boolean>;
  /** Milliseconds between polls: tighter where a poll costs the receiver little. */
  readonly pollMs: number;
  /** Why the receiver can no longer answer (it exited), if so. */
  failed(): string | undefined;
  close(): Promise<void>;
}

export type ReceiverFactory = (ns: Netns, e: Endpoints, mode: ReceiverMode) => Promise<Receiver>;
