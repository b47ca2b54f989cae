import assert from "node:assert/strict";
import { restartDecision } from "../../../src/cli/restart-detect";

describe("graceful restart detection at start (restartDecision)", () => {
  it("routes of a previous run in the kernel make the start a restart", () => {
    const d = restartDecision({ forced: false, gracefulRestart: true, inheritedRoutes: 3 });
    assert.equal(d.restarting, true);
    assert.match(d.reason, /3 routes of a previous run/);
  });

  it("an empty table (first start, or after flatroutec shutdown) is a fresh start", () => {
    const d = restartDecision({ forced: false, gracefulRestart: true, inheritedRoutes: 0 });
    assert.equal(d.restarting, false);
    assert.match(d.reason, /fresh start/);
  });

  it("--restarting forces a restart even with nothing found or kernel sync off", () => {
    assert.equal(
      restartDecision({ forced: true, gracefulRestart: true, inheritedRoutes: 0 }).restarting,
      true,
    );
    assert.equal(
      restartDecision({ forced: true, gracefulRestart: true, inheritedRoutes: undefined }).restarting,
      true,
    );
  });

  it("without kernel sync nothing is detected", () => {
    const d = restartDecision({ forced: false, gracefulRestart: true, inheritedRoutes: undefined });
    assert.equal(d.restarting, false);
    assert.match(d.reason, /kernel sync is off/);
  });

  it("with graceful restart disabled it is never a restart, whatever is found or asked", () => {
    for (const forced of [false, true]) {
      const d = restartDecision({ forced, gracefulRestart: false, inheritedRoutes: 5 });
      assert.equal(d.restarting, false);
    }
  });
});
