// Wire format of the control socket: one JSON object per line in each
// direction. Requests carry an id the reply echoes, so a client may pipeline.
// The data shape of each command is listed here and described in docs/cli.md.
import type { FamilyName, PeerStatus, RouteView, SpeakerStatus } from "../bgp/speaker-api";

export type RequestId = number | string;

export interface ControlRequest {
  id: RequestId;
  command: string;
  args?: Record<string, unknown>;
}

export type ControlReply =
  | { id: RequestId | null; ok: true; data: unknown }
  | { id: RequestId | null; ok: false; error: string };

/** Where the agent listens unless configured otherwise; flatroutec's default too. */
export const DEFAULT_CONTROL_SOCKET = "/run/flatroute/flatroute.sock";

/** Longest request line the server accepts; anything longer is a broken or hostile client. */
export const MAX_LINE_BYTES = 64 * 1024;

// ---- data shapes, per command -------------------------------------------

/** "show status" */
export interface StatusData extends SpeakerStatus {
  version: string;
  /** ISO time the reply was made, so clients format "since" columns against the agent's clock. */
  serverTime: string;
  /** ISO time of the last successful configure/SIGHUP, absent if none since start. */
  lastReconfigure?: string;
  configFile?: string;
}

/** "show protocols" and "show protocols all" */
export type ProtocolsData = PeerStatus[];

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
}
