// The typed description every lab peer daemon is started from, and the
// queries/actions the interop suite needs from each of them.
import type { LabProcess, Netns } from "../netns";

export type AddressFamily = "ipv4" | "ipv6";

export interface NeighborSpec {
  /** Short identifier (letters, digits, underscore); daemons derive protocol names from it. */
  name: string;
  /** The remote speaker's address. */
  address: string;
  /** This daemon's address for the session (source of outgoing connections). */
  localAddress: string;
  /** Remote AS. */
  asn: number;
  /** Local AS for this session when it differs from the daemon's (iBGP or 4-octet cases). */
  localAsn?: number;
  password?: string;
  passive?: boolean;
  holdTime?: number;
  multihop?: number;
  families: AddressFamily[];
}

export interface DaemonSpec {
  routerId: string;
  asn: number;
  neighbors: NeighborSpec[];
  /** Prefixes to originate from the start ("10.201.0.0/24", "fd00:201::/64"). */
  routes: string[];
}

export interface PeerDaemon {
  readonly kind: string;
  readonly ns: Netns;
  readonly spec: DaemonSpec;
  /** The main process (the one a freeze test stops). */
  readonly process: LabProcess;
  established(neighbor: string): Promise<boolean>;
  /** Prefixes the daemon accepted from that neighbor. */
  receivedPrefixes(neighbor: string, family: AddressFamily): Promise<string[]>;
  addRoute(prefix: string): Promise<void>;
  withdrawRoute(prefix: string): Promise<void>;
  /** Ask the neighbor to resend its routes (sends ROUTE-REFRESH). */
  routeRefresh(neighbor: string, family: AddressFamily): Promise<void>;
  /** Count of UPDATE messages (or prefix updates) received from that neighbor so far. */
  receivedUpdates(neighbor: string): Promise<number>;
  /** Human-readable state for failure messages. */
  describe(): Promise<string>;
  stop(): Promise<void>;
}

export function neighborNamed(spec: DaemonSpec, name: string) {
  const n = spec.neighbors.find((x) => x.name === name);
  if (!n) throw new Error(`no neighbor named ${name}`);
  return n;
}

export const familyOf = (prefixOrAddress: string): AddressFamily =>
  prefixOrAddress.includes(":") ? "ipv6" : "ipv4";
