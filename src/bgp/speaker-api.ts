// What the speaker exposes to the layers above it (agent, control socket,
// metrics). Plain data, so the control socket can send it as JSON unchanged.
import type { Prefix } from "./codec/types";
import type { SpeakerConfig } from "./config";
import type { CloseIntent } from "./session/graceful-close";

export type FamilyName = "ipv4" | "ipv6";

export interface PeerStatus {
  name: string;
  address: string;
  asn: number;
  localAddress?: string;
  /** BIRD-style coarse state: "up", "start", "down" (disabled). */
  state: "up" | "start" | "down";
  /** RFC 4271 FSM state: Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  bgpState: string;
  /** ISO time of the last state change. */
  since: string;
  /** "Established", or the last error in BIRD's words (e.g. "Received: Hold timer expired"). */
  info: string;
  lastError?: string;
  routerId?: string;
  holdTime?: number;
  keepalive?: number;
  capabilities?: string[];
  families: FamilyName[];
  routes: { imported: number; filtered: number; exported: number; received?: number };
  messages: { updatesIn: number; updatesOut: number; notificationsIn: number; notificationsOut: number };
  /** BFD session state (Down, Init, Up, AdminDown) when the peer uses BFD. */
  bfdState?: string;
}

export interface RouteView {
  prefix: string;
  family: FamilyName;
  nextHop: string;
  /** Peer name, or "static" for routes this node originates. */
  peer: string;
  asPath: number[];
  origin: "IGP" | "EGP" | "incomplete";
  localPref?: number;
  med?: number;
  communities: string[];
  largeCommunities: string[];
  best: boolean;
  since: string;
  /** A member of the prefix's ECMP set (the best route and its equal-cost peers). */
  multipath?: boolean;
  /** On the best route of an ECMP prefix: every next hop the FIB gets, best first. */
  nextHops?: string[];
  /** Why this path is neither best nor multipath: the decision step it lost at. */
  reason?: string;
  /** Kept from a restarting peer (graceful restart) until it sends End-of-RIB. */
  stale?: boolean;
  originatorId?: string;
  clusterList?: string[];
}

/** Route counts kept as routes change: reading them costs nothing at any table size. */
export interface RouteCounts {
  byFamily: Record<FamilyName, { routes: number; networks: number; best: number }>;
  /** Routes each protocol (peer name, or "static") has in each family, as `show route` lists them. */
  byPeer: Record<string, Record<FamilyName, number>>;
}

/** Which routes a cursor yields (the filters of "show route"). */
export interface RouteFilter {
  family?: FamilyName;
  protocol?: string;
  best?: boolean;
  multipath?: boolean;
}

/** A resumable walk over the routes in `show route` order (family, address, length, best first, protocol). */
export interface RouteCursor {
  /**
   * The routes of up to about `work` more networks (an empty array while the
   * cursor is still preparing, or when none matched); undefined when done.
   * Each call does a bounded amount of work, so a caller can yield between calls.
   */
  next(work: number): RouteView[] | undefined;
  /** next() as JSON texts of the views, made without the views (the control socket's streaming path). */
  nextJson(work: number): string[] | undefined;
  /**
   * next() handed to `sink` route by route, with no view built (the text
   * listing's path); false once the cursor is done.
   */
  nextTo(work: number, sink: RouteSink): boolean;
}

/** The facts of a route's attributes that a `show route` line shows. */
export type RouteLineAttrs = Pick<RouteView, "nextHop" | "asPath" | "origin">;

/**
 * Takes the routes of a listing one call each, in `show route` order. Every
 * argument is a value or a shared object, so a listing allocates nothing per
 * route: `attrs` is the same object for every route whose attribute set is
 * the same (for as long as that set lives), so a sink may cache what it
 * derives from it by identity.
 */
export interface RouteSink {
  route(
    family: FamilyName,
    /** The network: IPv4 as address * 64 + length, otherwise its text ("fd00::/64"). */
    network: number | string,
    /** Peer name, or "static". */
    peer: string,
    attrs: RouteLineAttrs,
    best: boolean,
    /** RouteView.since as ms since the epoch (NaN when unknown). */
    sinceMs: number,
  ): void;
}

/** Queries answered from the RIB's index and counters, never by materialising the table. */
export interface RouteTable {
  counts(): RouteCounts;
  /** Every route of exactly this network, best first. */
  network(prefix: Prefix): RouteView[];
  /** Every route of the most specific network that covers `address` up to `maxLength` bits. */
  longestMatch(address: Uint8Array, maxLength: number): RouteView[];
  cursor(filter: RouteFilter): RouteCursor;
}

/** Who holds the node in graceful shutdown: the operator's command, or the cordon of its Kubernetes Node. */
export type GracefulShutdownSource = "manual" | "cordon";

/** RFC 8326 planned maintenance: while active every export carries GRACEFUL_SHUTDOWN (65535:0). */
export interface GracefulShutdownState {
  active: boolean;
  /** Every holder; active while any holds it. */
  sources: GracefulShutdownSource[];
  /** ISO time it became active; absent while inactive. */
  since?: string;
}

export interface SpeakerStatus {
  routerId: string;
  asn: number;
  startedAt: string;
  gracefulShutdown: GracefulShutdownState;
}

export type { CloseIntent };

export interface SpeakerApi {
  start(): Promise<void>;
  /**
   * Sends a Cease (with `message` per RFC 9003) to every peer and closes.
   * `intent` "restart" (an upgrade: we come back with forwarding state kept)
   * leaves graceful-restart peers keeping our routes; "remove" makes them
   * drop them (RFC 8538 Hard Reset where negotiated). See session/graceful-close.ts.
   */
  stop(message?: string, intent?: CloseIntent): Promise<void>;
  status(): SpeakerStatus;
  peers(): PeerStatus[];
  /** Every route at once: for small tables and tests; the control plane uses routeTable(). */
  routes(): RouteView[];
  routeTable(): RouteTable;
  enablePeer(name: string): void;
  disablePeer(name: string, message?: string): void;
  restartPeer(name: string): void;
  /** Asks the peer to resend its routes (ROUTE-REFRESH). */
  refreshPeer(name: string): void;
  /**
   * Takes (`on`) or releases one hold on graceful shutdown (RFC 8326): while
   * any source holds it, every route goes out again with GRACEFUL_SHUTDOWN
   * and, to iBGP peers, LOCAL_PREF 0. Returns the state after the change.
   */
  setGracefulShutdown(source: GracefulShutdownSource, on: boolean): GracefulShutdownState;
  /** Applies a new config: added peers start, removed stop, changed restart, unchanged are untouched. */
  reconfigure(config: SpeakerConfig): Promise<void>;
}
