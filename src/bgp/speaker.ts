// The BGP speaker: one listener per configured address, one Session per peer,
// our originated prefixes (the node's Pod CIDRs) and what each peer sent us.
// Every mutation arrives through the methods of SpeakerApi, so the agent,
// the control socket and reload all go through the same doors.
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import { AdjRibIn } from "./adj-rib-in";
import { encodeAnnouncements, encodeWithdrawals } from "./codec";
import { CeaseSubcode } from "./codec/errors";
import {
  Afi,
  AsPathSegmentType,
  type Family,
  Origin,
  type PathAttributes,
  type Prefix,
  Safi,
  type UpdateMessage,
} from "./codec/types";
import type { PeerConfig, SpeakerConfig } from "./config";
import { chooseNextHop } from "./next-hop";
import { formatPrefix, prefixEquals } from "./prefix";
import { routeView } from "./route-view";
import { refuseConnection } from "./session/connection";
import { describeDown } from "./session/down-reason";
import { STATE_RANK, State } from "./session/fsm";
import { capabilityNames } from "./session/negotiate";
import { Session, type SessionLog } from "./session/session";
import type { FamilyName, PeerStatus, RouteView, SpeakerApi, SpeakerStatus } from "./speaker-api";
import { BgpListener } from "./transport";

interface PeerRuntime {
  config: PeerConfig;
  session: Session;
  rib: AdjRibIn;
  /** Prefixes currently advertised to this peer, by family. */
  exported: number;
  disabled: boolean;
}

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

const familyName = (f: Family): FamilyName => (f.afi === Afi.IPv4 ? "ipv4" : "ipv6");

function normalizeAddress(address: string | undefined): string {
  if (!address) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

export class Speaker implements SpeakerApi {
  private config: SpeakerConfig;
  private readonly peersByName = new Map<string, PeerRuntime>();
  private listeners: BgpListener[] = [];
  private readonly startedAt = new Date();

  constructor(
    config: SpeakerConfig,
    private readonly log: Logger,
    private readonly hooks: SpeakerHooks = {},
  ) {
    this.config = config;
  }

  async start(): Promise<void> {
    await this.openListeners();
    for (const peer of this.config.peers) this.addPeer(peer);
  }

  async stop(message?: string): Promise<void> {
    const stops = [...this.peersByName.values()].map((p) =>
      p.session.stop({ subcode: CeaseSubcode.AdministrativeShutdown, message }),
    );
    await Promise.allSettled(stops);
    this.peersByName.clear();
    await this.closeListeners();
  }

  status(): SpeakerStatus {
    return { routerId: this.config.routerId, asn: this.config.asn, startedAt: this.startedAt.toISOString() };
  }

  peers(): PeerStatus[] {
    return [...this.peersByName.values()].map((p) => this.peerStatus(p));
  }

  routes(): RouteView[] {
    const out: RouteView[] = [];
    const bestByPrefix = new Map<string, RouteView>();
    const consider = (view: RouteView) => {
      out.push(view);
      const current = bestByPrefix.get(view.prefix);
      if (!current || view.asPath.length < current.asPath.length) bestByPrefix.set(view.prefix, view);
    };
    for (const prefix of this.config.prefixes) consider(this.originatedView(prefix));
    for (const p of this.peersByName.values()) {
      for (const r of p.rib.entries()) consider(routeView(r, p.config.name));
    }
    for (const best of bestByPrefix.values()) best.best = true;
    return out;
  }

  enablePeer(name: string): void {
    const p = this.mustGet(name);
    if (!p.disabled) return;
    p.disabled = false;
    p.session.start();
  }

  disablePeer(name: string, message?: string): void {
    const p = this.mustGet(name);
    if (p.disabled) return;
    p.disabled = true;
    void p.session.stop({ subcode: CeaseSubcode.AdministrativeShutdown, message });
  }

  restartPeer(name: string): void {
    const p = this.mustGet(name);
    p.disabled = false;
    void p.session.stop({ subcode: CeaseSubcode.AdministrativeReset }).then(() => p.session.start());
  }

  refreshPeer(name: string): void {
    const p = this.mustGet(name);
    for (const family of p.session.negotiated?.families ?? []) p.session.sendRouteRefresh(family);
  }

  async reconfigure(next: SpeakerConfig): Promise<void> {
    const prev = this.config;
    this.config = next;
    if (!isDeepStrictEqual(prev.listen, next.listen)) {
      await this.closeListeners();
      await this.openListeners();
    }
    const nextByName = new Map(next.peers.map((p) => [p.name, p]));
    const globalChanged =
      prev.asn !== next.asn ||
      prev.routerId !== next.routerId ||
      !isDeepStrictEqual(prev.gracefulRestart, next.gracefulRestart);
    for (const [name, runtime] of [...this.peersByName]) {
      const wanted = nextByName.get(name);
      if (!wanted) {
        this.removePeer(runtime, CeaseSubcode.PeerDeconfigured);
      } else if (globalChanged || !isDeepStrictEqual(runtime.config, wanted)) {
        this.removePeer(runtime, CeaseSubcode.OtherConfigurationChange);
        this.addPeer(wanted);
      }
    }
    for (const peer of next.peers) if (!this.peersByName.has(peer.name)) this.addPeer(peer);
    this.updateListenerKeys();
    if (!globalChanged) this.reoriginate(prev.prefixes, next.prefixes);
  }

  // -------------------------------------------------------------------------

  private mustGet(name: string): PeerRuntime {
    const p = this.peersByName.get(name);
    if (!p) throw new Error(`unknown protocol "${name}"`);
    return p;
  }

  private addPeer(config: PeerConfig): void {
    const session = new Session({
      local: {
        asn: this.config.asn,
        routerId: this.config.routerId,
        gracefulRestart: this.config.gracefulRestart,
      },
      peer: config,
      log: this.sessionLog(config.name),
    });
    const runtime: PeerRuntime = {
      config,
      session,
      rib: new AdjRibIn(this.config.asn),
      exported: 0,
      disabled: config.disabled === true,
    };
    this.peersByName.set(config.name, runtime);
    this.forwardState(session);
    session.on("established", () => this.onEstablished(runtime));
    session.on("update", (u: UpdateMessage) => this.onUpdate(runtime, u));
    session.on("routeRefresh", (m: { afi: Afi; safi: Safi }) => this.onRouteRefresh(runtime, m));
    session.on("down", () => {
      runtime.rib.clear();
      runtime.exported = 0;
    });
    this.updateListenerKeys();
    if (!runtime.disabled) session.start();
  }

  private removePeer(runtime: PeerRuntime, subcode: CeaseSubcode): void {
    this.peersByName.delete(runtime.config.name);
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
    if (!runtime || runtime.disabled) {
      this.log.warn(
        { remote },
        runtime ? "connection from disabled peer rejected" : "connection from unconfigured address rejected",
      );
      refuseConnection(socket, CeaseSubcode.ConnectionRejected);
      return;
    }
    runtime.session.acceptIncoming(socket);
  }

  private onEstablished(runtime: PeerRuntime): void {
    const negotiated = runtime.session.negotiated;
    if (!negotiated) return;
    for (const family of negotiated.families) {
      this.announce(runtime, family, this.prefixesOf(family.afi));
      runtime.session.sendEndOfRib(family);
    }
  }

  private onUpdate(runtime: PeerRuntime, update: UpdateMessage): void {
    runtime.rib.apply(update);
  }

  private onRouteRefresh(runtime: PeerRuntime, m: { afi: Afi; safi: Safi }): void {
    const family = { afi: m.afi, safi: m.safi };
    if (!runtime.session.negotiated?.families.some((f) => f.afi === m.afi && f.safi === m.safi)) return;
    this.log.info({ peer: runtime.config.name, family: familyName(family) }, "route refresh requested");
    this.announce(runtime, family, this.prefixesOf(m.afi), true);
  }

  private prefixesOf(afi: Afi): Prefix[] {
    return this.config.prefixes.filter((p) => p.afi === afi);
  }

  private exportAttributes(runtime: PeerRuntime, afi: Afi): PathAttributes | undefined {
    const local = runtime.session.localAddress;
    if (!local) return undefined;
    const choice = chooseNextHop(afi, local);
    if (!choice.nextHop) return undefined;
    const ebgp = runtime.config.asn !== this.config.asn;
    const attrs: PathAttributes = {
      origin: Origin.Igp,
      asPath: ebgp ? [{ type: AsPathSegmentType.AsSequence, asns: [this.config.asn] }] : [],
    };
    if (!ebgp) attrs.localPref = 100;
    if (afi === Afi.IPv4) attrs.nextHop = choice.nextHop;
    else
      attrs.mpReach = {
        afi,
        safi: Safi.Unicast,
        nextHop: choice.nextHop,
        linkLocalNextHop: choice.linkLocal,
        nlri: [],
      };
    return attrs;
  }

  private announce(runtime: PeerRuntime, family: Family, prefixes: Prefix[], refresh = false): void {
    if (prefixes.length === 0) return;
    const negotiated = runtime.session.negotiated;
    if (!negotiated?.families.some((f) => f.afi === family.afi)) return;
    const attrs = this.exportAttributes(runtime, family.afi);
    if (!attrs) {
      this.log.warn(
        { peer: runtime.config.name, family: familyName(family) },
        "no usable next hop; not announcing",
      );
      return;
    }
    runtime.session.sendRaw(encodeAnnouncements(family, prefixes, attrs, negotiated.caps));
    if (!refresh) runtime.exported += prefixes.length;
  }

  private withdraw(runtime: PeerRuntime, family: Family, prefixes: Prefix[]): void {
    const negotiated = runtime.session.negotiated;
    if (prefixes.length === 0 || !negotiated || !negotiated.families.some((f) => f.afi === family.afi))
      return;
    runtime.session.sendRaw(encodeWithdrawals(family, prefixes, negotiated.caps));
    runtime.exported = Math.max(0, runtime.exported - prefixes.length);
  }

  private reoriginate(prev: Prefix[], next: Prefix[]): void {
    const added = next.filter((p) => !prev.some((q) => prefixEquals(p, q)));
    const removed = prev.filter((p) => !next.some((q) => prefixEquals(p, q)));
    if (added.length === 0 && removed.length === 0) return;
    this.log.info(
      { added: added.map(formatPrefix), removed: removed.map(formatPrefix) },
      "originated prefixes changed",
    );
    for (const runtime of this.peersByName.values()) {
      if (runtime.session.state !== State.Established) continue;
      for (const afi of [Afi.IPv4, Afi.IPv6]) {
        const family = { afi, safi: Safi.Unicast };
        this.withdraw(
          runtime,
          family,
          removed.filter((p) => p.afi === afi),
        );
        this.announce(
          runtime,
          family,
          added.filter((p) => p.afi === afi),
        );
      }
    }
  }

  private originatedView(prefix: Prefix): RouteView {
    return {
      prefix: formatPrefix(prefix),
      family: prefix.afi === Afi.IPv4 ? "ipv4" : "ipv6",
      nextHop: prefix.afi === Afi.IPv4 ? "0.0.0.0" : "::",
      peer: "static",
      asPath: [],
      origin: "IGP",
      communities: [],
      largeCommunities: [],
      best: false,
      since: this.startedAt.toISOString(),
    };
  }

  private peerStatus(p: PeerRuntime): PeerStatus {
    const s = p.session;
    const established = s.state === State.Established;
    const n = s.negotiated;
    const lastError = s.lastDown ? describeDown(s.lastDown) : undefined;
    return {
      name: p.config.name,
      address: p.config.address,
      asn: p.config.asn,
      localAddress: s.localAddress ?? p.config.localAddress,
      state: p.disabled ? "down" : established ? "up" : "start",
      bgpState: s.state,
      since: s.since.toISOString(),
      info: established ? "Established" : (lastError ?? s.state),
      lastError,
      routerId: n?.peerRouterId,
      holdTime: n?.holdTime,
      keepalive: n?.keepalive,
      capabilities: n ? capabilityNames(n.peerCapabilities) : undefined,
      families: (n?.families ?? p.config.families).map(familyName),
      routes: { imported: p.rib.size, filtered: p.rib.filteredCount, exported: p.exported },
      messages: {
        updatesIn: s.counters.updatesIn,
        updatesOut: s.counters.updatesOut,
        notificationsIn: s.counters.notificationsIn,
        notificationsOut: s.counters.notificationsOut,
      },
    };
  }
}
