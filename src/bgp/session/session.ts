// The driver for one BGP peer. It owns the connection(s), the session-level
// timers and the retry backoff, feeds every happening to the pure FSM table
// (fsm.ts) and carries out the actions the table returns.
//
// Each TCP connection runs its own copy of the FSM from OpenSent on, so an
// inbound and an outbound connection can coexist until the peer's OPEN tells
// us its BGP identifier (RFC 4271 section 6.8). The session's visible state is
// the most advanced of its connections, or the connection-less state (Idle,
// Connect, Active) when it has none.
//
// Nothing a peer sends may throw out of here: every entry point (socket
// callbacks, timers, public methods) runs inside guard(), and events are
// delivered to listeners only once the session's own bookkeeping is done.
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { ipv4ToBytes } from "../codec/address";
import { BgpError, CeaseSubcode, ErrorCode, type UpdateProblem } from "../codec/errors";
import { KEEPALIVE_FRAME } from "../codec/keepalive";
import { decodeMessage, encodeMessage } from "../codec/message";
import { decodeShutdownCommunication, encodeShutdownCommunication } from "../codec/notification";
import {
  type Family,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MessageType,
  type OpenMessage,
  type RouteRefreshMessage,
  type UpdateMessage,
} from "../codec/types";
import { validateOpen } from "../codec/validate";
import type { PeerConfig } from "../config";
import { type ConnectOptions, connectTcp } from "../transport/connect";
import { setMinTtl, setTtl } from "../transport/socket-options";
import { ttlOptions } from "../transport/ttl-policy";
import { backoffDelayMs, DEFAULT_CONNECT_RETRY_MAX, DEFAULT_CONNECT_RETRY_MIN } from "./backoff";
import { type Clock, systemClock, Timer } from "./clock";
import { Connection, type ConnectionHooks } from "./connection";
import { type DownReason, socketErrorText } from "./down-reason";
import {
  type FsmAction,
  type FsmEvent,
  LARGE_HOLD_TIME_SECONDS,
  STATE_RANK,
  State,
  type Transition,
  transition,
} from "./fsm";
import { buildOpen, type GracefulRestartOptions, type Negotiated, negotiate } from "./negotiate";

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

/** Upper bound on one outgoing connect attempt, whatever the backoff says. */
const MIN_CONNECT_TIMEOUT_MS = 5000;

interface FireContext {
  /** Why the session went down, if this event takes it down. */
  reason?: DownReason;
  /** A collision loser: its going away is not the session going down. */
  quiet?: boolean;
  update?: { message: UpdateMessage; problems: UpdateProblem[] };
  routeRefresh?: RouteRefreshMessage;
}

type Delivery = { [K in keyof SessionEvents]: [K, ...SessionEvents[K]] }[keyof SessionEvents];

function routerIdNumber(id: string): number {
  const b = ipv4ToBytes(id);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export class Session extends EventEmitter<SessionEvents> {
  readonly counters: SessionCounters = {
    messagesIn: 0,
    messagesOut: 0,
    updatesIn: 0,
    updatesOut: 0,
    notificationsIn: 0,
    notificationsOut: 0,
  };

  private readonly local: SessionLocal;
  private readonly peer: PeerConfig & PeerFeatures;
  private readonly clock: Clock;
  private readonly connectFn: ConnectFn;
  private readonly log: SessionLog;
  private readonly random: () => number;
  private readonly connectRetryTimer: Timer;
  private readonly restartTimer: Timer;
  private readonly hooks: ConnectionHooks;

  private adminUp = false;
  /** FSM state while no connection is past TCP setup: Idle, Connect or Active. */
  private base: State = State.Idle;
  private conns: Connection[] = [];
  private attempt: { id: number } | null = null;
  private attemptSeq = 0;
  private connectRetryCounter = 0;
  private current: State = State.Idle;
  private changedAt: Date;
  private negotiatedNow?: Negotiated;
  private lastDownReason?: DownReason;
  private depth = 0;
  private flushing = false;
  private outbox: Delivery[] = [];

  constructor(o: SessionOptions) {
    super();
    this.local = o.local;
    this.peer = o.peer;
    this.clock = o.clock ?? systemClock;
    this.connectFn = o.connect ?? connectTcp;
    this.log = o.log;
    this.random = o.random ?? Math.random;
    this.changedAt = new Date(this.clock.now());
    this.connectRetryTimer = new Timer(this.clock, () =>
      this.guard(() => {
        if (this.conns.length === 0) this.fireBase({ type: "ConnectRetryTimer_Expires" });
      }),
    );
    this.restartTimer = new Timer(this.clock, () => this.guard(() => this.restart()));
    this.hooks = {
      frame: (conn, frame) => this.guard(() => this.onFrame(conn, frame)),
      headerError: (conn, err) => this.guard(() => this.onDecodeError(conn, err, "BGPHeaderErr")),
      lost: (conn, err) =>
        this.guard(() =>
          this.fireConn(
            conn,
            { type: "TcpConnectionFails" },
            { reason: { kind: "connectionClosed", ...(err ? { error: socketErrorText(err) } : {}) } },
          ),
        ),
      holdExpired: (conn) =>
        this.guard(() =>
          this.fireConn(conn, { type: "HoldTimer_Expires" }, { reason: { kind: "holdTimerExpired" } }),
        ),
      keepaliveDue: (conn) => this.guard(() => this.fireConn(conn, { type: "KeepaliveTimer_Expires" })),
      drain: (conn) =>
        this.guard(() => {
          if (conn.state === State.Established) this.deliver(["drain"]);
        }),
    };
  }

  get name(): string {
    return this.peer.name;
  }

  get state(): State {
    return this.current;
  }

  /** When `state` last changed. */
  get since(): Date {
    return this.changedAt;
  }

  /** What the current Established connection agreed on; undefined otherwise. */
  get negotiated(): Negotiated | undefined {
    return this.negotiatedNow;
  }

  get lastDown(): DownReason | undefined {
    return this.lastDownReason;
  }

  /** False while the socket is applying backpressure: wait for 'drain'. */
  get writable(): boolean {
    return this.establishedConn()?.writable ?? false;
  }

  get connectRetryCount(): number {
    return this.connectRetryCounter;
  }

  start(): void {
    this.guard(() => {
      if (this.adminUp) return;
      this.adminUp = true;
      this.fireBase({ type: this.peer.passive ? "ManualStart_with_PassiveTcpEstablishment" : "ManualStart" });
    });
  }

  /**
   * Sends Cease (administrative shutdown unless told otherwise, with the RFC 9003
   * communication for subcodes 2 and 4) and closes. Resolves once sockets are closed.
   */
  stop(cease?: { subcode: CeaseSubcode; message?: string }): Promise<void> {
    let closed: Promise<unknown> = Promise.resolve();
    this.guard(() => {
      this.adminUp = false;
      this.restartTimer.stop();
      const subcode = cease?.subcode ?? CeaseSubcode.AdministrativeShutdown;
      const communicates =
        subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset;
      const data = cease?.message && communicates ? encodeShutdownCommunication(cease.message) : undefined;
      const reason: DownReason = { kind: "adminDown", ...(cease?.message ? { message: cease.message } : {}) };
      closed = Promise.all(this.conns.map((c) => c.closed));
      for (const conn of [...this.conns]) {
        this.fireConn(conn, { type: "ManualStop", subcode, ...(data ? { data } : {}) }, { reason });
      }
      this.fireBase({ type: "ManualStop" });
      this.lastDownReason = reason;
    });
    return closed.then(() => undefined);
  }

  /** An inbound TCP connection from this peer's address, handed over by the speaker's listener. */
  acceptIncoming(socket: Socket): void {
    this.guard(() => {
      socket.on("error", () => {});
      if (!this.adminUp) {
        this.refuse(socket, CeaseSubcode.ConnectionRejected);
        return;
      }
      if (this.conns.some((c) => c.state === State.Established && !c.isClosing)) {
        this.refuse(socket, CeaseSubcode.ConnectionCollisionResolution);
        return;
      }
      this.applyTtl(socket);
      const stale = this.conns.filter((c) => !c.outgoing && !c.isClosing);
      if (this.base === State.Idle && this.conns.length === 0) {
        // Waiting out a backoff: the peer is ready now, so listen instead of waiting.
        this.restartTimer.stop();
        this.fireBase({ type: "AutomaticStart_with_PassiveTcpEstablishment" });
      }
      const conn = new Connection(socket, false, State.Active, this.clock, this.hooks);
      this.conns.push(conn);
      this.log.debug(`${this.peer.name}: incoming connection from ${socket.remoteAddress}`);
      this.fireConn(conn, { type: "TcpConnectionConfirmed" });
      // A newer inbound connection supersedes one still in its handshake: the peer gave up on it.
      for (const old of stale) this.fireConn(old, { type: "OpenCollisionDump" }, { quiet: true });
    });
  }

  /** Queues an UPDATE; false when not Established (nothing sent). */
  sendUpdate(u: UpdateMessage): boolean {
    const conn = this.establishedConn();
    if (!conn) return false;
    const frame = encodeMessage(u, conn.caps);
    this.sendFrames(conn, [frame], 1);
    return true;
  }

  /** Queues pre-encoded frames (packed UPDATEs) as they are; false when not Established. */
  sendRaw(frames: readonly Uint8Array[]): boolean {
    const conn = this.establishedConn();
    if (!conn) return false;
    let updates = 0;
    for (const f of frames) if (f[18] === MessageType.Update) updates++;
    this.sendFrames(conn, frames, updates);
    return true;
  }

  sendEndOfRib(family: Family): boolean {
    return this.sendUpdate(endOfRibUpdate(family));
  }

  /** Asks the peer to resend `family` (RFC 2918); false if not Established or not negotiated. */
  sendRouteRefresh(family: Family, subtype = 0): boolean {
    const conn = this.establishedConn();
    if (!conn?.negotiated?.routeRefresh) return false;
    const frame = encodeMessage(
      { type: MessageType.RouteRefresh, afi: family.afi, safi: family.safi, subtype },
      conn.caps,
    );
    this.sendFrames(conn, [frame], 0);
    return true;
  }

  // -------------------------------------------------------------------------
  // Event plumbing

  private guard(fn: () => void): void {
    this.depth++;
    try {
      fn();
    } catch (e) {
      this.log.warn(`${this.peer.name}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
    } finally {
      this.depth--;
    }
    if (this.depth === 0) this.flush();
  }

  private deliver(d: Delivery): void {
    this.outbox.push(d);
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let d = this.outbox.shift(); d; d = this.outbox.shift()) {
        try {
          (this.emit as (...args: unknown[]) => boolean)(...d);
        } catch (e) {
          this.log.warn(`${this.peer.name}: '${d[0]}' listener threw: ${e instanceof Error ? e.message : e}`);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private fireBase(event: FsmEvent, ctx: FireContext = {}): void {
    const t = transition(this.base, event);
    this.base = t.next;
    this.run(t, null, ctx);
    if (ctx.reason && this.conns.length === 0) this.lastDownReason = ctx.reason;
    this.settle(event.type);
  }

  private fireConn(conn: Connection, event: FsmEvent, ctx: FireContext = {}): void {
    if (!this.conns.includes(conn)) return;
    const t = transition(conn.state, event);
    conn.state = t.next;
    this.run(t, conn, ctx);
    if (t.next === State.Idle || t.next === State.Active) {
      conn.close();
      this.conns = this.conns.filter((c) => c !== conn);
      if (this.conns.length === 0 && !ctx.quiet) {
        if (t.next === State.Idle) {
          this.cancelAttempt();
          this.connectRetryTimer.stop();
          this.base = State.Idle;
        } else {
          this.base = this.attempt ? State.Connect : State.Active;
        }
        this.lastDownReason = ctx.reason ?? reasonFromActions(t.actions) ?? { kind: "connectionClosed" };
      }
    }
    this.settle(event.type);
  }

  /** Recomputes the visible state, tells listeners, and schedules a restart from Idle. */
  private settle(cause: string): void {
    let next = this.base;
    let best: Connection | undefined;
    for (const c of this.conns) {
      if (!best || STATE_RANK[c.state] > STATE_RANK[best.state]) best = c;
    }
    if (best) next = best.state;
    if (next !== this.current) {
      const from = this.current;
      this.current = next;
      this.changedAt = new Date(this.clock.now());
      this.log.info(`${this.peer.name}: ${from} -> ${next} (${cause})`);
      this.deliver(["state", from, next, cause]);
      if (next === State.Established && best?.negotiated) {
        this.negotiatedNow = best.negotiated;
        // Late outgoing attempts can only collide with a session we keep anyway.
        this.cancelAttempt();
        this.deliver(["established", best.negotiated]);
      }
      if (from === State.Established) {
        this.negotiatedNow = undefined;
        this.deliver(["down", this.lastDownReason ?? { kind: "connectionClosed" }]);
      }
    }
    if (this.adminUp && this.base === State.Idle && this.conns.length === 0 && !this.restartTimer.armed) {
      if (this.peer.passive) {
        this.fireBase({ type: "AutomaticStart_with_PassiveTcpEstablishment" });
      } else {
        this.restartTimer.arm(this.retryDelayMs());
      }
    }
  }

  private restart(): void {
    if (!this.adminUp || this.base !== State.Idle || this.conns.length > 0) return;
    this.fireBase({
      type: this.peer.passive ? "AutomaticStart_with_PassiveTcpEstablishment" : "AutomaticStart",
    });
  }

  private retryDelayMs(): number {
    return backoffDelayMs(
      this.connectRetryCounter,
      this.peer.connectRetryMin ?? DEFAULT_CONNECT_RETRY_MIN,
      this.peer.connectRetryMax ?? DEFAULT_CONNECT_RETRY_MAX,
      this.random,
    );
  }

  // -------------------------------------------------------------------------
  // FSM actions

  private run(t: Transition, conn: Connection | null, ctx: FireContext): void {
    for (const a of t.actions) this.runAction(a, t, conn, ctx);
  }

  private runAction(a: FsmAction, t: Transition, conn: Connection | null, ctx: FireContext): void {
    switch (a.type) {
      case "InitializeResources":
        return;
      case "ReleaseResources":
        conn?.hold.stop();
        conn?.keepalive.stop();
        return;
      case "InitiateConnection":
        this.initiate();
        return;
      case "DropConnection":
        if (conn) conn.close();
        else this.cancelAttempt();
        return;
      case "StartConnectRetryTimer": {
        // A passive peer never connects out; a surviving connection makes retrying moot.
        if (this.peer.passive) return;
        if (conn && this.conns.some((c) => c !== conn && !c.isClosing)) return;
        const delay = this.retryDelayMs();
        this.connectRetryTimer.arm(
          t.next === State.Connect ? Math.max(delay, MIN_CONNECT_TIMEOUT_MS) : delay,
        );
        return;
      }
      case "StopConnectRetryTimer":
        this.connectRetryTimer.stop();
        return;
      case "ZeroConnectRetryCounter":
        this.connectRetryCounter = 0;
        return;
      case "IncrementConnectRetryCounter":
        this.connectRetryCounter++;
        return;
      case "SendOpen":
        if (conn) this.sendOpen(conn);
        return;
      case "SendKeepalive":
        if (conn) this.sendFrames(conn, [KEEPALIVE_FRAME], 0);
        return;
      case "SendNotification":
        if (conn) this.sendNotification(conn, a.code, a.subcode, a.data);
        return;
      case "ArmHoldTimer": {
        if (!conn) return;
        const seconds = a.duration === "large" ? LARGE_HOLD_TIME_SECONDS : (conn.negotiated?.holdTime ?? 0);
        if (seconds > 0) conn.hold.arm(seconds * 1000);
        else conn.hold.stop();
        return;
      }
      case "ArmKeepaliveTimer": {
        const keepalive = conn?.negotiated?.keepalive ?? 0;
        if (conn && keepalive > 0) conn.keepalive.arm(keepalive * 1000);
        return;
      }
      case "ProcessUpdate":
        if (ctx.update) {
          this.deliver(["update", this.sessionChecks(ctx.update.message), ctx.update.problems]);
        }
        return;
      case "ProcessRouteRefresh":
        if (ctx.routeRefresh) this.deliver(["routeRefresh", ctx.routeRefresh]);
        return;
    }
  }

  private localOpen(): OpenMessage {
    return buildOpen({
      asn: this.local.asn,
      routerId: this.local.routerId,
      holdTime: this.peer.holdTime,
      families: this.peer.families,
      ...(this.local.gracefulRestart ? { gracefulRestart: this.local.gracefulRestart } : {}),
      ...(this.peer.extendedMessage ? { extendedMessage: true } : {}),
      ...(this.peer.extendedNextHop ? { extendedNextHop: true } : {}),
    });
  }

  private sendOpen(conn: Connection): void {
    this.sendFrames(conn, [encodeMessage(this.localOpen(), conn.caps)], 0);
  }

  private sendNotification(conn: Connection, code: number, subcode: number, data?: Uint8Array): void {
    const frame = encodeMessage(
      { type: MessageType.Notification, code, subcode, data: data ?? new Uint8Array(0) },
      conn.caps,
    );
    this.counters.notificationsOut++;
    this.sendFrames(conn, [frame], 0);
  }

  private sendFrames(conn: Connection, frames: readonly Uint8Array[], updates: number): void {
    this.counters.messagesOut += frames.length;
    this.counters.updatesOut += updates;
    conn.write(frames);
    // RFC 4271 8.2.2: sending an UPDATE restarts the KeepaliveTimer too.
    if (updates > 0 && conn.keepalive.armed) {
      const keepalive = conn.negotiated?.keepalive ?? 0;
      if (keepalive > 0) conn.keepalive.arm(keepalive * 1000);
    }
  }

  /** Closes a connection we will not run, telling the peer why. */
  private refuse(socket: Socket, subcode: CeaseSubcode): void {
    try {
      const frame = encodeMessage(
        { type: MessageType.Notification, code: ErrorCode.Cease, subcode, data: new Uint8Array(0) },
        { fourOctetAs: false, extendedMessage: false },
      );
      this.counters.notificationsOut++;
      socket.end(frame);
    } catch {
      socket.destroy();
    }
    socket.resume();
    const linger = setTimeout(() => socket.destroy(), 3000);
    linger.unref();
    socket.once("close", () => clearTimeout(linger));
  }

  private applyTtl(socket: Socket): void {
    try {
      const ttl = ttlOptions({
        ebgp: this.peer.asn !== this.local.asn,
        ...(this.peer.multihop !== undefined ? { multihop: this.peer.multihop } : {}),
        ...(this.peer.ttlSecurity !== undefined ? { ttlSecurity: this.peer.ttlSecurity } : {}),
      });
      setTtl(socket, ttl.ttl);
      if (ttl.minTtl !== undefined) setMinTtl(socket, ttl.minTtl);
    } catch (e) {
      this.log.warn(`${this.peer.name}: cannot set TTL on incoming connection: ${socketErrorText(e)}`);
    }
  }

  // -------------------------------------------------------------------------
  // Outgoing connections

  private initiate(): void {
    if (this.peer.passive) return;
    this.cancelAttempt();
    const id = ++this.attemptSeq;
    this.attempt = { id };
    let options: ConnectOptions;
    let pending: Promise<Socket>;
    try {
      const ttl = ttlOptions({
        ebgp: this.peer.asn !== this.local.asn,
        ...(this.peer.multihop !== undefined ? { multihop: this.peer.multihop } : {}),
        ...(this.peer.ttlSecurity !== undefined ? { ttlSecurity: this.peer.ttlSecurity } : {}),
      });
      options = {
        remoteAddress: this.peer.address,
        remotePort: this.peer.port,
        timeoutMs: Math.max(this.retryDelayMs(), MIN_CONNECT_TIMEOUT_MS),
        ttl: ttl.ttl,
        ...(ttl.minTtl !== undefined ? { minTtl: ttl.minTtl } : {}),
        ...(this.peer.localAddress !== undefined ? { localAddress: this.peer.localAddress } : {}),
        ...(this.peer.password !== undefined ? { password: this.peer.password } : {}),
      };
      pending = this.connectFn(options);
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(
      (socket) => this.guard(() => this.onConnected(id, socket)),
      (err: unknown) => this.guard(() => this.onConnectFailed(id, err)),
    );
  }

  private cancelAttempt(): void {
    this.attempt = null;
  }

  private onConnected(id: number, socket: Socket): void {
    socket.on("error", () => {});
    if (this.attempt?.id !== id || !this.adminUp) {
      socket.destroy();
      return;
    }
    this.attempt = null;
    if (this.conns.some((c) => c.state === State.Established && !c.isClosing)) {
      this.refuse(socket, CeaseSubcode.ConnectionCollisionResolution);
      return;
    }
    const conn = new Connection(socket, true, State.Connect, this.clock, this.hooks);
    this.conns.push(conn);
    this.log.debug(`${this.peer.name}: connected to ${this.peer.address}:${this.peer.port}`);
    this.fireConn(conn, { type: "Tcp_CR_Acked" });
  }

  private onConnectFailed(id: number, err: unknown): void {
    if (this.attempt?.id !== id) return;
    this.attempt = null;
    const error = socketErrorText(err);
    this.log.debug(`${this.peer.name}: connect failed: ${error}`);
    // Another connection is already doing the job: the failed attempt changes nothing.
    if (this.conns.length > 0) return;
    this.fireBase({ type: "TcpConnectionFails" }, { reason: { kind: "connectionFailed", error } });
  }

  // -------------------------------------------------------------------------
  // Incoming messages

  private onFrame(conn: Connection, frame: Uint8Array): void {
    if (!this.conns.includes(conn)) return;
    this.counters.messagesIn++;
    let decoded: ReturnType<typeof decodeMessage>;
    try {
      decoded = decodeMessage(frame, conn.caps);
    } catch (e) {
      this.onDecodeError(conn, e, eventForFrame(frame));
      return;
    }
    // Every message counts as a sign of life, whatever the state does with it.
    const m = decoded.message;
    switch (m.type) {
      case MessageType.Open:
        this.onOpen(conn, m);
        return;
      case MessageType.Update:
        this.counters.updatesIn++;
        this.fireConn(conn, { type: "UpdateMsg" }, { update: { message: m, problems: decoded.problems } });
        return;
      case MessageType.Notification: {
        this.counters.notificationsIn++;
        const message = decodeShutdownCommunication(m);
        const reason: DownReason = {
          kind: "notificationReceived",
          code: m.code,
          subcode: m.subcode,
          ...(message !== null ? { message } : {}),
        };
        const versionError = m.code === ErrorCode.OpenMessage && m.subcode === 1;
        this.fireConn(conn, { type: versionError ? "NotifMsgVerErr" : "NotifMsg" }, { reason });
        return;
      }
      case MessageType.Keepalive:
        this.fireConn(conn, { type: "KeepAliveMsg" });
        return;
      case MessageType.RouteRefresh:
        this.fireConn(conn, { type: "RouteRefreshMsg" }, { routeRefresh: m });
        return;
    }
  }

  private onDecodeError(
    conn: Connection,
    e: unknown,
    fallback: "BGPHeaderErr" | "BGPOpenMsgErr" | "UpdateMsgErr" | "RouteRefreshMsgErr",
  ): void {
    const err = e instanceof BgpError ? e : null;
    const code = err?.code ?? FALLBACK_CODES[fallback];
    const subcode = err?.subcode ?? 0;
    const data = err?.data;
    const type =
      code === ErrorCode.MessageHeader
        ? "BGPHeaderErr"
        : code === ErrorCode.OpenMessage
          ? "BGPOpenMsgErr"
          : code === ErrorCode.UpdateMessage
            ? "UpdateMsgErr"
            : code === ErrorCode.RouteRefresh
              ? "RouteRefreshMsgErr"
              : fallback;
    const text = e instanceof Error ? e.message : String(e);
    this.log.warn(`${this.peer.name}: bad message from peer: ${text}`);
    this.fireConn(
      conn,
      { type, code, subcode, ...(data && data.length > 0 ? { data } : {}) },
      { reason: { kind: "notificationSent", code, subcode, message: text } },
    );
  }

  private onOpen(conn: Connection, open: OpenMessage): void {
    if (conn.state !== State.OpenSent) {
      // An OPEN anywhere else is unexpected; the table answers with the FSM error.
      this.fireConn(conn, { type: "BGPOpen" });
      return;
    }
    const err = validateOpen(open, {
      localAsn: this.local.asn,
      localRouterId: this.local.routerId,
      peerAsn: this.peer.asn,
    });
    if (err) {
      this.log.warn(`${this.peer.name}: rejecting OPEN: ${err.message}`);
      this.fireConn(
        conn,
        {
          type: "BGPOpenMsgErr",
          code: err.code,
          subcode: err.subcode,
          ...(err.data.length > 0 ? { data: err.data } : {}),
        },
        { reason: { kind: "openError", code: err.code, subcode: err.subcode, reason: err.message } },
      );
      return;
    }
    conn.peerOpen = open;
    conn.negotiated = negotiate(this.localOpen(), open, this.peer.keepalive);
    conn.caps = conn.negotiated.caps;
    if (conn.caps.extendedMessage) conn.setMaxMessageLength(MAX_EXTENDED_MESSAGE_LENGTH);

    // RFC 4271 section 6.8: now that the peer's identifier is known, settle any collision.
    for (const other of [...this.conns]) {
      if (other === conn || other.isClosing) continue;
      if (other.state === State.Established || this.collisionWinner(conn, other, open) === other) {
        this.log.info(`${this.peer.name}: connection collision, closing the ${dir(conn)} connection`);
        this.fireConn(conn, { type: "OpenCollisionDump" }, { quiet: true });
        return;
      }
      this.log.info(`${this.peer.name}: connection collision, closing the ${dir(other)} connection`);
      this.fireConn(other, { type: "OpenCollisionDump" }, { quiet: true });
    }
    this.fireConn(conn, { type: "BGPOpen" });
  }

  /** The connection to keep: the one initiated by the side with the higher BGP identifier. */
  private collisionWinner(a: Connection, b: Connection, peerOpen: OpenMessage): Connection {
    if (a.outgoing === b.outgoing) return a.id > b.id ? a : b;
    const ours = a.outgoing ? a : b;
    const theirs = a.outgoing ? b : a;
    const localId = routerIdNumber(this.local.routerId);
    const peerId = routerIdNumber(peerOpen.routerId);
    // RFC 6286 section 2.3: equal identifiers (eBGP only) fall back to the larger AS.
    if (localId === peerId) return this.local.asn > peerOpen.asn ? ours : theirs;
    return localId > peerId ? ours : theirs;
  }

  /** Session-level UPDATE checks the codec cannot know about (it has no idea who the peer is). */
  private sessionChecks(u: UpdateMessage): UpdateMessage {
    if (this.peer.asn === this.local.asn) return u;
    const a = u.attributes;
    // RFC 4271 5.1.5 and RFC 4456: LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST mean nothing from an external peer.
    if (a.localPref === undefined && a.originatorId === undefined && a.clusterList === undefined) return u;
    const { localPref: _l, originatorId: _o, clusterList: _c, ...rest } = a;
    return { ...u, attributes: rest };
  }

  private establishedConn(): Connection | undefined {
    return this.conns.find((c) => c.state === State.Established && !c.isClosing);
  }
}

const FALLBACK_CODES = {
  BGPHeaderErr: ErrorCode.MessageHeader,
  BGPOpenMsgErr: ErrorCode.OpenMessage,
  UpdateMsgErr: ErrorCode.UpdateMessage,
  RouteRefreshMsgErr: ErrorCode.RouteRefresh,
} as const;

function eventForFrame(
  frame: Uint8Array,
): "BGPHeaderErr" | "BGPOpenMsgErr" | "UpdateMsgErr" | "RouteRefreshMsgErr" {
  switch (frame[18]) {
    case MessageType.Open:
      return "BGPOpenMsgErr";
    case MessageType.Update:
      return "UpdateMsgErr";
    case MessageType.RouteRefresh:
      return "RouteRefreshMsgErr";
    default:
      return "BGPHeaderErr";
  }
}

function dir(c: Connection): string {
  return c.outgoing ? "outgoing" : "incoming";
}

function reasonFromActions(actions: FsmAction[]): DownReason | undefined {
  const n = actions.find((a) => a.type === "SendNotification");
  if (n?.type !== "SendNotification") return undefined;
  if (n.code === ErrorCode.HoldTimerExpired) return { kind: "holdTimerExpired" };
  return { kind: "notificationSent", code: n.code, subcode: n.subcode };
}

/** RFC 4724 / RFC 4760 End-of-RIB: an empty UPDATE for IPv4 unicast, an empty MP_UNREACH otherwise. */
export function endOfRibUpdate(family: Family): UpdateMessage {
  if (family.afi === 1 && family.safi === 1) {
    return { type: MessageType.Update, withdrawn: [], attributes: {}, nlri: [] };
  }
  return {
    type: MessageType.Update,
    withdrawn: [],
    attributes: { mpUnreach: { afi: family.afi, safi: family.safi, withdrawn: [] } },
    nlri: [],
  };
}
