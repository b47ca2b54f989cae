// The BGP speaker: one listener per configured address, one Session per peer,
// and the routing core (src/bgp/rib) that holds what peers sent, chooses,
// and decides what goes back out. Every mutation arrives through the methods
// of SpeakerApi, so the agent, the control socket and reload all go through
// the same doors.
import type { Logger } from "pino";
import { LogLimiter } from "../util/log-limiter";
import { isEndOfRib } from "./codec";
import { CeaseSubcode } from "./codec/errors";
import type { Afi, RouteRefreshMessage, UpdateMessage } from "./codec/types";
import type { PeerConfig, SpeakerConfig } from "./config";
import type { FibSink } from "./fib-sink";
import type { NextHopTracker } from "./next-hop-tracker";
import { classifyPeerChange, classifySpeakerChange } from "./reconfigure";
import { ImportHold } from "./rib/import-hold";
import { RibUpdateVisitor } from "./rib/ingest-visitor";
import type { RibPeer } from "./rib/peer";
import { type NextHopResolution, Rib, type RibOptions } from "./rib/rib";
import { RibSettings } from "./rib/settings";
import { RibRouteTable } from "./route-table";
import { routeViews } from "./route-view";
import { refuseConnection } from "./session/connection";
import type { DownReason } from "./session/down-reason";
import { describeDown } from "./session/down-reason";
import { STATE_RANK, State } from "./session/fsm";
import { type CloseIntent, describeClose } from "./session/graceful-close";
import type { GracefulRestartOptions } from "./session/negotiate";
import { Session, type SessionLog } from "./session/session";
import { exportTargetOf } from "./speaker/export-target";
import { endsGracefully, peerSessionDown, resumeAfterRestart } from "./speaker/graceful-restart";
import { importFault } from "./speaker/import-fault";
import { maxPrefixExceeded } from "./speaker/max-prefix";
import { clearOperatorHolds, clearRefreshes, type PeerRuntime, stopPeerTimers } from "./speaker/peer-runtime";
import { reimport } from "./speaker/reimport";
import { PeerRetirement, type RetirementOptions } from "./speaker/retirement";
import { onRouteRefresh, type RouteRefreshContext } from "./speaker/route-refresh";
import { gracefulShutdownState, peerStatus } from "./speaker/status";
import type {
  GracefulShutdownSource,
  GracefulShutdownState,
  PeerStatus,
  RouteTable,
  RouteView,
  SpeakerApi,
  SpeakerStatus,
} from "./speaker-api";
import { BgpListener } from "./transport";
import { warmUpIngest } from "./warm-up";

/** Kept here for the code that imports it from the speaker. */
export { endsGracefully };

export interface SpeakerOptions {
  /** The kernel layer; without one the Loc-RIB only feeds exports and `show route`. */
  fib?: FibSink;
  /** Next-hop reachability; everything resolves without one. */
  resolveNextHop?: (afi: Afi, nextHop: string) => NextHopResolution;
  /** Next-hop tracking (the kernel layer's); without one every next hop is reachable. */
  nextHops?: NextHopTracker;
  /**
   * RFC 4724 restarting speaker: this start follows a restart with the
   * forwarding state kept (kernel routes left in place). Sessions advertise
   * the R and F bits until the table has converged.
   */
  restarting?: boolean;
  /** Every session state change (see SpeakerHooks). */
  peerState?: SpeakerHooks["peerState"];
  /** Run a synthetic table through the ingestion path first, so the first real one meets optimized code (warm-up.ts). */
  warmUp?: boolean;
  /**
   * How long a peer's enhanced route refresh may run (BoRR to EoRR) before
   * the routes it has not re-advertised are swept anyway (RFC 7313 4 leaves
   * the time to the implementation; default 360 s, FRR's stale path time).
   */
  enhancedRefreshTimeoutMs?: number;
  /** How long a peer stays down after an internal error importing its UPDATEs (default 60 s). */
  faultRestartMs?: number;
  /** How long a deconfigured peer's routes may stay while other peers come to cover them (PeerRetirement). */
  retirement?: RetirementOptions;
}

const DEFAULT_ENHANCED_REFRESH_TIMEOUT_MS = 360_000;

/** See SpeakerOptions.faultRestartMs. */
export const DEFAULT_FAULT_RESTART_MS = 60_000;

/** One change of a peer's session state, for the agent's structured log. */
export interface PeerStateChange {
  peer: string;
  from: State;
  to: State;
  /** The RFC 4271 FSM event that caused it, e.g. "HoldTimer_Expires". */
  event: string;
  /** On a step down: why, in BIRD's words (describeDown of the session's lastDown). */
  reason?: string;
}

export interface SpeakerHooks {
  /** Every session state change. When set, the session's own text line for it drops to debug (logged once). */
  peerState?(change: PeerStateChange): void;
}

function normalizeAddress(address: string | undefined): string {
  if (!address) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

export class Speaker implements SpeakerApi {
  private config: SpeakerConfig;
  private readonly peersByName = new Map<string, PeerRuntime>();
  private listeners: BgpListener[] = [];
  private readonly startedAt = new Date();
  private table: RouteTable | undefined;
  private readonly rejectLog = new LogLimiter({ windowMs: 60_000, burst: 3 });
  readonly rib: Rib;
  private readonly hooks: SpeakerHooks;
  /** Shared by every session, so the R bit can be cleared once the table converged. */
  private readonly grLocal: GracefulRestartOptions;
  private readonly refreshContext: RouteRefreshContext;
  private readonly faultRestartMs: number;
  private readonly nextHops: NextHopTracker | undefined;
  /** Deconfigured peers whose routes stay until other peers cover them. */
  private readonly retirement: PeerRetirement;
  /** Holders of graceful shutdown (RFC 8326) and since when it is active. */
  private readonly shutdownHolds = new Set<GracefulShutdownSource>();
  private shutdownSince: Date | undefined;

  constructor(
    config: SpeakerConfig,
    private readonly log: Logger,
    options: SpeakerOptions = {},
  ) {
    this.config = config;
    this.hooks = { ...(options.peerState ? { peerState: options.peerState } : {}) };
    this.faultRestartMs = options.faultRestartMs ?? DEFAULT_FAULT_RESTART_MS;
    this.nextHops = options.nextHops;
    this.grLocal = { ...config.gracefulRestart };
    if (options.restarting && config.gracefulRestart.enabled) {
      this.grLocal.restarting = true;
      this.grLocal.forwardingPreserved = true;
    }
    const ribOptions: RibOptions = {
      onConverged: () => {
        this.grLocal.restarting = false;
        if (this.rib.exporter.held) {
          this.log.info("selection deferral over; sending every peer its table and End-of-RIB");
          this.rib.exporter.release();
        }
      },
      fib: options.fib,
      log,
      resolveNextHop: options.resolveNextHop,
      nextHops: options.nextHops,
      onMaxPrefix: (peer, afi, count) => this.onMaxPrefix(peer, afi, count),
    };
    if (options.warmUp) {
      const started = performance.now();
      const prefixes = warmUpIngest(config, ribOptions);
      log.debug({ prefixes, ms: Math.round(performance.now() - started) }, "ingestion path warmed up");
    }
    this.rib = new Rib(new RibSettings(config), ribOptions);
    this.retirement = new PeerRetirement(
      this.rib,
      log,
      (runtime) => this.closeSession(runtime, CeaseSubcode.PeerDeconfigured),
      options.retirement,
    );
    this.refreshContext = {
      rib: this.rib,
      log,
      timeoutMs: options.enhancedRefreshTimeoutMs ?? DEFAULT_ENHANCED_REFRESH_TIMEOUT_MS,
    };
    // RFC 4724 4.1: a restarting speaker defers its exports until End-of-RIB from every
    // peer (or convergenceTimeout), so peers keep the routes they hold for us as stale
    // rather than seeing a partial table. The kernel side waits for the same moment
    // (FibSink.converged) before it removes preserved routes.
    if (this.grLocal.restarting) {
      this.rib.exporter.hold();
      log.info(
        { convergenceTimeout: this.rib.settings.convergenceTimeoutMs / 1000 },
        "restarting: deferring exports until End-of-RIB from every peer",
      );
    }
  }

  async start(): Promise<void> {
    await this.openListeners();
    this.rib.setOriginated(this.config.prefixes);
    for (const peer of this.config.peers) this.addPeer(peer);
    this.rib.start();
  }

  async stop(message?: string, intent?: CloseIntent): Promise<void> {
    const retiring = this.retirement.openRuntimes();
    this.retirement.stop();
    this.rib.stop();
    // A restart is an Administrative Reset: RFC 8538 section 5 recommends Hard Reset for
    // Administrative Shutdown, and only a peer that keeps our routes makes the restart lossless.
    const subcode =
      intent === "restart" ? CeaseSubcode.AdministrativeReset : CeaseSubcode.AdministrativeShutdown;
    const stops = [...this.peersByName.values(), ...retiring].map((p) => {
      stopPeerTimers(p);
      const established = p.session.state === State.Established;
      return p.session.stop({ subcode, message, ...(intent ? { intent } : {}) }).then(() => {
        const style = p.session.lastCloseStyle;
        if (established && style)
          this.log.info({ peer: p.config.name, intent }, `closed: ${describeClose(style)}`);
      });
    });
    await Promise.allSettled(stops);
    this.peersByName.clear();
    await this.closeListeners();
  }

  status(): SpeakerStatus {
    return {
      routerId: this.config.routerId,
      asn: this.config.asn,
      startedAt: this.startedAt.toISOString(),
      gracefulShutdown: this.gracefulShutdownState(),
    };
  }

  setGracefulShutdown(source: GracefulShutdownSource, on: boolean): GracefulShutdownState {
    const had = this.shutdownHolds.has(source);
    if (on === had) return this.gracefulShutdownState();
    if (on) this.shutdownHolds.add(source);
    else this.shutdownHolds.delete(source);
    const active = this.shutdownHolds.size > 0;
    if (active !== this.rib.exporter.gracefulShutdown) {
      this.shutdownSince = active ? new Date() : undefined;
      this.log.warn(
        { source },
        active
          ? "graceful shutdown: announcing every route with GRACEFUL_SHUTDOWN (65535:0) and LOCAL_PREF 0"
          : "graceful shutdown over: announcing routes normally again",
      );
      // Peers see the change as a re-export of every route (RFC 8326 §3), no session reset.
      this.rib.exporter.setGracefulShutdown(active);
    } else {
      this.log.info({ source, on, holders: [...this.shutdownHolds] }, "graceful shutdown hold changed");
    }
    return this.gracefulShutdownState();
  }

  private gracefulShutdownState(): GracefulShutdownState {
    return gracefulShutdownState(this.shutdownHolds, this.shutdownSince);
  }

  peers(): PeerStatus[] {
    return [...this.peersByName.values()].map((p) => peerStatus(p));
  }

  routes(): RouteView[] {
    return routeViews(this.rib, this.startedAt);
  }

  routeTable(): RouteTable {
    this.table ??= new RibRouteTable(this.rib, this.startedAt);
    return this.table;
  }

  enablePeer(name: string): void {
    const p = this.mustGet(name);
    clearOperatorHolds(p);
    if (!p.disabled) return;
    p.disabled = false;
    p.session.start();
  }

  disablePeer(name: string, message?: string): void {
    const p = this.mustGet(name);
    clearOperatorHolds(p);
    if (p.disabled) return;
    p.disabled = true;
    void p.session.stop({ subcode: CeaseSubcode.AdministrativeShutdown, message });
  }

  restartPeer(name: string): void {
    const p = this.mustGet(name);
    clearOperatorHolds(p);
    // An operator's restart overrides a BFD hold; a BFD session still down takes it down again.
    p.bfdHold = undefined;
    p.disabled = false;
    void p.session.stop({ subcode: CeaseSubcode.AdministrativeReset }).then(() => p.session.start());
  }

  /**
   * The peer's BFD session failed (RFC 5882 §4.3): the BGP session goes down
   * now, its routes leave the RIB (and so the kernel) with it, and it stays
   * down (no reconnect, incoming refused) until bfdUp. Unknown names are ignored.
   */
  bfdDown(name: string, reason: string): void {
    const p = this.peersByName.get(name);
    if (!p || p.bfdHold) return;
    p.bfdHold = reason;
    this.log.warn({ peer: name, reason }, "BFD down: taking the BGP session down");
    // Forwarding to the peer failed: its routes must go on both sides (Hard Reset with N).
    void p.session.stop({ subcode: CeaseSubcode.AdministrativeReset, message: reason, intent: "remove" });
  }

  /** The peer's BFD session is Up again, or BFD no longer applies: release the hold of bfdDown. */
  bfdUp(name: string): void {
    const p = this.peersByName.get(name);
    if (!p?.bfdHold) return;
    p.bfdHold = undefined;
    if (!p.disabled && !p.hold.active) p.session.start();
  }

  refreshPeer(name: string): void {
    const p = this.mustGet(name);
    for (const family of p.session.negotiated?.families ?? []) p.session.sendRouteRefresh(family);
  }

  async reconfigure(next: SpeakerConfig): Promise<void> {
    const prev = this.config;
    this.config = next;
    const global = classifySpeakerChange(prev, next);
    // The sessions reset below (a session-level change) advertise what the config says now.
    const gr = next.gracefulRestart;
    if (gr.enabled !== prev.gracefulRestart.enabled || gr.restartTime !== prev.gracefulRestart.restartTime) {
      this.grLocal.enabled = gr.enabled;
      this.grLocal.restartTime = gr.restartTime;
      if (!gr.enabled) {
        this.grLocal.restarting = false;
        this.grLocal.forwardingPreserved = false;
      }
    }
    if (global.listen) {
      await this.closeListeners();
      await this.openListeners();
    }
    // AS and router ID live in the settings too (loop checks, reflection), not only the routing keys.
    if (global.routing || global.session) this.rib.settings = new RibSettings(next);
    const nextByName = new Map(next.peers.map((p) => [p.name, p]));
    const toReimport: PeerRuntime[] = [];
    let reexportAll = global.exports;
    for (const [name, runtime] of [...this.peersByName]) {
      const wanted = nextByName.get(name);
      if (!wanted) {
        // Make-before-break: its session and routes stay until other peers cover them (PeerRetirement).
        this.peersByName.delete(name);
        stopPeerTimers(runtime);
        this.retirement.retire(runtime);
        continue;
      }
      const change = classifyPeerChange(runtime.config, wanted);
      if (global.session || change.session) {
        this.removePeer(runtime, CeaseSubcode.OtherConfigurationChange);
        this.addPeer(wanted);
        continue;
      }
      runtime.config = wanted;
      this.rib.reconfigurePeer(runtime.rib, wanted);
      if (change.imports || (global.imports && wanted.importPolicy === undefined)) toReimport.push(runtime);
      if (change.reflection) reexportAll = true;
      else if (change.exports && !reexportAll) this.rib.exporter.resync(runtime.rib);
    }
    for (const peer of next.peers) {
      if (this.peersByName.has(peer.name)) continue;
      // Configured again while retiring: the old session goes now, or the new one would collide with it.
      this.retirement.finishNamed(peer.name);
      this.addPeer(peer);
    }
    this.updateListenerKeys();
    if (global.decision) this.rib.recomputeAll();
    this.rib.setOriginated(next.prefixes);
    if (reexportAll) for (const p of this.peersByName.values()) this.rib.exporter.resync(p.rib);
    for (const runtime of toReimport) reimport(runtime, this.log);
  }

  // -------------------------------------------------------------------------

  private mustGet(name: string): PeerRuntime {
    const p = this.peersByName.get(name);
    if (!p) throw new Error(`unknown protocol "${name}"`);
    return p;
  }

  private addPeer(config: PeerConfig): void {
    // The peer's own address is the next hop of most of what an eBGP peer sends:
    // asked now, the tracker has its answer before the first UPDATE. Asked at
    // that UPDATE, the answer (a netlink lookup) came after the RIB had taken
    // the first few thousand routes as unreachable, to decide them all again.
    if (!config.address.toLowerCase().startsWith("fe80:")) this.nextHops?.reachable(config.address);
    const session = new Session({
      local: {
        asn: this.config.asn,
        routerId: this.config.routerId,
        gracefulRestart: this.grLocal,
      },
      peer: config,
      log: this.sessionLog(config.name),
    });
    const runtime: PeerRuntime = {
      config,
      session,
      rib: this.rib.addPeer(config),
      disabled: config.disabled === true,
      refreshing: new Map(),
      hold: new ImportHold(),
    };
    this.peersByName.set(config.name, runtime);
    this.forwardState(session);
    session.on("established", () => this.onEstablished(runtime));
    session.on("update", (u: UpdateMessage, problems: unknown[]) => this.onUpdate(runtime, u, problems));
    // IPv4 UPDATEs the codec can walk in place go straight into the RIB as numbers; the rest arrive as "update".
    session.setUpdateVisitor(
      new RibUpdateVisitor(this.rib, runtime.rib, runtime.hold, (err) => this.onImportFault(runtime, err)),
    );
    session.on("routeRefresh", (m: RouteRefreshMessage) => onRouteRefresh(this.refreshContext, runtime, m));
    // The RIB writes to a peer only while its socket takes it; this says it takes more.
    session.on("drain", () => this.rib.exporter.pump(runtime.rib));
    session.on("down", (reason: DownReason) => this.onDown(runtime, reason));
    this.updateListenerKeys();
    if (!runtime.disabled) session.start();
  }

  private removePeer(runtime: PeerRuntime, subcode: CeaseSubcode): void {
    this.peersByName.delete(runtime.config.name);
    stopPeerTimers(runtime);
    this.closeSession(runtime, subcode);
    this.rib.removePeer(runtime.rib);
  }

  /** Ends a session the speaker lets go of; its routes are the caller's business. */
  private closeSession(runtime: PeerRuntime, subcode: CeaseSubcode): void {
    runtime.session.removeAllListeners();
    // Its last state change (down, with the Cease) is still worth a log line.
    this.forwardState(runtime.session);
    void runtime.session.stop({ subcode });
  }

  private sessionLog(peer: string): SessionLog {
    const child = this.log.child({ peer });
    if (!this.hooks.peerState) return child;
    return {
      debug: (msg) => child.debug(msg),
      info: (msg) => child.debug(msg),
      warn: (msg) => child.warn(msg),
    };
  }

  private forwardState(session: Session): void {
    const hook = this.hooks.peerState;
    if (!hook) return;
    session.on("state", (from: State, to: State, event: string) => {
      const change: PeerStateChange = { peer: session.name, from, to, event };
      const down = session.lastDown;
      if (STATE_RANK[to] < STATE_RANK[from] && down) change.reason = describeDown(down);
      hook(change);
    });
  }

  private async openListeners(): Promise<void> {
    for (const l of this.config.listen) {
      const listener = await BgpListener.listen({ address: l.address, port: l.port });
      listener.on("connection", (socket) => this.onIncoming(socket));
      this.listeners.push(listener);
      this.log.info({ address: l.address, port: listener.port }, "listening");
    }
    this.updateListenerKeys();
  }

  private async closeListeners(): Promise<void> {
    const all = this.listeners;
    this.listeners = [];
    await Promise.allSettled(all.map((l) => l.close()));
  }

  private updateListenerKeys(): void {
    for (const listener of this.listeners) {
      for (const p of this.peersByName.values()) {
        try {
          listener.setPeerKey(p.config.address, p.config.password);
        } catch (err) {
          // A key for the other address family than this listener's socket is refused by the kernel.
          this.log.debug({ peer: p.config.name, err: (err as Error).message }, "listener key not set");
        }
      }
    }
  }

  private onIncoming(socket: import("node:net").Socket): void {
    const remote = normalizeAddress(socket.remoteAddress);
    const runtime = [...this.peersByName.values()].find((p) => p.config.address === remote);
    if (!runtime || runtime.disabled || runtime.hold.active || runtime.bfdHold) {
      // A peer configured on its side but not on ours retries every second or so:
      // a few lines per address per minute, then one line with the count left out.
      const verdict = this.rejectLog.shouldLog(remote);
      if (verdict.log) {
        this.log.warn(
          { remote, ...(verdict.suppressed > 0 ? { suppressed: verdict.suppressed } : {}) },
          runtime
            ? "connection from disabled peer rejected"
            : "connection from unconfigured address rejected",
        );
      }
      refuseConnection(socket, CeaseSubcode.ConnectionRejected);
      return;
    }
    runtime.session.acceptIncoming(socket);
  }

  private onEstablished(runtime: PeerRuntime): void {
    const session = runtime.session;
    const n = session.negotiated;
    if (!n) return;
    const target = exportTargetOf(session, n);
    runtime.peerGr = n.peerGracefulRestart;
    runtime.grNotification = n.gracefulNotification;
    if (this.rib.hasStale(runtime.rib)) resumeAfterRestart(this.rib, runtime, this.log);
    this.rib.peerUp(runtime.rib, target);
  }

  private onUpdate(runtime: PeerRuntime, update: UpdateMessage, problems: unknown[]): void {
    if (runtime.hold.active) return;
    try {
      if (problems.length === 0) {
        const eor = isEndOfRib(update);
        if (eor) {
          this.rib.endOfRib(runtime.rib, eor.afi);
          return;
        }
      }
      this.rib.applyUpdate(runtime.rib, update);
    } catch (err) {
      this.onImportFault(runtime, err);
    }
  }

  private onImportFault(runtime: PeerRuntime, err: unknown): void {
    importFault(runtime, err, this.faultRestartMs, () => this.isCurrent(runtime), this.log);
  }

  private onDown(runtime: PeerRuntime, reason: DownReason): void {
    clearRefreshes(runtime);
    if (this.retirement.holds(runtime)) this.retirement.sessionDown(runtime);
    else peerSessionDown(this.rib, runtime, reason, this.log);
  }

  /** RFC 4486: Cease subcode 1, then stay down for restartAfter seconds. */
  private onMaxPrefix(peer: RibPeer, afi: Afi, count: number): void {
    const runtime = this.peersByName.get(peer.name);
    if (!runtime || runtime.rib !== peer) return;
    maxPrefixExceeded(runtime, afi, count, () => this.isCurrent(runtime), this.log);
  }

  /** Whether the runtime is still the one of its peer (not removed or replaced by a reload). */
  private isCurrent(runtime: PeerRuntime): boolean {
    return this.peersByName.get(runtime.config.name) === runtime;
  }
}
