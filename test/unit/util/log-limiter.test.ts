import assert from "node:assert/strict";
import { type LogDecision, LogLimiter } from "../../../src/util/log-limiter";

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe("LogLimiter", () => {
  it("logs the first `burst` events of a window, then suppresses", () => {
    const clock = fakeClock();
    const l = new LogLimiter({ windowMs: 10_000, burst: 3, clock: clock.now });
    const seen: LogDecision[] = [];
    for (let i = 0; i < 6; i++) {
      seen.push(l.shouldLog("peer tor1 down"));
      clock.advance(100);
    }
    assert.deepEqual(
      seen.map((d) => d.log),
      [true, true, true, false, false, false],
    );
    assert.ok(seen.every((d) => d.suppressed === 0));
  });

  it("carries the suppressed count on the next logged line, then starts again from zero", () => {
    const clock = fakeClock();
    const l = new LogLimiter({ windowMs: 10_000, burst: 2, clock: clock.now });
    for (let i = 0; i < 7; i++) l.shouldLog("k"); // 2 logged, 5 suppressed
    clock.advance(9_999);
    assert.deepEqual(l.shouldLog("k"), { log: false, suppressed: 0 }, "still inside the window");
    clock.advance(1);
    assert.deepEqual(l.shouldLog("k"), { log: true, suppressed: 6 });
    assert.deepEqual(l.shouldLog("k"), { log: true, suppressed: 0 });
    assert.deepEqual(l.shouldLog("k"), { log: false, suppressed: 0 });
    clock.advance(10_000);
    assert.deepEqual(l.shouldLog("k"), { log: true, suppressed: 1 });
  });

  it("starts a new window at the first event after the old one ended, not on a fixed grid", () => {
    const clock = fakeClock();
    const l = new LogLimiter({ windowMs: 1_000, burst: 1, clock: clock.now });
    assert.equal(l.shouldLog("k").log, true); // window [0, 1000)
    clock.advance(2_500);
    assert.equal(l.shouldLog("k").log, true); // window [2500, 3500)
    clock.advance(900);
    assert.equal(l.shouldLog("k").log, false, "a grid-aligned window would have restarted at 3000");
  });

  it("keeps keys independent", () => {
    const clock = fakeClock();
    const l = new LogLimiter({ windowMs: 1_000, burst: 1, clock: clock.now });
    assert.equal(l.shouldLog("tor1").log, true);
    assert.equal(l.shouldLog("tor1").log, false);
    assert.equal(l.shouldLog("tor2").log, true);
    clock.advance(1_000);
    assert.deepEqual(l.shouldLog("tor2"), { log: true, suppressed: 0 });
    assert.deepEqual(l.shouldLog("tor1"), { log: true, suppressed: 1 });
  });

  it("does not lose a pending suppressed count when many other keys come and go", () => {
    const clock = fakeClock();
    const l = new LogLimiter({ windowMs: 1_000, burst: 1, clock: clock.now });
    l.shouldLog("flappy");
    l.shouldLog("flappy");
    l.shouldLog("flappy");
    clock.advance(5_000);
    for (let i = 0; i < 3_000; i++) assert.equal(l.shouldLog(`once-${i}`).log, true);
    clock.advance(1_000);
    assert.deepEqual(l.shouldLog("flappy"), { log: true, suppressed: 2 });
  });

  it("rejects options that would never log", () => {
    assert.throws(() => new LogLimiter({ windowMs: 1_000, burst: 0 }), RangeError);
    assert.throws(() => new LogLimiter({ windowMs: 0, burst: 1 }), RangeError);
  });
});
