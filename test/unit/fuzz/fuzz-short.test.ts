// The CI slice of `npm run fuzz`: a few thousand inputs per target with a
// fixed seed (the long run with fresh seeds is done by hand, see issue 14).
// Any crash or hang fails with the finding's error and input hex.
import assert from "node:assert/strict";
import { type FuzzReport, runTarget, type TargetName } from "../../fuzz/harness";

const SHORT: Record<TargetName, number> = { decode: 4000, fsm: 1500, control: 4000 };

function describeFindings(r: FuzzReport): string {
  return r.findings
    .map(
      (f) =>
        `${f.error.split("\n").slice(0, 3).join(" | ")}\n  input ${Buffer.from(f.input).toString("hex").slice(0, 400)}`,
    )
    .join("\n");
}

describe("fuzz targets, short run", function () {
  this.timeout(60000);
  for (const [target, iterations] of Object.entries(SHORT) as [TargetName, number][]) {
    it(`${target}: ${iterations} inputs without a crash or a hang`, async () => {
      const r = await runTarget(target, iterations, { seed: 20260101 });
      assert.equal(r.iterations, iterations);
      assert.equal(r.crashes + r.hangs, 0, describeFindings(r));
    });
  }
});
