import assert from "node:assert/strict";
import { type BfdControlPacket, BfdDiag, BfdState } from "../../../src/bfd/codec";
import {
  configure,
  controlPacket,
  detectionExpired,
  detectionTimeUs,
  type FsmState,
  initialState,
  receive,
  SLOW_TX_US,
  setAdminDown,
  txIntervalUs,
} from "../../../src/bfd/session-fsm";

const TIMERS = { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3 };

function pkt(state: BfdState, over: Partial<BfdControlPacket> = {}): BfdControlPacket {
  return {
    version: 1,
    diag: BfdDiag.None,
    state,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    multipoint: false,
    detectMult: 3,
    myDiscriminator: 99,
    yourDiscriminator: 0,
    desiredMinTxUs: 300_000,
    requiredMinRxUs: 300_000,
    requiredMinEchoRxUs: 0,
    ...over,
  };
}

function rx(s: FsmState, p: BfdControlPacket): FsmState {
  const r = receive(s, p, undefined);
  assert.ok(r.ok, `discarded: ${JSON.stringify(!r.ok && r.discard)}`);
  return r.next;
}

function withState(state: BfdState): FsmState {
  return { ...initialState(7, TIMERS), state, remoteDiscr: 99 };
}

describe("BFD session state machine (RFC 5880 §6.2, §6.8.6)", () => {
  // [local state, received state, next local state, diag]
  const table: [BfdState, BfdState, BfdState, BfdDiag][] = [
    [BfdState.Down, BfdState.AdminDown, BfdState.Down, BfdDiag.None],
    [BfdState.Down, BfdState.Down, BfdState.Init, BfdDiag.None],
    [BfdState.Down, BfdState.Init, BfdState.Up, BfdDiag.None],
    [BfdState.Down, BfdState.Up, BfdState.Down, BfdDiag.None],
    [BfdState.Init, BfdState.AdminDown, BfdState.Down, BfdDiag.NeighborSignaledDown],
    [BfdState.Init, BfdState.Down, BfdState.Init, BfdDiag.None],
    [BfdState.Init, BfdState.Init, BfdState.Up, BfdDiag.None],
    [BfdState.Init, BfdState.Up, BfdState.Up, BfdDiag.None],
    [BfdState.Up, BfdState.AdminDown, BfdState.Down, BfdDiag.NeighborSignaledDown],
    [BfdState.Up, BfdState.Down, BfdState.Down, BfdDiag.NeighborSignaledDown],
    [BfdState.Up, BfdState.Init, BfdState.Up, BfdDiag.None],
    [BfdState.Up, BfdState.Up, BfdState.Up, BfdDiag.None],
  ];
  for (const [local, remote, next, diag] of table) {
    it(`${BfdState[local]} + received ${BfdState[remote]} -> ${BfdState[next]}`, () => {
      const s = withState(local);
      const r = receive(s, pkt(remote, { yourDiscriminator: 7 }), undefined);
      assert.ok(r.ok);
      assert.equal(r.next.state, next);
      assert.equal(r.next.diag, diag);
      const changed = r.effects.some((e) => e.kind === "state");
      assert.equal(changed, next !== local);
    });
  }

  it("discards everything while AdminDown", () => {
    const s = setAdminDown(initialState(7, TIMERS), true).next;
    assert.equal(s.state, BfdState.AdminDown);
    assert.equal(s.diag, BfdDiag.AdministrativelyDown);
    const r = receive(s, pkt(BfdState.Down), undefined);
    assert.deepEqual(r, { ok: false, discard: { kind: "adminDown" } });
  });

  it("discards Your Discriminator zero unless Down or AdminDown", () => {
    for (const state of [BfdState.Init, BfdState.Up]) {
      const r = receive(withState(state), pkt(BfdState.Up, { yourDiscriminator: 0 }), undefined);
      assert.equal(r.ok, false);
    }
    assert.ok(receive(withState(BfdState.Down), pkt(BfdState.Down), undefined).ok);
  });

  it("discards an authenticated packet when no authentication is configured", () => {
    const p = pkt(BfdState.Down, { auth: { type: 1, keyId: 1, password: new Uint8Array([1]) } });
    const r = receive(initialState(7, TIMERS), p, undefined);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.discard.kind, "authMismatch");
  });

  it("sends at least 1 s apart while not Up (§6.8.3), the configured rate once Up after the Poll", () => {
    let s = initialState(7, TIMERS);
    assert.equal(s.advertisedTxUs, SLOW_TX_US);
    assert.equal(txIntervalUs(s), SLOW_TX_US);
    s = rx(s, pkt(BfdState.Init));
    assert.equal(s.state, BfdState.Up);
    // Up: the new Desired Min TX is advertised with P, but the rate changes only after the Final.
    assert.equal(s.pollActive, true);
    assert.equal(s.advertisedTxUs, 300_000);
    assert.equal(txIntervalUs(s), SLOW_TX_US);
    const out = controlPacket(s, false);
    assert.equal(out.poll, true);
    assert.equal(out.desiredMinTxUs, 300_000);
    s = rx(s, pkt(BfdState.Up, { yourDiscriminator: 7, final: true }));
    assert.equal(s.pollActive, false);
    assert.equal(txIntervalUs(s), 300_000);
    assert.equal(controlPacket(s, false).poll, false);
  });

  it("answers a Poll with a Final, never both bits", () => {
    const r = receive(
      withState(BfdState.Up),
      pkt(BfdState.Up, { yourDiscriminator: 7, poll: true }),
      undefined,
    );
    assert.ok(r.ok);
    assert.deepEqual(r.effects, [{ kind: "sendFinal" }]);
    const polling = { ...r.next, pollActive: true };
    const f = controlPacket(polling, true);
    assert.deepEqual([f.poll, f.final], [false, true]);
  });

  it("detection time is remote mult × max(our Required Min RX, remote Desired Min TX)", () => {
    let s = initialState(7, TIMERS);
    assert.equal(detectionTimeUs(s), null);
    s = rx(s, pkt(BfdState.Down, { detectMult: 5, desiredMinTxUs: 1_000_000 }));
    assert.equal(detectionTimeUs(s), 5_000_000);
    s = rx(s, pkt(BfdState.Up, { yourDiscriminator: 7, detectMult: 4, desiredMinTxUs: 100_000 }));
    assert.equal(detectionTimeUs(s), 4 * 300_000);
  });

  it("keeps the old Required Min RX for detection while a reduction is being polled", () => {
    let s = { ...initialState(7, TIMERS), state: BfdState.Up, remoteDiscr: 99 };
    s = { ...s, activeTxUs: 300_000, advertisedTxUs: 300_000 };
    s = rx(s, pkt(BfdState.Up, { yourDiscriminator: 7, desiredMinTxUs: 50_000 }));
    const c = configure(s, { ...TIMERS, requiredMinRxUs: 100_000 });
    assert.equal(c.next.pollActive, true);
    assert.deepEqual(c.effects, [{ kind: "sendNow" }]);
    assert.equal(detectionTimeUs(c.next), 3 * 300_000);
    const done = rx(c.next, pkt(BfdState.Up, { yourDiscriminator: 7, desiredMinTxUs: 50_000, final: true }));
    assert.equal(detectionTimeUs(done), 3 * 100_000);
  });

  it("uses an increased Desired Min TX only after the Final, honours a lower remote Min RX at once", () => {
    let s = {
      ...initialState(7, TIMERS),
      state: BfdState.Up,
      remoteDiscr: 99,
      activeTxUs: 300_000,
      advertisedTxUs: 300_000,
    };
    s = configure(s, { ...TIMERS, desiredMinTxUs: 500_000 }).next;
    assert.equal(txIntervalUs(s), 300_000);
    s = rx(s, pkt(BfdState.Up, { yourDiscriminator: 7, final: true, requiredMinRxUs: 100_000 }));
    assert.equal(txIntervalUs(s), 500_000);
    s = configure(s, TIMERS).next;
    s = rx(s, pkt(BfdState.Up, { yourDiscriminator: 7, final: true, requiredMinRxUs: 100_000 }));
    assert.equal(txIntervalUs(s), 300_000);
    s = rx(s, pkt(BfdState.Up, { yourDiscriminator: 7, requiredMinRxUs: 400_000 }));
    assert.equal(txIntervalUs(s), 400_000);
  });

  it("sends nothing periodic when the remote's Required Min RX is zero", () => {
    const s = rx(initialState(7, TIMERS), pkt(BfdState.Down, { requiredMinRxUs: 0 }));
    assert.equal(txIntervalUs(s), null);
  });

  it("detection expiry takes Up to Down with diag 1, forgets the remote, and slows down", () => {
    const up = { ...withState(BfdState.Up), activeTxUs: 300_000, advertisedTxUs: 300_000 };
    const { next, effects } = detectionExpired(up);
    assert.equal(next.state, BfdState.Down);
    assert.equal(next.diag, BfdDiag.ControlDetectionTimeExpired);
    assert.equal(next.remoteDiscr, 0);
    assert.equal(next.advertisedTxUs, SLOW_TX_US);
    assert.ok(effects.some((e) => e.kind === "state"));
    // Down stays Down; only the remote is forgotten.
    const again = detectionExpired(next);
    assert.equal(again.effects.length, 0);
  });

  it("a config change while Down applies at once, without a Poll", () => {
    const s = configure(initialState(7, TIMERS), { ...TIMERS, requiredMinRxUs: 500_000 });
    assert.equal(s.next.pollActive, false);
    assert.equal(s.next.activeRxUs, 500_000);
    assert.equal(s.next.advertisedRxUs, 500_000);
  });
});
