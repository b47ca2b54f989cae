// What the RIB keeps per peer: its Adj-RIB-In and Adj-RIB-Out per family
// (prefix key -> interned attribute set id, aux = seconds since the RIB
// started, when received/sent), resolved policies and the counters `show`
// reports. The session itself stays with the speaker; the RIB reaches the
// wire only through the ExportTarget the speaker hands over at Established.
import { Afi, type SessionCaps } from "../codec/types";
import type { PeerConfig } from "../config";
import type { Policy } from "../policy/types";
import { parseAddress } from "../prefix";
import { ExportQueue } from "./export-queue";
import { type KeyTable, newKeyTable } from "./key-table";
import type { PrefixIndex } from "./prefix-index";
import { RowTable } from "./row-table";

export const AFIS = [Afi.IPv4, Afi.IPv6] as const;

/** How the RIB sends to an Established peer. */
export interface ExportTarget {
  families: readonly Afi[];
  caps: SessionCaps;
  /** The peer's BGP identifier (dotted quad). */
  routerId: string;
  /** The interface the session runs on, for IPv6 link-local next hops. */
  interfaceName?: string;
  /** Whether the peer can resend its routes on request (soft reconfiguration without a copy). */
  routeRefresh: boolean;
  /** RFC 7313 negotiated: our answer to a ROUTE-REFRESH is framed by BoRR and EoRR. */
  enhancedRouteRefresh?: boolean;
  send(frames: Uint8Array[]): void;
  sendEndOfRib(afi: Afi): void;
  /** Sends a ROUTE-REFRESH message of `subtype` (RFC 7313: 1 BoRR, 2 EoRR). */
  sendRouteRefresh?(afi: Afi, subtype: number): void;
  /**
   * Whether the session takes more now; false while its socket pushes back,
   * and the speaker calls `Exporter.pump(peer)` when it drains. Absent: always.
   */
  writable?(): boolean;
  /** Bytes written to the session and not yet taken by the kernel (for tests and diagnostics). */
  queuedBytes?(): number;
  selfNextHop(afi: Afi): { nextHop?: string; linkLocal?: string };
}

export interface PeerCounters {
  /** Prefix announcements received (including ones later filtered). */
  received: number;
  /** Announcements rejected by import checks or policy. */
  filtered: number;
}

export class RibPeer {
  /** On the RIB's shared prefix index (one row per prefix across all tables). */
  readonly adjIn: RowTable[];
  /** Graceful restart: the routes of the previous session, until End-of-RIB or the restart timer. */
  stale: (RowTable | undefined)[] = [undefined, undefined];
  /** Per family: prefixes in both the fresh and the stale table (kept as routes change, for counts). */
  readonly staleOverlap = [0, 0];
  readonly adjOut: KeyTable[] = AFIS.map(newKeyTable);
  /** What is still to be sent to the peer (Exporter.pump encodes it while the session is writable). */
  readonly exportQueue = new ExportQueue();
  readonly counters: PeerCounters = { received: 0, filtered: 0 };
  readonly address: Uint8Array;
  target: ExportTarget | undefined;
  /** The peer's BGP identifier as a number (decision) and as text (ORIGINATOR_ID); kept after the session ends. */
  routerId = 0;
  routerIdText: string | undefined;
  readonly eorReceived = new Set<Afi>();
  /** Max-prefix warning already logged for this family (until the count drops again). */
  readonly warned = new Set<Afi>();
  importPolicy!: Policy;
  exportPolicy!: Policy;

  /**
   * What the import path reads of the config, per route: kept here as the
   * config is set, so the code V8 optimizes does not depend on the config
   * object's own shape (the JIT warm-up's config and the loader's differ,
   * and the warm-up's machine code was thrown away at the first real route).
   */
  ebgp = false;
  rrClient = false;
  /** The peer has an export policy of its own. */
  ownExportPolicy = false;
  private peerConfig!: PeerConfig;

  constructor(
    readonly slot: number,
    config: PeerConfig,
    readonly localAsn: number,
    indexes: readonly PrefixIndex[],
  ) {
    this.config = config;
    this.adjIn = indexes.map((index) => new RowTable(index));
    this.address = parseAddress(config.address);
  }

  get config(): PeerConfig {
    return this.peerConfig;
  }

  set config(config: PeerConfig) {
    this.peerConfig = config;
    this.ebgp = config.asn !== this.localAsn;
    this.rrClient = config.routeReflectorClient === true;
    this.ownExportPolicy = config.exportPolicy !== undefined;
  }

  get name(): string {
    return this.config.name;
  }

  get established(): boolean {
    return this.target !== undefined;
  }

  table(afi: Afi): RowTable {
    return this.adjIn[afi - 1]!;
  }

  staleTable(afi: Afi): RowTable | undefined {
    return this.stale[afi - 1];
  }

  outTable(afi: Afi): KeyTable {
    return this.adjOut[afi - 1]!;
  }

  exportsFamily(afi: Afi): boolean {
    return this.target?.families.includes(afi) ?? false;
  }

  /** Routes `show route` lists for this peer in `afi`: fresh ones, and stale ones not yet replaced. */
  routeCount(afi: Afi): number {
    const stale = this.stale[afi - 1];
    const fresh = this.adjIn[afi - 1]!.size;
    return stale ? fresh + stale.size - this.staleOverlap[afi - 1]! : fresh;
  }

  get accepted(): number {
    return this.adjIn[0]!.size + this.adjIn[1]!.size;
  }

  get advertised(): number {
    return this.adjOut[0]!.size + this.adjOut[1]!.size;
  }
}
