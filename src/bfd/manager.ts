// All BFD sessions of the agent: one per (peer address, local address,
// multihop), created and removed as peer configs come and go, fed by the
// shared receiving sockets. Tells its user "up"/"down" per BGP peer name and
// answers `show bfd sessions` (BfdView).
import { randomInt } from "node:crypto";
import { EventEmitter } from "node:events";
import { isIPv6 } from "node:net";
import type { Clock } from "../bgp/session/clock";
import type { BfdView } from "../control/commands";
import type { BfdSessionData } from "../control/protocol";
import { BfdDiag, BfdState, decodeControl, describeDecodeError, STATE_NAMES } from "./codec";
import { BfdSession } from "./session";
import type { BfdTimers } from "./session-fsm";
import { type BfdDatagram, BfdListener, BfdSender, MULTIHOP_PORT, SINGLE_HOP_PORT } from "./transport";

/** What one BGP peer asks of BFD (compiled from PeerConfig.bfd by the caller). */
export interface BfdPeerSpec {
  peer: string;
  address: string;
  localAddress?: string;
  multihop: boolean;
  timers: BfdTimers;
}

export interface BfdManagerEvents {
  /** The peer's BFD session reached Up. */
  up: [peer: string];
  /** The session went from Up to Down for a failure (not the remote's AdminDown, RFC 5882 §3.2). */
  down: [peer: string, reason: string];
}

export interface BfdManagerLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BfdManagerOptions {
  log: BfdManagerLog;
  clock?: Clock;
  /** Destination/listening ports; the RFCs' unless a test needs others. */
  ports?: { singleHop: number; multihop: number };
}

interface Entry {
  key: string;
  spec: BfdPeerSpec;
  session: BfdSession;
  sender: BfdSender;
}

const DIAG_TEXT: Record<number, string> = {
  [BfdDiag.ControlDetectionTimeExpired]: "control detection time expired",
  [BfdDiag.NeighborSignaledDown]: "neighbor signaled session down",
  [BfdDiag.AdministrativelyDown]: "administratively down",
};

const keyOf = (s: BfdPeerSpec) => `${s.address}|${s.localAddress ?? ""}|${s.multihop ? "mh" : "sh"}`;

export class BfdManager extends EventEmitter<BfdManagerEvents> implements BfdView {
  private readonly entries = new Map<string, Entry>();
  private readonly byDiscr = new Map<number, Entry>();
  private readonly sockets = new Map<string, Promise<BfdListener>>();
  /** sync() calls run one at a time: sockets open asynchronously. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly ports: { singleHop: number; multihop: number };

  constructor(private readonly options: BfdManagerOptions) {
    super();
    this.ports = options.ports ?? { singleHop: SINGLE_HOP_PORT, multihop: MULTIHOP_PORT };
  }

  /** Makes the sessions match `specs`: new ones start, gone ones stop (AdminDown first), changed timers poll. */
  sync(specs: readonly BfdPeerSpec[]): Promise<void> {
    const run = this.queue.then(() => this.apply(specs));
    this.queue = run.catch((e: unknown) => this.options.log.warn({ err: e }, "BFD sessions not updated"));
    return run;
  }

  /** The BFD state name of a peer's session, undefined when it has none. */
  stateOf(peer: string): string | undefined {
    for (const e of this.entries.values()) if (e.spec.peer === peer) return STATE_NAMES[e.session.state];
    return undefined;
  }

  sessions(): BfdSessionData[] {
    const now = this.options.clock?.now() ?? Date.now();
    const wall = Date.now();
    return [...this.entries.values()].map((e) => {
      const i = e.session.intervals;
      return {
        peer: e.spec.peer,
        address: e.spec.address,
        state: STATE_NAMES[e.session.state],
        since: new Date(wall - (now - e.session.since)).toISOString(),
        txInterval: i.txMs,
        rxInterval: i.rxMs,
        multiplier: i.multiplier,
      };
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
    for (const e of [...this.entries.values()]) this.remove(e);
    for (const l of this.sockets.values()) void l.then((x) => x.close()).catch(() => undefined);
    this.sockets.clear();
  }

  private async apply(specs: readonly BfdPeerSpec[]): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map(specs.map((s) => [keyOf(s), s]));
    for (const e of [...this.entries.values()]) {
      const w = wanted.get(e.key);
      if (!w) this.remove(e);
      else if (w.peer !== e.spec.peer) {
        // The session is keyed by addresses; a rename only changes whom we tell.
        e.spec = w;
      }
    }
    for (const [key, spec] of wanted) {
      const e = this.entries.get(key);
      if (e) {
        e.spec = spec;
        e.session.setTimers(spec.timers);
        continue;
      }
      await this.add(key, spec);
    }
  }

  private async add(key: string, spec: BfdPeerSpec): Promise<void> {
    await this.listener(isIPv6(spec.address) ? "ipv6" : "ipv4", spec.multihop);
    const sender = await BfdSender.open({
      remoteAddress: spec.address,
      ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
      multihop: spec.multihop,
      port: spec.multihop ? this.ports.multihop : this.ports.singleHop,
    });
    const session = new BfdSession({
      localDiscr: this.newDiscriminator(),
      timers: spec.timers,
      send: (p) => sender.send(p),
      ...(this.options.clock ? { clock: this.options.clock } : {}),
    });
    const entry: Entry = { key, spec, session, sender };
    session.on("state", (from, to, diag) => this.onState(entry, from, to, diag));
    session.on("discard", (d) =>
      this.options.log.debug({ peer: entry.spec.peer, discard: d }, "BFD packet discarded"),
    );
    this.entries.set(key, entry);
    this.byDiscr.set(session.localDiscr, entry);
    session.start();
    this.options.log.info(
      { peer: spec.peer, address: spec.address, multihop: spec.multihop, sourcePort: sender.localPort },
      "BFD session started",
    );
  }

  private remove(e: Entry): void {
    // AdminDown first, so the remote does not take its side of the session down as a failure (RFC 5882 §3.2).
    e.session.stop(true);
    e.session.removeAllListeners();
    e.sender.close();
    this.entries.delete(e.key);
    this.byDiscr.delete(e.session.localDiscr);
    this.options.log.info({ peer: e.spec.peer, address: e.spec.address }, "BFD session removed");
  }

  private onState(e: Entry, from: BfdState, to: BfdState, diag: BfdDiag): void {
    const peer = e.spec.peer;
    this.options.log.info(
      { peer, from: STATE_NAMES[from], to: STATE_NAMES[to], diag: DIAG_TEXT[diag] ?? diag },
      "BFD session state changed",
    );
    if (to === BfdState.Up) this.emit("up", peer);
    else if (from === BfdState.Up && to === BfdState.Down) {
      // RFC 5882 §3.2: the remote turning its session AdminDown is not a path failure.
      if (e.session.snapshot.remoteState === BfdState.AdminDown) return;
      this.emit("down", peer, `BFD session down: ${DIAG_TEXT[diag] ?? `diagnostic ${diag}`}`);
    }
  }

  private newDiscriminator(): number {
    for (;;) {
      const d = randomInt(1, 0xffffffff);
      if (!this.byDiscr.has(d)) return d;
    }
  }

  private listener(family: "ipv4" | "ipv6", multihop: boolean): Promise<BfdListener> {
    const id = `${family}/${multihop ? "mh" : "sh"}`;
    let l = this.sockets.get(id);
    if (!l) {
      const port = multihop ? this.ports.multihop : this.ports.singleHop;
      l = BfdListener.open({ family, port }).then((listener) => {
        listener.on("packet", (d) => this.onPacket(d, multihop));
        listener.on("error", (err) => this.options.log.warn({ err, port }, "BFD socket error"));
        return listener;
      });
      // A failed open is retried by the next session that needs it.
      l.catch(() => this.sockets.delete(id));
      this.sockets.set(id, l);
    }
    return l;
  }

  /** §6.8.6 demultiplexing: by Your Discriminator, or while it is zero by source address. */
  private onPacket(d: BfdDatagram, multihop: boolean): void {
    const r = decodeControl(d.bytes);
    if (!r.ok) {
      this.options.log.debug({ from: d.from, problem: describeDecodeError(r.error) }, "BFD packet discarded");
      return;
    }
    const p = r.packet;
    let entry: Entry | undefined;
    if (p.yourDiscriminator !== 0) {
      entry = this.byDiscr.get(p.yourDiscriminator);
      // A discriminator that is ours but arrives from another address or port type is not for that session.
      if (entry && (entry.spec.address !== d.from || entry.spec.multihop !== multihop)) entry = undefined;
    } else {
      for (const e of this.entries.values())
        if (e.spec.address === d.from && e.spec.multihop === multihop) entry = e;
    }
    if (!entry) {
      this.options.log.debug({ from: d.from, your: p.yourDiscriminator }, "BFD packet for no session");
      return;
    }
    entry.session.receive(p);
  }
}
