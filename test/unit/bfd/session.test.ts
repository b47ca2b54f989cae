import assert from "node:assert/strict";
import { type BfdControlPacket, BfdDiag, BfdState, decodeControl } from "../../../src/bfd/codec";
import { BfdSession, jitteredMs } from "../../../src/bfd/session";
import { FakeClock } from "../../support/fake-clock";

const TIMERS = { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3 };

function peerPacket(state: BfdState, over: Partial<BfdControlPacket> = {}): BfdControlPacket {
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
    myDiscriminator: 42,
    yourDiscriminator: 7,
    desiredMinTxUs: 300_000,
    requiredMinRxUs: 300_000,
    requiredMinEchoRxUs: 0,
    ...over,
  };
}

function setup(random = () => 0.5) {
  const clock = new FakeClock();
  const sent: { at: number; p: BfdControlPacket }[] = [];
  const session = new BfdSession({
    localDiscr: 7,
    timers: TIMERS,
    clock,
    random,
    send: (bytes) => {
      const r = decodeControl(bytes);
      assert.ok(r.ok);
      sent.push({ at: clock.now(), p: r.packet });
    },
  });
  const states: string[] = [];
  session.on("state", (_from, to) => states.push(BfdState[to]));
  return { clock, sent, session, states };
}

/** Brings the session Up and completes the Poll Sequence to the configured rate. */
function bringUp(t: ReturnType<typeof setup>) {
  t.session.start();
  t.session.receive(peerPacket(BfdState.Down, { yourDiscriminator: 0 }));
  t.session.receive(peerPacket(BfdState.Up));
  assert.equal(t.session.state, BfdState.Up);
  t.session.receive(peerPacket(BfdState.Up, { final: true }));
  assert.equal(t.session.snapshot.pollActive, false);
}

describe("BFD session driver (timers on a fake clock)", () => {
  it("jitter stays within 75–100% of the interval, 75–90% with detect mult 1 (§6.8.7)", () => {
    assert.equal(jitteredMs(300_000, 3, 0), 225);
    assert.ok(jitteredMs(300_000, 3, 0.999999) <= 300);
    assert.ok(jitteredMs(300_000, 3, 0.999999) > 299);
    assert.equal(jitteredMs(300_000, 1, 0), 225);
    assert.ok(jitteredMs(300_000, 1, 0.999999) <= 270);
  });

  it("sends once a second while Down, with Your Discriminator zero", () => {
    const t = setup(() => 0.999999);
    t.session.start();
    t.clock.advance(3000);
    assert.equal(t.sent.length, 4);
    for (const s of t.sent) {
      assert.equal(s.p.state, BfdState.Down);
      assert.equal(s.p.yourDiscriminator, 0);
      assert.equal(s.p.desiredMinTxUs, 1_000_000);
    }
    const gaps = t.sent.slice(1).map((s, i) => s.at - t.sent[i]!.at);
    for (const g of gaps) assert.ok(g >= 750 && g <= 1000, `gap ${g}`);
  });

  it("comes Up through Init, polls down to 300 ms and keeps that rate", () => {
    const t = setup();
    bringUp(t);
    assert.deepEqual(t.states, ["Init", "Up"]);
    // The packets after the state changes went out at once; the Up one carries P.
    const up = t.sent.find((s) => s.p.state === BfdState.Up)!;
    assert.equal(up.p.poll, true);
    const before = t.sent.length;
    // Within one detection time (900 ms), so nothing else changes: 87.5% of 300 ms = 262.5 ms apart.
    t.clock.advance(800);
    const recent = t.sent.slice(before);
    assert.equal(recent.length, 3);
    assert.ok(recent.every((s) => !s.p.poll && s.p.state === BfdState.Up));
  });

  it("goes Down after exactly the detection time without packets, diag 1", () => {
    const t = setup();
    bringUp(t);
    t.clock.advance(899);
    assert.equal(t.session.state, BfdState.Up);
    t.clock.advance(1);
    assert.equal(t.session.state, BfdState.Down);
    assert.equal(t.session.snapshot.diag, BfdDiag.ControlDetectionTimeExpired);
    assert.deepEqual(t.states, ["Init", "Up", "Down"]);
    // The next packet says so at once and the rate is back to one a second.
    const last = t.sent.at(-1)!;
    assert.equal(last.p.state, BfdState.Down);
    assert.equal(last.p.diag, BfdDiag.ControlDetectionTimeExpired);
    assert.equal(last.p.desiredMinTxUs, 1_000_000);
  });

  it("each packet received restarts the detection time", () => {
    const t = setup();
    bringUp(t);
    for (let i = 0; i < 10; i++) {
      t.clock.advance(800);
      t.session.receive(peerPacket(BfdState.Up));
    }
    assert.equal(t.session.state, BfdState.Up);
  });

  it("answers a Poll with an immediate Final", () => {
    const t = setup();
    bringUp(t);
    const before = t.sent.length;
    t.session.receive(peerPacket(BfdState.Up, { poll: true, desiredMinTxUs: 500_000 }));
    assert.equal(t.sent.length, before + 1);
    assert.equal(t.sent.at(-1)!.p.final, true);
    assert.equal(t.sent.at(-1)!.p.poll, false);
    // Detection time now follows the remote's slower rate: 3 × 500 ms.
    assert.equal(t.session.intervals.detectMs, 1500);
  });

  it("a timer change while Up polls until the Final and keeps sending P meanwhile", () => {
    const t = setup();
    bringUp(t);
    t.session.setTimers({ ...TIMERS, desiredMinTxUs: 600_000 });
    const before = t.sent.length;
    t.clock.advance(600);
    const polled = t.sent.slice(before - 1);
    assert.ok(polled.length >= 2 && polled.every((s) => s.p.poll && s.p.desiredMinTxUs === 600_000));
    t.session.receive(peerPacket(BfdState.Up, { final: true }));
    const after = t.sent.length;
    t.clock.advance(1200);
    assert.ok(t.sent.slice(after).every((s) => !s.p.poll));
    assert.equal(t.sent.length - after, 2); // 87.5% of 600 ms = 525 ms apart
  });

  it("stop(true) sends AdminDown (diag 7) and then nothing", () => {
    const t = setup();
    bringUp(t);
    t.session.stop(true);
    const last = t.sent.at(-1)!;
    assert.equal(last.p.state, BfdState.AdminDown);
    assert.equal(last.p.diag, BfdDiag.AdministrativelyDown);
    const n = t.sent.length;
    t.clock.advance(5000);
    assert.equal(t.sent.length, n);
  });
});
