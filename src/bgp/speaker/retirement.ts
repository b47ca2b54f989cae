// Make-before-break for a peer taken out of the config. Switching a cluster
// from the full mesh to route reflectors removes the node-to-node sessions
// while the reflectors begin to reflect the same routes, and each node applies
// the change on its own: closing a mesh session at once left a prefix
// unrouted, on this node and on the peer (which gets a Hard Reset and drops
// our routes), until the reflector's copies came. Calico's documented
// procedure accepts that window.
//
// So a deconfigured peer whose session is up keeps it (gone from the peer
// list, still importing and exporting) until every route it gave us has a
// fresh route from another peer, or a short deadline passes; then the session
// closes (Cease, Peer De-configured) and its routes go. Should the session end
// first (the peer retired us earlier), its routes stay, as stale, on the same
// terms. A peer with more routes than a node mesh carries goes at once:
// checking a large table again and again would cost more than the gap it
// closes.
import type { Logger } from "pino";
import type { RibPeer } from "../rib/peer";
import type { Rib } from "../rib/rib";
import type { PeerRuntime } from "./peer-runtime";

export interface RetirementOptions {
  /** The longest a deconfigured peer's session and routes stay (default 5 s). */
  deadlineMs?: number;
  /** How often coverage is checked (default 100 ms). */
  checkEveryMs?: number;
  /** Peers with more routes than this go at once (default 10,000). */
  maxRoutes?: number;
}

interface Retiring {
  runtime: PeerRuntime;
  since: number;
  /** Its session was ended (close called). */
  closed: boolean;
}

export class PeerRetirement {
  private readonly retiring = new Map<RibPeer, Retiring>();
  private timer: NodeJS.Timeout | undefined;
  private readonly deadlineMs: number;
  private readonly checkEveryMs: number;
  private readonly maxRoutes: number;

  /** `close` ends a runtime's session (Cease, Peer De-configured) and detaches it from the speaker. */
  constructor(
    private readonly rib: Rib,
    private readonly log: Logger,
    private readonly close: (runtime: PeerRuntime) => void,
    options: RetirementOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs ?? 5000;
    this.checkEveryMs = options.checkEveryMs ?? 100;
    this.maxRoutes = options.maxRoutes ?? 10_000;
  }

  /** Held runtimes whose sessions were not ended yet. */
  openRuntimes(): PeerRuntime[] {
    return [...this.retiring.values()].filter((r) => !r.closed).map((r) => r.runtime);
  }

  holds(runtime: PeerRuntime): boolean {
    return this.retiring.get(runtime.rib)?.runtime === runtime;
  }

  /** Takes over a peer just taken out of the config (no longer among the speaker's peers). */
  retire(runtime: PeerRuntime): void {
    const peer = runtime.rib;
    const r: Retiring = { runtime, since: Date.now(), closed: false };
    this.retiring.set(peer, r);
    // A session that is down (maybe with graceful restart's stale routes) has nothing to keep up.
    if (!peer.established) this.closeOnce(r);
    const routes = routeCount(peer);
    if (routes === 0 || routes > this.maxRoutes || this.rib.coveredByOthers(peer, this.excluded())) {
      this.finish(peer);
      return;
    }
    this.log.info(
      { peer: peer.name, routes },
      "deconfigured peer: keeping its session and routes until other peers cover them",
    );
    this.timer ??= setInterval(() => this.check(), this.checkEveryMs);
    this.timer.unref();
  }

  /** The held peer's session ended: its routes stay as stale until covered or the deadline. */
  sessionDown(runtime: PeerRuntime): void {
    const r = this.retiring.get(runtime.rib);
    if (!r) return;
    this.rib.peerDown(runtime.rib, { keepStale: true });
    this.closeOnce(r);
  }

  /** Ends the retirement of the held peer named `name` now (it is configured again). */
  finishNamed(name: string): void {
    for (const peer of this.retiring.keys()) if (peer.name === name) this.finish(peer);
  }

  /** The speaker stops: no more checks. It stops the held sessions itself, and their routes stay like every other. */
  stop(): void {
    this.retiring.clear();
    this.stopTimer();
  }

  private excluded(): ReadonlySet<RibPeer> {
    return new Set(this.retiring.keys());
  }

  private finish(peer: RibPeer): void {
    const r = this.retiring.get(peer);
    if (!r) return;
    this.retiring.delete(peer);
    this.closeOnce(r);
    this.rib.removePeer(peer);
    if (this.retiring.size === 0) this.stopTimer();
  }

  private check(): void {
    const now = Date.now();
    const excluded = this.excluded();
    for (const [peer, r] of [...this.retiring]) {
      const covered = this.rib.coveredByOthers(peer, excluded);
      if (!covered && now - r.since < this.deadlineMs) continue;
      this.finish(peer);
      this.log.info(
        { peer: peer.name, heldMs: now - r.since },
        covered
          ? "deconfigured peer removed: other peers cover its routes"
          : "deconfigured peer removed: its routes were not covered before the deadline",
      );
    }
  }

  private closeOnce(r: Retiring): void {
    if (r.closed) return;
    r.closed = true;
    this.close(r.runtime);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function routeCount(peer: RibPeer): number {
  let n = 0;
  for (const t of peer.adjIn) n += t.size;
  for (const t of peer.stale) n += t?.size ?? 0;
  return n;
}
