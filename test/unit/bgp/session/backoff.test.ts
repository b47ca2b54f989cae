import assert from "node:assert/strict";
import { backoffDelayMs, backoffSeconds, JITTER_LOW } from "../../../../src/bgp/session/backoff";

describe("connect-retry backoff", () => {
  it("doubles from the minimum per failure and stops at the maximum", () => {
    const seq = [1, 2, 3, 4, 5, 6, 7, 8, 9, 50].map((n) => backoffSeconds(n, 1, 60));
    assert.deepEqual(seq, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    assert.equal(backoffSeconds(0, 1, 60), 1);
    assert.equal(backoffSeconds(10_000, 1, 60), 60);
  });

  it("honours other bounds", () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffSeconds(n, 5, 30)),
      [5, 10, 20, 30],
    );
  });

  it("applies jitter between 0.75 and 1.0 of the base delay", () => {
    for (const failures of [1, 2, 3, 7, 12]) {
      const base = backoffSeconds(failures, 1, 60) * 1000;
      assert.equal(
        backoffDelayMs(failures, 1, 60, () => 0),
        base * JITTER_LOW,
      );
      assert.ok(backoffDelayMs(failures, 1, 60, () => 0.999999) <= base);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelayMs(failures, 1, 60);
        assert.ok(d >= base * JITTER_LOW && d <= base, `${d} outside [${base * JITTER_LOW}, ${base}]`);
      }
    }
  });
});
