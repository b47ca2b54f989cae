import assert from "node:assert/strict";
import { holdsFor, WaitTimeout, waitFor } from "../../lab/wait";

describe("lab waits", () => {
  it("waitFor returns the first value that satisfies the condition", async () => {
    let n = 0;
    const v = await waitFor(() => ++n, {
      timeoutMs: 2_000,
      intervalMs: 5,
      what: "n to reach 3",
      until: (x) => x >= 3,
    });
    assert.equal(v, 3);
  });

  it("waitFor fails at the deadline with the last observed value", async () => {
    await assert.rejects(
      waitFor(() => ({ state: "Active" }), {
        timeoutMs: 60,
        intervalMs: 10,
        what: "Established",
        until: () => false,
      }),
      (err: unknown) =>
        err instanceof WaitTimeout &&
        /waiting for Established; last observed: \{"state":"Active"\}/.test(err.message),
    );
  });

  it("waitFor treats a throwing probe as not yet and reports its error", async () => {
    await assert.rejects(
      waitFor(
        () => {
          throw new Error("ECONNREFUSED");
        },
        { timeoutMs: 40, intervalMs: 10, what: "socket" },
      ),
      /last observed: Error: ECONNREFUSED/,
    );
  });

  it("holdsFor fails as soon as the condition breaks", async () => {
    let n = 0;
    await assert.rejects(
      holdsFor(() => ++n, { windowMs: 2_000, intervalMs: 5, what: "n below 3", holds: (x) => x < 3 }),
      /expected n below 3 throughout 2000 ms; observed: 3/,
    );
  });

  it("holdsFor passes when the condition holds for the whole window", async () => {
    const start = Date.now();
    await holdsFor(() => false, { windowMs: 50, intervalMs: 10, what: "down", holds: (x) => x === false });
    assert.ok(Date.now() - start >= 50);
  });
});
