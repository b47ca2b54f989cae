// Drives one BFD session: runs the pure state machine (session-fsm.ts), owns
// its two timers (periodic transmission with jitter, detection) on an
// injectable clock, and hands encoded packets to a send callback. Tests run it
// with a fake clock and a recording sender: no sockets, no sleeps.
import { EventEmitter } from "node:events";
import { type Clock, systemClock, Timer } from "../bgp/session/clock";
import { type BfdControlPacket, type BfdDiag, BfdState, encodeControl } from "./codec";
import {
  type BfdTimers,
  configure,
  controlPacket,
  type Discard,
  detectionExpired,
  detectionTimeUs,
  type FsmEffect,
  type FsmState,
  initialState,
  receive,
  setAdminDown,
  txIntervalUs,
} from "./session-fsm";

export interface BfdSessionOptions {
  localDiscr: number;
  timers: BfdTimers;
  send: (packet: Uint8Array) => void;
  clock?: Clock;
  /** Uniform in [0, 1); Math.random by default. Tests pin it to check the jitter bounds. */
  random?: () => number;
}

export interface BfdSessionEvents {
  state: [from: BfdState, to: BfdState, diag: BfdDiag];
  discard: [reason: Discard];
}

/**
 * §6.8.7: each interval is reduced by a random 0–25% (so 75–100% of it), or
 * by 10–25% when our Detect Mult is 1, so a single late packet cannot expire
 * the remote's detection time.
 */
export function jitteredMs(intervalUs: number, detectMult: number, random: number): number {
  const factor = detectMult === 1 ? 0.75 + 0.15 * random : 0.75 + 0.25 * random;
  return (intervalUs * factor) / 1000;
}

export class BfdSession extends EventEmitter<BfdSessionEvents> {
  private fsm: FsmState;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly txTimer: Timer;
  private readonly detectTimer: Timer;
  private running = false;
  /** The tx interval the armed timer was computed from, to notice a change. */
  private scheduledTxUs: number | null = null;
  private sinceMs: number;
  /** Packets sent and received (valid ones), for show and tests. */
  readonly counters = { sent: 0, received: 0, discarded: 0 };

  constructor(private readonly options: BfdSessionOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.fsm = initialState(options.localDiscr, options.timers);
    this.txTimer = new Timer(this.clock, () => this.onTxTimer());
    this.detectTimer = new Timer(this.clock, () => this.onDetectTimer());
    this.sinceMs = this.clock.now();
  }

  get state(): BfdState {
    return this.fsm.state;
  }

  get localDiscr(): number {
    return this.fsm.localDiscr;
  }

  /** A snapshot of the state machine, read-only (for show and tests). */
  get snapshot(): Readonly<FsmState> {
    return this.fsm;
  }

  /** When the state last changed, ms on the session's clock. */
  get since(): number {
    return this.sinceMs;
  }

  /** Negotiated intervals in ms: what we send at and what the remote's detection expects. */
  get intervals(): { txMs: number; rxMs: number; multiplier: number; detectMs: number | null } {
    const tx = txIntervalUs(this.fsm) ?? this.fsm.activeTxUs;
    const detect = detectionTimeUs(this.fsm);
    const rx = Math.max(this.fsm.activeRxUs, this.fsm.remoteDesiredMinTxUs);
    return {
      txMs: tx / 1000,
      rxMs: rx / 1000,
      multiplier: this.fsm.remoteDetectMult || this.fsm.config.detectMult,
      detectMs: detect === null ? null : detect / 1000,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.transmit(false);
  }

  /** Stops the timers; with `adminDown` first tells the remote (diag 7) so it does not count it as a failure. */
  stop(adminDown = false): void {
    if (!this.running) return;
    if (adminDown) this.apply(setAdminDown(this.fsm, true).next, []);
    if (adminDown) this.transmit(false);
    this.running = false;
    this.txTimer.stop();
    this.detectTimer.stop();
  }

  /** New configured timers: applied through a Poll Sequence while Up. */
  setTimers(timers: BfdTimers): void {
    const { next, effects } = configure(this.fsm, timers);
    this.apply(next, effects);
  }

  /** A packet the codec and the manager accepted for this session. */
  receive(packet: BfdControlPacket): void {
    if (!this.running) return;
    const r = receive(this.fsm, packet, undefined);
    if (!r.ok) {
      this.counters.discarded++;
      this.emit("discard", r.discard);
      return;
    }
    this.counters.received++;
    this.apply(r.next, r.effects);
    const detect = detectionTimeUs(this.fsm);
    if (detect !== null) this.detectTimer.arm(detect / 1000);
  }

  private apply(next: FsmState, effects: FsmEffect[]): void {
    this.fsm = next;
    let sendNow = false;
    let sendFinal = false;
    for (const e of effects) {
      if (e.kind === "state") {
        this.sinceMs = this.clock.now();
        this.emit("state", e.from, e.to, e.diag);
      } else if (e.kind === "sendNow") sendNow = true;
      else sendFinal = true;
    }
    if (!this.running) return;
    // A Final answers the Poll out of schedule (§6.8.7 allows it); the periodic
    // packets keep their rhythm. A state change goes out at once and restarts it.
    if (sendFinal) this.transmit(true, false);
    if (sendNow) this.transmit(false);
    else if (txIntervalUs(this.fsm) !== this.scheduledTxUs) this.schedule();
  }

  private onTxTimer(): void {
    this.transmit(false);
  }

  private onDetectTimer(): void {
    const { next, effects } = detectionExpired(this.fsm);
    this.apply(next, effects);
  }

  private transmit(final: boolean, reschedule = true): void {
    // §6.8.7: no periodic packets while the remote asks for none (unless answering a Poll).
    if (final || txIntervalUs(this.fsm) !== null) {
      this.options.send(encodeControl(controlPacket(this.fsm, final)));
      this.counters.sent++;
    }
    if (reschedule) this.schedule();
  }

  private schedule(): void {
    const interval = txIntervalUs(this.fsm);
    this.scheduledTxUs = interval;
    if (!this.running || interval === null) {
      this.txTimer.stop();
      return;
    }
    this.txTimer.arm(jitteredMs(interval, this.fsm.config.detectMult, this.random()));
  }
}

export { BfdState };
