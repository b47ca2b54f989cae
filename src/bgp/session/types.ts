// The Session's public shapes: construction options, counters and events.
import type { Socket } from "node:net";
import type { UpdateProblem } from "../codec/errors";
import type { RouteRefreshMessage, UpdateMessage } from "../codec/types";
import type { PeerConfig } from "../config";
import type { ConnectOptions } from "../transport/connect";
import type { Clock } from "./clock";
import type { DownReason } from "./down-reason";
import type { State } from "./fsm";
import type { GracefulRestartOptions, Negotiated } from "./negotiate";

export interface SessionLocal {
  asn: number;
  routerId: string;
  gracefulRestart?: GracefulRestartOptions;
}

/** Per-peer features beyond PeerConfig; all off unless set. */
export interface PeerFeatures {
  extendedMessage?: boolean;
  extendedNextHop?: boolean;
}

export type ConnectFn = (o: ConnectOptions) => Promise<Socket>;

/** The subset of a pino logger the session uses. */
export interface SessionLog {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

export interface SessionOptions {
  local: SessionLocal;
  peer: PeerConfig & PeerFeatures;
  /** Outgoing TCP; defaults to the transport's connectTcp (MD5, TTL, GTSM). */
  connect?: ConnectFn;
  clock?: Clock;
  log: SessionLog;
  /** Jitter source in [0, 1); tests pin it. */
  random?: () => number;
}

export interface SessionCounters {
  messagesIn: number;
  messagesOut: number;
  updatesIn: number;
  updatesOut: number;
  notificationsIn: number;
  notificationsOut: number;
}

export interface SessionEvents {
  /** `reason` names the FSM event that caused the change. */
  state: [from: State, to: State, reason: string];
  established: [negotiated: Negotiated];
  update: [update: UpdateMessage, problems: UpdateProblem[]];
  routeRefresh: [message: RouteRefreshMessage];
  down: [reason: DownReason];
  /** The write queue emptied after backpressure: sending may resume. */
  drain: [];
}
