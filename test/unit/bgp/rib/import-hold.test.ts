import assert from "node:assert/strict";
import { ImportHold } from "../../../../src/bgp/rib/import-hold";

/** Resolves after the timers due before `ms` from now have fired (Node runs timers in deadline order). */
const timersDueWithin = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A hold for both reasons, each with a timer due at once that records its firing. */
function heldWithTimers(): { hold: ImportHold; fired: string[] } {
  const fired: string[] = [];
  const hold = new ImportHold();
  hold.maxPrefix = { message: "m", timer: setTimeout(() => fired.push("maxPrefix"), 0) };
  hold.fault = { message: "f", timer: setTimeout(() => fired.push("fault"), 0) };
  return { hold, fired };
}

describe("ImportHold", () => {
  it("is active while either reason holds", () => {
    const hold = new ImportHold();
    assert.equal(hold.active, false);
    hold.maxPrefix = { message: "max-prefix 10 exceeded" };
    assert.equal(hold.active, true);
    hold.maxPrefix = undefined;
    hold.fault = { message: "import fault" };
    assert.equal(hold.active, true);
  });

  it("clear() ends both holds and neither timer fires afterwards", async () => {
    const { hold, fired } = heldWithTimers();
    hold.clear();
    assert.equal(hold.active, false);
    await timersDueWithin(5);
    assert.deepEqual(fired, []);
  });

  it("stopTimers() keeps the holds but no timer ends them", async () => {
    const { hold, fired } = heldWithTimers();
    hold.stopTimers();
    await timersDueWithin(5);
    assert.deepEqual(fired, []);
    assert.equal(hold.active, true);
    assert.equal(hold.maxPrefix?.message, "m");
    assert.equal(hold.fault?.message, "f");
  });
});
