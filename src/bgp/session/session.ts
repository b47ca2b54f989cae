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
import type { Socket } from "node:net";
import { endOfRib } from "../codec/eor";
import { CeaseSubcode, type UpdateProblem } from "../codec/errors";
import { KEEPALIVE_FRAME } from "../codec/keepalive";
import { encodeMessage } from "../codec/message";
import { encodeShutdownCommunication } from "../codec/notification";
import {
  type Family,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MessageType,
  type OpenMessage,
  type RouteRefreshMessage,
  type UpdateMessage,
} from "../codec/types";
import { validateOpen } from "../codec/validate";
import type { UpdateVisitor } from "../codec/walk-update";
import type { PeerConfig } from "../config";
import { connectTcp } from "../transport/connect";
import { backoffDelayMs, DEFAULT_CONNECT_RETRY_MAX, DEFAULT_CONNECT_RETRY_MIN } from "./backoff";
import { type Clock, systemClock, Timer } from "./clock";
import { collisionWinner } from "./collision";
import { Connection, type ConnectionHooks, refuseConnection } from "./connection";
import { applyIncomingTtl, connectOptions } from "./dial";
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
import { type CloseIntent, type CloseStyle, closeStyle } from "./graceful-close";
import { GuardedEmitter } from "./guarded-emitter";
import { classifyError, classifyFrame, type Inbound, reasonFromActions, sessionChecks } from "./inbound";
import { buildOpen, type Negotiated, negotiate } from "./negotiate";
import type {
  ConnectFn,
  PeerFeatures,
  SessionCounters,
  SessionEvents,
  SessionLocal,
  SessionLog,
  SessionOptions,
} from "./types";
import { UpdateFastPath } from "./update-fast-path";

// Callers of this module get the option and event types with the class.
export type * from "./types";

/** Upper bound on one outgoing connect attempt, whatever the backoff says. */
const MIN_CONNECT_TIMEOUT_MS = 5000;
/**
 * RFC 4271 8.1.1 DampPeerOscillations: from this many consecutive failures of
 * connections that were up (a bad OPEN, a drop in the handshake, a session
 * lost), the session holds in Idle for a growing time and refuses the peer's
 * connections meanwhile. Failures to connect at all do not count: a peer that
 * comes back after an outage is let in at once.
 */
export const DAMP_AFTER_FAILURES = 3;
/** A session that stayed Established this long was not oscillating: its next loss starts counting afresh. */
export const STABLE_SESSION_MS = 60_000;

interface FireContext {
  /** Why the session went down, if this event takes it down. */
  reason?: DownReason;
  /** A collision loser: its going away is not the session going down. */
  quiet?: boolean;
  update?: { message: UpdateMessage; problems: UpdateProblem[] };
  routeRefresh?: RouteRefreshMessage;
}

export class Session extends GuardedEmitter<SessionEvents> {
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
  /** Consecutive failures of connections that were up (DampPeerOscillations). */
  private oscillations = 0;
  /** Clock time until which the session holds in Idle and refuses the peer. */
  private idleHoldUntil = 0;
  private establishedAt: number | undefined;
  private current: State = State.Idle;
  private changedAt: Date;
  private negotiatedNow?: Negotiated;
  private lastDownReason?: DownReason;
  private lastClose?: CloseStyle;
  private fastPath: UpdateFastPath | undefined;

  constructor(o: SessionOptions) {
    super((msg) => o.log.warn(`${o.peer.name}: ${msg}`));
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
      headerError: (conn, err) => this.guard(() => this.onBadInput(conn, classifyError(err, null))),
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

  /** Our end of the Established connection: the next hop we announce. */
  get localAddress(): string | undefined {
    return this.establishedConn()?.socket.localAddress;
  }

  get lastDown(): DownReason | undefined {
    return this.lastDownReason;
  }

  /** How stop() last closed an Established connection: the NOTIFICATION sent, or none. */
  get lastCloseStyle(): CloseStyle | undefined {
    return this.lastClose;
  }

  /** False while the socket is applying backpressure: wait for 'drain'. */
  get writable(): boolean {
    return this.establishedConn()?.writable ?? false;
  }

  /** Bytes queued for the peer in this process (not yet taken by the kernel); 0 when not Established. */
  get queuedBytes(): number {
    return this.establishedConn()?.queuedBytes ?? 0;
  }

  /** Milliseconds the session still holds in Idle, refusing the peer (DampPeerOscillations); 0 when not damped. */
  get idleHoldMs(): number {
    return Math.max(0, this.idleHoldUntil - this.clock.now());
  }

  /** Consecutive failures of connections that were up, as counted for damping. */
  get oscillationCount(): number {
    return this.oscillations;
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
   * communication for subcodes 2 and 4) and closes. With graceful restart the
   * NOTIFICATION depends on `intent` and on what was negotiated (graceful-close.ts):
   * a Hard Reset, a plain Cease, or none. Resolves once sockets are closed.
   */
  stop(cease?: { subcode: CeaseSubcode; message?: string; intent?: CloseIntent }): Promise<void> {
    let closed: Promise<unknown> = Promise.resolve();
    this.guard(() => {
      this.adminUp = false;
      this.restartTimer.stop();
      // An operator's stop ends any damping: the next start is a fresh one.
      this.oscillations = 0;
      this.idleHoldUntil = 0;
      const subcode = cease?.subcode ?? CeaseSubcode.AdministrativeShutdown;
      const communicates =
        subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset;
      const data = cease?.message && communicates ? encodeShutdownCommunication(cease.message) : undefined;
      const localGr = this.local.gracefulRestart?.enabled === true;
      let graceful = false;
      closed = Promise.all(this.conns.map((c) => c.closed));
      for (const conn of [...this.conns]) {
        const style = closeStyle(
          conn.state === State.Established ? conn.negotiated : undefined,
          localGr,
          subcode,
          data,
          cease?.intent,
        );
        if (conn.state === State.Established) {
          graceful = style.graceful;
          this.lastClose = style;
        }
        const reason: DownReason = {
          kind: "adminDown",
          ...(cease?.message ? { message: cease.message } : {}),
          ...(style.graceful ? { graceful: true } : {}),
        };
        const event: FsmEvent =
          style.kind === "silent"
            ? { type: "ManualStop", silent: true }
            : { type: "ManualStop", subcode: style.subcode, ...(style.data ? { data: style.data } : {}) };
        this.fireConn(conn, event, { reason });
      }
      const reason: DownReason = {
        kind: "adminDown",
        ...(cease?.message ? { message: cease.message } : {}),
        ...(graceful ? { graceful: true } : {}),
      };
      this.fireBase({ type: "ManualStop" });
      this.lastDownReason = reason;
    });
    return closed.then(() => undefined);
  }

  /** An inbound TCP connection from this peer's address, handed over by the speaker's listener. */
  acceptIncoming(socket: Socket): void {
    this.guard(() => {
      socket.on("error", () => {});
      if (!this.adminUp || this.idleHoldMs > 0) {
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

  /**
   * The ingestion fast path: from now on, IPv4 UPDATEs the codec's walker can
   * handle (see codec/walk-update.ts) go to `visitor` as numbers, synchronously
   * and in order with every event (a frame is walked only when no event is
   * waiting), instead of as "update" events. Everything else (End-of-RIB, other
   * families, RFC 7606 problems, errors) still arrives as before. undefined turns it off.
   */
  setUpdateVisitor(visitor: UpdateVisitor | undefined): void {
    this.fastPath = visitor ? new UpdateFastPath(visitor, this.peer.asn !== this.local.asn) : undefined;
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
    return this.sendUpdate(endOfRib(family));
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
        this.establishedAt = this.clock.now();
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
        this.restartTimer.arm(Math.max(this.retryDelayMs(), this.idleHoldMs));
      }
    }
  }

  /** A connection that was up failed: count it, and hold in Idle once the peer keeps doing so. */
  private noteOscillation(): void {
    const now = this.clock.now();
    if (this.establishedAt !== undefined && now - this.establishedAt >= STABLE_SESSION_MS)
      this.oscillations = 0;
    this.establishedAt = undefined;
    this.oscillations++;
    if (this.oscillations < DAMP_AFTER_FAILURES) return;
    const hold = backoffDelayMs(
      this.oscillations - DAMP_AFTER_FAILURES + 1,
      this.peer.connectRetryMin ?? DEFAULT_CONNECT_RETRY_MIN,
      this.peer.connectRetryMax ?? DEFAULT_CONNECT_RETRY_MAX,
      this.random,
    );
    this.idleHoldUntil = now + hold;
    this.log.info(
      `${this.peer.name}: ${this.oscillations} failures in a row; holding in Idle for ${Math.round(hold / 100) / 10} s (peer oscillation damping)`,
    );
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
        // A collision loser is no failure of the peer's.
        if (conn && !ctx.quiet) this.noteOscillation();
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
          const external = this.peer.asn !== this.local.asn;
          this.deliver(["update", sessionChecks(ctx.update.message, external), ctx.update.problems]);
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
    this.counters.notificationsOut++;
    refuseConnection(socket, subcode);
  }

  private applyTtl(socket: Socket): void {
    try {
      applyIncomingTtl(socket, this.local.asn, this.peer);
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
    let pending: Promise<Socket>;
    try {
      const timeoutMs = Math.max(this.retryDelayMs(), MIN_CONNECT_TIMEOUT_MS);
      pending = this.connectFn(connectOptions(this.local.asn, this.peer, timeoutMs));
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
    if (
      this.fastPath !== undefined &&
      frame[18] === MessageType.Update &&
      conn.state === State.Established &&
      this.nothingPending &&
      this.fastPath.walk(frame, conn.caps)
    ) {
      this.counters.updatesIn++;
      // The FSM still sees the UPDATE (hold timer); there is no message to deliver.
      this.fireConn(conn, { type: "UpdateMsg" });
      return;
    }
    const inbound = classifyFrame(frame, conn.caps);
    switch (inbound.kind) {
      case "open":
        this.onOpen(conn, inbound.open);
        return;
      case "update":
        this.counters.updatesIn++;
        this.fireConn(conn, inbound.event, {
          update: { message: inbound.update, problems: inbound.problems },
        });
        return;
      case "notification":
        this.counters.notificationsIn++;
        this.fireConn(conn, inbound.event, { reason: inbound.reason });
        return;
      case "keepalive":
        this.fireConn(conn, inbound.event);
        return;
      case "routeRefresh":
        this.fireConn(conn, inbound.event, { routeRefresh: inbound.message });
        return;
      case "error":
        this.onBadInput(conn, inbound);
        return;
    }
  }

  private onBadInput(conn: Connection, bad: Extract<Inbound, { kind: "error" }>): void {
    this.log.warn(`${this.peer.name}: bad message from peer: ${bad.text}`);
    this.fireConn(conn, bad.event, { reason: bad.reason });
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
    // The codec's RFC 7606 choices depend on whether the peer is external (SessionCaps.external).
    conn.caps =
      this.peer.asn !== this.local.asn ? { ...conn.negotiated.caps, external: true } : conn.negotiated.caps;
    if (conn.caps.extendedMessage) conn.setMaxMessageLength(MAX_EXTENDED_MESSAGE_LENGTH);

    // RFC 4271 section 6.8: now that the peer's identifier is known, settle any collision.
    for (const other of [...this.conns]) {
      if (other === conn || other.isClosing) continue;
      if (other.state === State.Established || collisionWinner(conn, other, this.local, open) === other) {
        this.log.info(`${this.peer.name}: connection collision, closing the ${dir(conn)} connection`);
        this.fireConn(conn, { type: "OpenCollisionDump" }, { quiet: true });
        return;
      }
      this.log.info(`${this.peer.name}: connection collision, closing the ${dir(other)} connection`);
      this.fireConn(other, { type: "OpenCollisionDump" }, { quiet: true });
    }
    this.fireConn(conn, { type: "BGPOpen" });
  }

  private establishedConn(): Connection | undefined {
    return this.conns.find((c) => c.state === State.Established && !c.isClosing);
  }
}

function dir(c: Connection): string {
  return c.outgoing ? "outgoing" : "incoming";
}
