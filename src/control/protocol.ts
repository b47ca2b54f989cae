// Wire format of the control socket: one JSON object per line in each
// direction. Requests carry an id the reply echoes, so a client may pipeline.
// The data shape of each command is listed here and described in docs/cli.md.

import type {
  FamilyName,
  GracefulShutdownState,
  PeerStatus,
  RouteView,
  SpeakerStatus,
} from "../bgp/speaker-api";
import type { EventLoopData } from "./event-loop";

export type RequestId = number | string;

export interface ControlRequest {
  id: RequestId;
  command: string;
  args?: Record<string, unknown>;
  /** The client takes text chunks of a streamed reply as bytes (a `bytes` reply line, then the text). */
  bytes?: boolean;
}

/**
 * A reply line. A streamed reply (a full "show route") is several lines with
 * the same id: each with "more": true and a chunk of the data array, then a
 * last one without "more"; the data is the chunks' arrays joined. An error
 * line may end a stream early. A text chunk sent to a client that asked for
 * bytes is a line with "bytes": N instead of "data", followed by exactly N
 * bytes of UTF-8 text (whole lines).
 */
export type ControlReply =
  | { id: RequestId | null; ok: true; more?: true; data: unknown }
  | { id: RequestId | null; ok: true; more?: true; bytes: number }
  | { id: RequestId | null; ok: false; error: string };

/** Where the agent listens unless configured otherwise; flatroutec's default too. */
export const DEFAULT_CONTROL_SOCKET = "/run/flatroute/flatroute.sock";

/** Longest request line the server accepts; anything longer is a broken or hostile client. */
export const MAX_LINE_BYTES = 64 * 1024;

// ---- data shapes, per command -------------------------------------------

/** Reload attempts (configure, SIGHUP) since the agent started. */
export interface ReloadData {
  /** Attempts that tried to apply a file, successful or not ("configure check" does not count). */
  count: number;
  /** False when the last attempt was rejected and the previous config still runs; true before any. */
  lastSuccess: boolean;
  /** ISO time the last attempt finished; absent before the first. */
  lastAttempt?: string;
  /** Why the last attempt was rejected (the config errors, one per line); absent after a success. */
  lastError?: string;
}

/** Kubernetes mode as "show status" reports it. */
export interface KubernetesStatusData {
  node: string;
  namespace: string;
  /** API server URL. */
  server: string;
  connected: boolean;
  synced: boolean;
  /** ISO time of the last message from the API server. */
  lastSync?: string;
  crdsInstalled: boolean;
  lastError?: string;
  /** Why the node is not fully configured yet. */
  waiting: string[];
  /** Cluster objects ignored as invalid. */
  problems: string[];
}

/** Facts the agent adds to "show status" (the speaker does not know them). */
export interface AgentInfo {
  /** ISO time of the last successful configure/SIGHUP, absent if none since start. */
  lastReconfigure?: string;
  configFile?: string;
  /** The host name: the Kubernetes node the agent runs on. */
  node?: string;
  reloads?: ReloadData;
  /** How long the event loop was held (sessions, imports and queries share it). */
  eventLoop?: EventLoopData;
  /** Where /metrics, /healthz and /readyz are served ("address:port"); absent when disabled. */
  http?: string;
  /** Present in Kubernetes mode. */
  kubernetes?: KubernetesStatusData;
}

/** "show status" */
export interface StatusData extends SpeakerStatus, AgentInfo {
  version: string;
  /** ISO time the reply was made, so clients format "since" columns against the agent's clock. */
  serverTime: string;
  /** Whole seconds from startedAt to serverTime. */
  uptimeSeconds: number;
}

/** "graceful-shutdown" and "graceful-shutdown off" */
export interface GracefulShutdownData extends MessageData {
  gracefulShutdown: GracefulShutdownState;
}

/** "show protocols" */
export type ProtocolsData = PeerStatus[];

/** BFD state of one protocol as "show protocols all" reports it. */
export interface ProtocolBfd {
  /** False until BFD exists or while the peer does not use it. */
  configured: boolean;
  /** BFD session state (Down, Init, Up, AdminDown) when configured. */
  state?: string;
}

/** "show protocols all": PeerStatus plus what other layers know about the peer. */
export type ProtocolDetail = PeerStatus & {
  bfd: ProtocolBfd;
  /** Present while the node is in graceful shutdown (RFC 8326): what this peer's routes carry now. */
  gracefulShutdown?: ProtocolGracefulShutdown;
};

/** How graceful shutdown marks the routes sent to one peer. */
export interface ProtocolGracefulShutdown {
  community: "65535:0";
  /** Only toward iBGP peers (LOCAL_PREF does not cross AS borders). */
  localPref?: 0;
}
export type ProtocolsAllData = ProtocolDetail[];

/** One BFD session, "show bfd sessions". */
export interface BfdSessionData {
  peer: string;
  address: string;
  interface?: string;
  state: string;
  since: string;
  /** Negotiated intervals in ms. */
  txInterval: number;
  rxInterval: number;
  multiplier: number;
}

/** "show bfd sessions" */
export interface BfdData {
  configured: boolean;
  sessions: BfdSessionData[];
}

/** One prefix where the kernel table differs from the chosen routes, "show kernel". */
export interface KernelDifference {
  prefix: string;
  family: FamilyName;
  /**
   * missing: chosen but not in the kernel; extra: ours in the kernel but no longer chosen;
   * different: in both with other next hops; conflict: another protocol holds the prefix.
   */
  kind: "missing" | "extra" | "different" | "conflict";
  /** Next hops of the chosen route(s); empty for "extra". */
  chosen: string[];
  /** Next hops in the kernel; empty for "missing". */
  kernel: string[];
  /** Free text, e.g. the errno of the last failed write or who holds a conflicting route. */
  detail?: string;
}

/** "show kernel" */
export interface KernelData {
  configured: boolean;
  /** Whether the kernel table matches the chosen routes (only when configured). */
  synced?: boolean;
  /** Routes flatroute has in the kernel (only when configured). */
  installed?: number;
  differences: KernelDifference[];
}

/** "show route" without count */
export type RoutesData = RouteView[];

/** "show route" with count: true */
export interface RouteCountData {
  routes: number;
  networks: number;
  byFamily: Record<FamilyName, { routes: number; networks: number }>;
}

/** "enable", "disable", "restart", "reload", "configure", "configure check" */
export interface MessageData {
  message: string;
}

export interface ShowRouteArgs {
  prefix?: string;
  for?: string;
  protocol?: string;
  family?: FamilyName;
  count?: boolean;
  /** Only the best route of each network (BIRD's "primary"). */
  best?: boolean;
  /** Only routes in their network's ECMP set. */
  multipath?: boolean;
  /** A listing as text lines rendered by the agent ("text" or "text all"); data is then an array of strings. */
  render?: string;
}
