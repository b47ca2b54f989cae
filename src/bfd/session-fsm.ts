// The BFD session state machine (RFC 5880 §6.2, §6.8.6) as pure functions over
// a plain state record: each input (a received packet, the detection timer, a
// configuration or admin change) returns the next record and the effects the
// driver (session.ts) must carry out. No clock, no sockets: the driver owns the
// timers and reads the intervals it needs from txIntervalUs/detectionTimeUs.
import { type BfdAuth, type BfdControlPacket, BfdDiag, BfdState } from "./codec";

/** A session's configured timers, in microseconds as on the wire. */
export interface BfdTimers {
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  detectMult: number;
}

/** §6.8.3: while the session is not Up, bfd.DesiredMinTxInterval is at least one second. */
export const SLOW_TX_US = 1_000_000;

export interface FsmState {
  state: BfdState;
  remoteState: BfdState;
  localDiscr: number;
  remoteDiscr: number;
  diag: BfdDiag;
  config: BfdTimers;
  /** What our packets advertise now (Desired Min TX, Required Min RX). */
  advertisedTxUs: number;
  advertisedRxUs: number;
  /**
   * What is in effect locally. It differs from the advertised values only
   * while a Poll Sequence is running (§6.8.3): a changed interval takes effect
   * once the remote's Final says it has seen the new one.
   */
  activeTxUs: number;
  activeRxUs: number;
  pollActive: boolean;
  /** §6.8.1 bfd.RemoteMinRxInterval, initially 1 µs. */
  remoteMinRxUs: number;
  remoteDesiredMinTxUs: number;
  /** 0 until the first packet: no detection time yet. */
  remoteDetectMult: number;
  remoteDemand: boolean;
}

export type FsmEffect =
  /** §6.8.6: a Poll was received; answer with a Final at once, outside the periodic schedule. */
  | { kind: "sendFinal" }
  /** Send a packet now (state changed or a Poll Sequence started), then resume the schedule. */
  | { kind: "sendNow" }
  | { kind: "state"; from: BfdState; to: BfdState; diag: BfdDiag };

export type Discard =
  | { kind: "adminDown" }
  | { kind: "zeroYourDiscrInSync"; state: BfdState }
  | { kind: "authMismatch"; detail: string };

export type ReceiveResult =
  | { ok: true; next: FsmState; effects: FsmEffect[] }
  | { ok: false; discard: Discard };

export interface Outcome {
  next: FsmState;
  effects: FsmEffect[];
}

export function initialState(localDiscr: number, config: BfdTimers): FsmState {
  const tx = Math.max(config.desiredMinTxUs, SLOW_TX_US);
  return {
    state: BfdState.Down,
    remoteState: BfdState.Down,
    localDiscr,
    remoteDiscr: 0,
    diag: BfdDiag.None,
    config,
    advertisedTxUs: tx,
    advertisedRxUs: config.requiredMinRxUs,
    activeTxUs: tx,
    activeRxUs: config.requiredMinRxUs,
    pollActive: false,
    remoteMinRxUs: 1,
    remoteDesiredMinTxUs: 0,
    remoteDetectMult: 0,
    remoteDemand: false,
  };
}

/** §6.8.7: the interval between our packets, or null when the remote asked for none (Required Min RX 0). */
export function txIntervalUs(s: FsmState): number | null {
  if (s.remoteMinRxUs === 0) return null;
  return Math.max(s.activeTxUs, s.remoteMinRxUs);
}

/**
 * §6.8.4 asynchronous mode: remote Detect Mult × max(our Required Min RX, the
 * remote's last Desired Min TX). During a Poll Sequence the larger of our old
 * and new Required Min RX counts: a reduced one only after the Final.
 */
export function detectionTimeUs(s: FsmState): number | null {
  if (s.remoteDetectMult === 0) return null;
  const rx = s.pollActive ? Math.max(s.activeRxUs, s.advertisedRxUs) : s.activeRxUs;
  return s.remoteDetectMult * Math.max(rx, s.remoteDesiredMinTxUs);
}

/** Intervals the session uses while Up (configured) or not (Desired Min TX at least 1 s). */
function wantedTxUs(s: FsmState, state: BfdState): number {
  return state === BfdState.Up ? s.config.desiredMinTxUs : Math.max(s.config.desiredMinTxUs, SLOW_TX_US);
}

/** Moves to `to`; going Up or Down changes Desired Min TX (§6.8.3), the rest follows. */
function enter(s: FsmState, to: BfdState, diag: BfdDiag, effects: FsmEffect[]): FsmState {
  if (s.state === to) return s;
  const from = s.state;
  let next: FsmState = { ...s, state: to, diag };
  if (to === BfdState.Up) {
    // The slow start rate gives way to the configured one through a Poll Sequence.
    next = retime(next);
  } else if (from === BfdState.Up || to === BfdState.AdminDown) {
    // Not Up any more: back to the slow rate at once (no poll needed to slow down
    // a session that is down); an unfinished Poll Sequence is moot.
    const tx = wantedTxUs(next, to);
    next = {
      ...next,
      advertisedTxUs: tx,
      activeTxUs: tx,
      advertisedRxUs: s.config.requiredMinRxUs,
      activeRxUs: s.config.requiredMinRxUs,
      pollActive: false,
    };
  }
  effects.push({ kind: "state", from, to, diag }, { kind: "sendNow" });
  return next;
}

/**
 * Advertise the intervals the current state and config want. While Up a change
 * runs a Poll Sequence (§6.8.3); otherwise it applies at once.
 */
function retime(s: FsmState): FsmState {
  const tx = wantedTxUs(s, s.state);
  const rx = s.config.requiredMinRxUs;
  if (tx === s.advertisedTxUs && rx === s.advertisedRxUs) return s;
  if (s.state !== BfdState.Up) {
    return {
      ...s,
      advertisedTxUs: tx,
      advertisedRxUs: rx,
      activeTxUs: tx,
      activeRxUs: rx,
      pollActive: false,
    };
  }
  return { ...s, advertisedTxUs: tx, advertisedRxUs: rx, pollActive: true };
}

/** §6.8.6 after the codec's structural checks and the manager's session lookup. */
export function receive(
  s: FsmState,
  p: BfdControlPacket,
  expectAuth: BfdAuth["type"] | undefined,
): ReceiveResult {
  // Step: Your Discriminator zero is only valid while we are Down or AdminDown.
  if (p.yourDiscriminator === 0 && s.state !== BfdState.Down && s.state !== BfdState.AdminDown)
    return { ok: false, discard: { kind: "zeroYourDiscrInSync", state: s.state } };
  if (p.auth === undefined && expectAuth !== undefined)
    return { ok: false, discard: { kind: "authMismatch", detail: "A bit clear, authentication in use" } };
  if (p.auth !== undefined && expectAuth === undefined)
    return { ok: false, discard: { kind: "authMismatch", detail: "A bit set, no authentication in use" } };
  if (p.auth !== undefined && p.auth.type !== expectAuth)
    return { ok: false, discard: { kind: "authMismatch", detail: `auth type ${p.auth.type}` } };

  const effects: FsmEffect[] = [];
  let next: FsmState = {
    ...s,
    remoteDiscr: p.myDiscriminator,
    remoteState: p.state,
    remoteDemand: p.demand,
    remoteMinRxUs: p.requiredMinRxUs,
    remoteDesiredMinTxUs: p.desiredMinTxUs,
    remoteDetectMult: p.detectMult,
  };
  // A Final ends our Poll Sequence: the advertised intervals take effect.
  if (p.final && next.pollActive) {
    next = { ...next, pollActive: false, activeTxUs: next.advertisedTxUs, activeRxUs: next.advertisedRxUs };
  }
  if (s.state === BfdState.AdminDown) return { ok: false, discard: { kind: "adminDown" } };

  if (p.state === BfdState.AdminDown) {
    if (next.state !== BfdState.Down)
      next = enter(next, BfdState.Down, BfdDiag.NeighborSignaledDown, effects);
  } else if (next.state === BfdState.Down) {
    if (p.state === BfdState.Down) next = enter(next, BfdState.Init, BfdDiag.None, effects);
    else if (p.state === BfdState.Init) next = enter(next, BfdState.Up, BfdDiag.None, effects);
  } else if (next.state === BfdState.Init) {
    if (p.state === BfdState.Init || p.state === BfdState.Up)
      next = enter(next, BfdState.Up, BfdDiag.None, effects);
  } else if (next.state === BfdState.Up) {
    if (p.state === BfdState.Down) next = enter(next, BfdState.Down, BfdDiag.NeighborSignaledDown, effects);
  }
  // The poll answered after the state changes, so the Final carries the new state.
  if (p.poll) effects.push({ kind: "sendFinal" });
  return { ok: true, next, effects };
}

/** §6.8.4: no valid packet for a detection time. */
export function detectionExpired(s: FsmState): Outcome {
  const effects: FsmEffect[] = [];
  let next: FsmState = { ...s, remoteDiscr: 0, remoteState: BfdState.Down, remoteDetectMult: 0 };
  if (s.state === BfdState.Init || s.state === BfdState.Up)
    next = enter(next, BfdState.Down, BfdDiag.ControlDetectionTimeExpired, effects);
  return { next, effects };
}

/** New configured timers; while Up this starts a Poll Sequence (§6.8.3). */
export function configure(s: FsmState, config: BfdTimers): Outcome {
  const next = retime({ ...s, config });
  const effects: FsmEffect[] = next.pollActive && !s.pollActive ? [{ kind: "sendNow" }] : [];
  return { next, effects };
}

/** §6.8.16: AdminDown (diag 7) and back to Down. */
export function setAdminDown(s: FsmState, down: boolean): Outcome {
  const effects: FsmEffect[] = [];
  if (down && s.state !== BfdState.AdminDown)
    return { next: enter(s, BfdState.AdminDown, BfdDiag.AdministrativelyDown, effects), effects };
  if (!down && s.state === BfdState.AdminDown)
    return { next: enter(s, BfdState.Down, BfdDiag.None, effects), effects };
  return { next: s, effects };
}

/** The packet our state says to send; `final` answers a Poll (P and F are never both set). */
export function controlPacket(s: FsmState, final: boolean): Omit<BfdControlPacket, "version" | "multipoint"> {
  return {
    diag: s.diag,
    state: s.state,
    poll: s.pollActive && !final,
    final,
    controlPlaneIndependent: false,
    demand: false,
    detectMult: s.config.detectMult,
    myDiscriminator: s.localDiscr,
    yourDiscriminator: s.remoteDiscr,
    desiredMinTxUs: s.advertisedTxUs,
    requiredMinRxUs: s.advertisedRxUs,
    // Echo is not implemented: 0 tells the remote not to send echo packets (§6.8.9).
    requiredMinEchoRxUs: 0,
  };
}
